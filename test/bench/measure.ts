// One target in one round: join a fresh room, warm up, then the paced phase (latency at a modest
// load) and the saturated phase (throughput, and the CPU time each process used meanwhile).
import { setTimeout as delay } from "node:timers/promises";
import type { ProsodyHandle } from "../harness/prosody.js";
import { joinRoom, leave, runPhase, type LoadOptions, type PhaseResult } from "./load.js";
import type { Figures, Row } from "./report.js";
import { cpuMeter, percentile } from "./stats.js";
import type { Running, Target } from "./targets.js";

export interface MeasureOptions {
  occupants: number;
  senders: number;
  /** Messages per sender, closed loop, not measured. */
  warmup: number;
  /** Messages per sender in the saturated phase, at most `window` in flight each. */
  messages: number;
  window: number;
  /** Paced phase: messages per second over all senders, for this long. */
  pacedRate: number;
  pacedSeconds: number;
  /** Each phase gives up after this long. */
  capMs: number;
}

/** A phase's figures: copies per second, latency percentiles, counts. */
export const figures = (r: PhaseResult): Figures => ({
  rate: r.delivered / r.seconds,
  p50: percentile(r.latencies, r.delivered, 50),
  p99: percentile(r.latencies, r.delivered, 99),
  delivered: r.delivered,
  expected: r.expected,
  errors: r.errors,
});

export async function measure(
  prosody: ProsodyHandle,
  target: Target,
  running: Running,
  room: string,
  o: MeasureOptions,
): Promise<Row> {
  const load: LoadOptions = {
    c2sPort: prosody.c2sPort,
    domain: `anon.${prosody.domain}`,
    room: `${room}@${target.domain}`,
    occupants: o.occupants,
    senders: o.senders,
  };
  const clients = await joinRoom(load);
  try {
    await delay(500); // let the join presences drain
    const base = { window: o.window, capMs: o.capMs };
    await runPhase(clients, load, { ...base, tag: "w", perSender: o.warmup });
    const perSender = Math.ceil((o.pacedRate * o.pacedSeconds) / o.senders);
    const paced = await runPhase(clients, load, {
      ...base,
      tag: "p",
      perSender,
      rate: o.pacedRate,
    });
    const cpu = cpuMeter({ prosody: prosody.pid, ...running.pids, clients: process.pid });
    const saturated = await runPhase(clients, load, { ...base, tag: "s", perSender: o.messages });
    return {
      label: target.label,
      saturated: figures(saturated),
      paced: figures(paced),
      cpu: cpu.stop(),
    };
  } finally {
    await leave(clients);
  }
}
