// Counts the Redis commands that touch one room, through MONITOR on a single Redis server: the
// round trips (requests a client sent that name the room's keys) and, with them, the commands
// the Lua scripts ran on those keys. Other traffic (link queues, other rooms) is left out.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { HarnessError } from "./errors.js";
import type { RedisHandle } from "./redis.js";

export interface RoomCommands {
  /** Requests from clients (EVALSHA, HGETALL...). */
  roundTrips: number;
  /** Round trips plus the commands scripts ran. */
  commands: number;
  /** Per command, lower case; a script's commands as `lua:<name>`. */
  byCommand: Record<string, number>;
}

export interface RoomMonitor {
  /** What was counted since the start, up to every command Redis ran before this call. */
  stop(): Promise<RoomCommands>;
}

/** Starts counting; every command Redis runs once this resolves is seen. */
export async function monitorRoom(
  redis: Pick<RedisHandle, "target">,
  room: string,
): Promise<RoomMonitor> {
  if (redis.target.kind !== "single") {
    throw new HarnessError("UNSUPPORTED", "monitorRoom: MONITOR needs a single Redis server");
  }
  const url = redis.target.url;
  const tag = `{${room}}`; // every key of the room carries its hash tag
  const marker = `fedmuc-monitor-${randomBytes(6).toString("hex")}`;
  const counted: RoomCommands = { roundTrips: 0, commands: 0, byCommand: {} };
  let seenMarker: (() => void) | undefined;

  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  const monitor = await client.monitor();
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (args[0] === "echo" && args[1] === marker) return seenMarker?.();
    if (!args.some((a) => a.includes(tag))) return;
    const fromScript = source === "lua";
    const name = `${fromScript ? "lua:" : ""}${args[0]?.toLowerCase()}`;
    counted.byCommand[name] = (counted.byCommand[name] ?? 0) + 1;
    counted.commands++;
    if (!fromScript) counted.roundTrips++;
  });
  client.disconnect(); // the monitor has a connection of its own

  return {
    async stop() {
      // MONITOR shows commands in the order Redis ran them: once the marker shows, all before
      // it have been counted.
      const seen = new Promise<void>((resolve) => (seenMarker = resolve));
      const probe = new Redis(url);
      try {
        await probe.echo(marker);
        await seen;
      } finally {
        probe.disconnect();
        monitor.disconnect();
      }
      return counted;
    },
  };
}

/** Each count divided by `n` (per message), rounded to two decimals. */
export function perUnit(c: RoomCommands, n: number): RoomCommands {
  const round = (x: number) => Math.round((x / n) * 100) / 100;
  return {
    roundTrips: round(c.roundTrips),
    commands: round(c.commands),
    byCommand: Object.fromEntries(Object.entries(c.byCommand).map(([k, v]) => [k, round(v)])),
  };
}
