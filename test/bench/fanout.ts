// Fan-out benchmark: one Prosody, a room of 100 occupants of whom 10 send, run against (a)
// Prosody's own MUC, (b) the in-memory echo component and (c) our service, untraced, (d) traced
// with every span exported and (e) one trace in a hundred, with the same load,
// in interleaved rounds (a b c a b c ...) so that a slow spell of the machine hits all of them.
// Reports figures, asserts nothing. Run: npm run bench; the BENCH_* variables below tune it.
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { startProsody } from "../harness/prosody.js";
import { commandLine, env, NICE, only, prioritize, run, say } from "./cli.js";
import { measure, type MeasureOptions } from "./measure.js";
import { report, type Row } from "./report.js";
import {
  ECHO,
  PROSODY_MUC,
  SAMPLED,
  SERVICE,
  TARGETS,
  TRACED,
  type Running,
  type Target,
} from "./targets.js";

const OPTIONS: MeasureOptions = {
  occupants: env("BENCH_OCCUPANTS", 100),
  senders: env("BENCH_SENDERS", 10),
  warmup: env("BENCH_WARMUP", 20),
  messages: env("BENCH_MESSAGES", 100),
  window: env("BENCH_WINDOW", 2),
  pacedRate: env("BENCH_PACED_RATE", 20),
  pacedSeconds: env("BENCH_PACED_SECONDS", 4),
  capMs: env("BENCH_CAP_MS", 60_000),
};
const ROUNDS = env("BENCH_ROUNDS", 3);
const ONLY = only();
const RESULTS = fileURLToPath(new URL("results.md", import.meta.url));

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? NaN; // other work on the machine skews the figures
  const selected = TARGETS.filter((t) => !ONLY || ONLY.some((o) => t.label.startsWith(`(${o})`)));
  const prosody = await startProsody({
    components: [ECHO, SERVICE, TRACED, SAMPLED],
    mucComponent: PROSODY_MUC,
    anonymousHost: true,
  });
  prioritize(process.pid);
  prioritize(prosody.pid);
  // Each target starts once; one that cannot run gets a note instead, in every round.
  const running = new Map<Target, Running | string>();
  const rounds: Row[][] = [];
  try {
    for (const target of selected) {
      const why = target.unavailable?.();
      const started = why
        ? `skipped: ${why}`
        : await target.start(prosody).catch((err: unknown) => `failed to start: ${String(err)}`);
      if (typeof started === "string") say(`${target.label}: ${started}`);
      else for (const pid of Object.values(started.pids)) prioritize(pid);
      running.set(target, started);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      const rows: Row[] = [];
      for (const target of selected) {
        const run = running.get(target) ?? "not started";
        const t0 = performance.now();
        const row =
          typeof run === "string"
            ? { label: target.label, note: run }
            : await measure(prosody, target, run, `bench${round}`, OPTIONS).catch(
                (err: unknown): Row => ({ label: target.label, note: `failed: ${String(err)}` }),
              );
        const took = ((performance.now() - t0) / 1000).toFixed(0);
        if (typeof run !== "string") {
          say(
            `round ${round} ${target.label}: ${row.note ?? `${row.saturated?.rate.toFixed(0)}/s`} (${took} s)`,
          );
        }
        rows.push(row);
      }
      rounds.push(rows);
    }
  } finally {
    for (const run of running.values()) if (typeof run !== "string") await run.stop();
    await prosody.stop();
  }
  const o = OPTIONS;
  const settings =
    `${o.occupants} occupants, ${o.senders} senders; warm-up ${o.warmup} messages per sender; ` +
    `paced: ${o.pacedRate} messages/s for ${o.pacedSeconds} s; saturated: ${o.messages} ` +
    `messages per sender, window ${o.window}; ${ROUNDS} rounds; nice ${NICE}; Node ${process.version}; ` +
    `load average before ${loadBefore.toFixed(2)}`;
  report(
    rounds,
    { command: commandLine("bench"), nproc: availableParallelism(), settings },
    RESULTS,
  );
}

run(main, "bench");
