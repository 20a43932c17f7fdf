// Scale benchmark: this service with one worker and with two behind ejabberd (random per-stanza
// distribution), against ejabberd's own MUC and Prosody's own MUC on the same machine, with the
// same load, in rooms that grow from size to size (10, 100, 1000 occupants by default). At each
// size the targets run in interleaved rounds (a b c d a b c d ...) so that a slow spell of the
// machine hits all of them. Reports figures, asserts nothing. Run: npm run bench:scale; the
// BENCH_* variables below tune it.
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { commandLine, env, NICE, only, prioritize, run, say } from "./cli.js";
import { growRoom } from "../harness/crowd.js";
import { leave } from "./load.js";
import { measureAt, type ScaleOptions, type ScaleRow, type TargetRoom } from "./scale-measure.js";
import { reportScale, type SizeResult } from "./scale-report.js";
import { SCALE_TARGETS, startBed } from "./scale-targets.js";

const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000")
  .split(",")
  .map(Number)
  .sort((a, b) => a - b);
const OPTIONS: ScaleOptions = {
  senders: env("BENCH_SENDERS", 10),
  copies: env("BENCH_COPIES", 30_000),
  warmupCopies: env("BENCH_WARMUP_COPIES", 3_000),
  window: env("BENCH_WINDOW", 2),
  pacedCopies: env("BENCH_PACED_COPIES", 2_000),
  pacedSeconds: env("BENCH_PACED_SECONDS", 3),
  countMessages: env("BENCH_COUNT_MESSAGES", 2),
  joinProbes: env("BENCH_JOIN_PROBES", 3),
  capMs: env("BENCH_CAP_MS", 60_000),
};
const ROUNDS = env("BENCH_ROUNDS", 3);
/** Joins at once while a room grows (the timed joins are always alone). */
const PARALLEL = env("BENCH_JOIN_PARALLEL", 4);
const ONLY = only();
const RESULTS = fileURLToPath(new URL("results.md", import.meta.url));

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? NaN; // other work on the machine skews the figures
  const t0 = performance.now();
  const selected = SCALE_TARGETS.filter(
    (t) => !ONLY || ONLY.some((o) => t.label.startsWith(`(${o})`)),
  );
  const bed = await startBed(selected);
  prioritize(process.pid);
  for (const s of bed.started) for (const pid of Object.values(s.pids)) prioritize(pid);
  const rooms: TargetRoom[] = bed.started.map((started) => ({
    started,
    load: {
      c2sPort: started.server.c2sPort,
      domain: `anon.${started.server.domain}`,
      room: `scale@${started.target.domain}`,
      occupants: 0,
      senders: 0,
    },
    clients: [],
  }));
  // A target that fails is noted in each later row instead of stopping the run.
  const failed = new Map<TargetRoom, string>();
  const results: SizeResult[] = [];
  try {
    for (const size of SIZES) {
      const fill: Record<string, number> = {};
      for (const room of rooms.filter((r) => !failed.has(r))) {
        const label = room.started.target.label;
        const t = performance.now();
        await growRoom(room.clients, room.load, size, PARALLEL).then(
          () => (fill[label] = (performance.now() - t) / 1000),
          (err: unknown) => failed.set(room, `failed to grow to ${size}: ${String(err)}`),
        );
        say(`${label}: ${failed.get(room) ?? `${size} occupants in ${fill[label]?.toFixed(1)} s`}`);
      }
      const rounds: ScaleRow[][] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const rows: ScaleRow[] = [];
        for (const room of rooms) {
          const label = room.started.target.label;
          const note = failed.get(room);
          const row = note
            ? { label, note }
            : await measureAt(room, round, OPTIONS).catch((err: unknown): ScaleRow => ({
                label,
                note: `failed: ${String(err)}`,
              }));
          const joins = row.joinMs?.map((ms) => ms.toFixed(0)).join(" ");
          say(
            `size ${size} round ${round} ${label}: ${row.note ?? `${row.saturated?.rate.toFixed(0)}/s, join ${joins} ms`}`,
          );
          rows.push(row);
        }
        rounds.push(rows);
      }
      results.push({ size, fill, rounds });
    }
  } finally {
    await Promise.all(rooms.map((r) => leave(r.clients)));
    await bed.stop();
  }
  const o = OPTIONS;
  const minutes = (performance.now() - t0) / 60_000;
  const settings =
    `sizes ${SIZES.join(", ")}; ${o.senders} senders; joins ${PARALLEL} at a time while growing; ` +
    `warm-up ${o.warmupCopies} copies; Redis counted over ${o.countMessages} messages per sender; ` +
    `paced: ${o.pacedCopies} copies/s for ${o.pacedSeconds} s; saturated: ${o.copies} copies, ` +
    `window ${o.window}; ${o.joinProbes} timed joins per round; ${ROUNDS} rounds; nice ${NICE}; ` +
    `Node ${process.version}; load average before ${loadBefore.toFixed(2)}, after ` +
    `${(loadavg()[0] ?? NaN).toFixed(2)}; took ${minutes.toFixed(1)} min`;
  reportScale(
    results,
    { command: commandLine("bench:scale"), nproc: availableParallelism(), settings },
    RESULTS,
  );
}

run(main, "bench:scale");
