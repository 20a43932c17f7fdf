// One target at one room size in one round: warm up; count the Redis commands of a few messages
// (this service only); the paced phase (latency at a load every target carries); the saturated
// phase (throughput, and the CPU each process used meanwhile); Redis memory of the room; then the
// time a newcomer takes to join (its presence sent until its self-presence is back).
import { Redis } from "ioredis";
import { roomKeys } from "@fedmuc/room-store";
import { RawClient } from "../harness/raw-client.js";
import { monitorRoom, perUnit, type RoomCommands } from "../harness/redis-monitor.js";
import { runPhase, type LoadOptions, type PhaseOptions } from "./load.js";
import { figures } from "./measure.js";
import type { Row } from "./report.js";
import type { Started } from "./scale-targets.js";
import { cpuMeter } from "./stats.js";

export interface ScaleOptions {
  senders: number;
  /** Copies delivered in the saturated phase (its messages: copies / occupants). */
  copies: number;
  warmupCopies: number;
  /** Closed loop: messages of a sender not yet reflected back to it. */
  window: number;
  /** Paced phase: copies per second (its message rate: this / occupants), for this long. */
  pacedCopies: number;
  pacedSeconds: number;
  /** Messages per sender whose Redis commands are counted. */
  countMessages: number;
  /** Newcomers timed joining, each alone, per round. */
  joinProbes: number;
  capMs: number;
}

/** Redis memory of the room, in bytes (MEMORY USAGE, every element sampled). */
export interface RoomMemory {
  perOccupant: number;
  perHistoryEntry: number;
  historyEntries: number;
}

export interface ScaleRow extends Row {
  /** Each probe's join time, ms. */
  joinMs?: number[];
  /** Redis commands per groupchat message. */
  redis?: RoomCommands;
  memory?: RoomMemory;
}

/** A target's room and its occupants, kept from size to size. */
export interface TargetRoom {
  readonly started: Started;
  readonly load: LoadOptions;
  readonly clients: RawClient[];
}

export async function measureAt(
  room: TargetRoom,
  round: number,
  o: ScaleOptions,
): Promise<ScaleRow> {
  const { started, clients } = room;
  const size = clients.length;
  const load = { ...room.load, senders: Math.min(o.senders, size) };
  const perSender = (copies: number) => Math.max(1, Math.round(copies / size / load.senders));
  const tag = (phase: string) => `${phase}${size}r${round}`;
  const phase = (name: string, rest: Omit<PhaseOptions, "tag" | "window" | "capMs">) =>
    runPhase(clients, load, { tag: tag(name), window: o.window, capMs: o.capMs, ...rest });

  await phase("w", { perSender: perSender(o.warmupCopies) });
  let redis: RoomCommands | undefined;
  if (started.redis) {
    const monitor = await monitorRoom(started.redis.handle, load.room);
    await phase("n", { perSender: o.countMessages });
    redis = perUnit(await monitor.stop(), o.countMessages * load.senders);
  }
  const rate = o.pacedCopies / size;
  const paced = await phase("p", {
    perSender: Math.ceil((rate * o.pacedSeconds) / load.senders),
    rate,
  });
  const cpu = cpuMeter({ ...started.pids, clients: process.pid });
  const saturated = await phase("s", { perSender: perSender(o.copies) });
  const cpuUsed = cpu.stop();
  const memory = started.redis && (await roomMemory(started.redis, load.room, size));
  const joinMs: number[] = [];
  for (let j = 0; j < o.joinProbes; j++)
    joinMs.push(await timeJoin(load, `p${size}r${round}j${j}`));
  return {
    label: started.target.label,
    saturated: figures(saturated),
    paced: figures(paced),
    cpu: cpuUsed,
    joinMs,
    redis,
    memory,
  };
}

/** A newcomer's join into the room as it is: connected first, then timed until it is in. */
async function timeJoin(load: LoadOptions, nick: string): Promise<number> {
  const client = await RawClient.connect(load.c2sPort, load.domain);
  try {
    const t0 = performance.now();
    await client.join(load.room, nick);
    return performance.now() - t0;
  } finally {
    await client.close();
  }
}

async function roomMemory(
  redis: NonNullable<Started["redis"]>,
  room: string,
  occupants: number,
): Promise<RoomMemory> {
  if (redis.handle.target.kind !== "single") throw new Error("the benchmark uses one Redis");
  const client = new Redis(redis.handle.target.url);
  try {
    const keys = roomKeys(redis.keyPrefix, room);
    const usage = async (key: string) =>
      Number(await client.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
    const historyEntries = await client.xlen(keys.history);
    return {
      perOccupant: (await usage(keys.occupants)) / occupants,
      perHistoryEntry: historyEntries ? (await usage(keys.history)) / historyEntries : NaN,
      historyEntries,
    };
  } finally {
    client.disconnect();
  }
}
