// Percentiles, medians, and CPU time of processes and of the whole machine from /proc (Linux).
import { readFileSync } from "node:fs";

/** Median of the defined, non-NaN values; NaN if none. */
export function median(values: (number | undefined)[]): number {
  const v = values.filter((x): x is number => x !== undefined && !Number.isNaN(x));
  v.sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** The p-th percentile (0..100, nearest rank) of the first n samples; sorts them in place. */
export function percentile(samples: Float64Array, n: number, p: number): number {
  if (n === 0) return NaN;
  const sorted = samples.subarray(0, n).sort();
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? NaN;
}

const TICKS_PER_SECOND = 100; // USER_HZ; `getconf CLK_TCK` says 100 on Linux

/** CPU seconds (user + system) a process has used so far; NaN once it is gone. */
function cpuSeconds(pid: number): number {
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return NaN;
  }
}

/** CPU seconds all processes of the machine have used (user, nice, system; no irq time). */
function machineBusySeconds(): number {
  const [user, nice, system] = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]!
    .trim()
    .split(/\s+/)
    .slice(1, 4)
    .map(Number);
  return (user! + nice! + system!) / TICKS_PER_SECOND;
}

/**
 * Starts counting CPU time of named pids; stop() gives each one's share of one core in %, plus
 * `others`: what the rest of the machine used meanwhile (other people's work skews the figures).
 */
export function cpuMeter(pids: Record<string, number | undefined>): {
  stop(): Record<string, number>;
} {
  const entries = Object.entries(pids).filter((e): e is [string, number] => e[1] !== undefined);
  const t0 = performance.now();
  const machine0 = machineBusySeconds();
  const before = entries.map(([, pid]) => cpuSeconds(pid));
  return {
    stop() {
      const percent = (cpu: number): number => (100 * cpu) / ((performance.now() - t0) / 1000);
      const used = entries.map(([, pid], i) => percent(cpuSeconds(pid) - (before[i] ?? NaN)));
      const all = percent(machineBusySeconds() - machine0);
      const ours = used.reduce((a, b) => a + b, 0);
      return {
        ...Object.fromEntries(entries.map(([name], i) => [name, used[i] ?? NaN])),
        others: Math.max(0, all - ours),
      };
    },
  };
}
