// Issue "horizontal scale": the Redis round trips per groupchat message must not grow with the
// room size, and the cost per message must not grow with the number of workers. Counted, not
// timed: MONITOR on a private Redis sees every command on a room's keys while real occupants
// (behind ejabberd) send through the real service, with one worker and then two (ejabberd hands
// each stanza to either at random).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { growRoom, sayToAll } from "../harness/crowd.js";
import { startEjabberd, type EjabberdHandle } from "../harness/ejabberd.js";
import type { RawClient } from "../harness/raw-client.js";
import { messagesHandled } from "../harness/metrics.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { monitorRoom, perUnit, type RoomCommands } from "../harness/redis-monitor.js";
import { startService, type ServiceHandle } from "../harness/service.js";

const SERVICE = { domain: "rooms.localhost", secret: "redis-cost" };
const SIZES = [10, 100];
const MESSAGES = 5;

let redis: RedisHandle;
let ejabberd: EjabberdHandle;
const workers: ServiceHandle[] = [];
const keyPrefix = uniquePrefix();
/** Each room's occupants, by size. */
const rooms = new Map<number, RawClient[]>();
const room = (size: number) => `crowd${size}@${SERVICE.domain}`;

const addWorker = async () => {
  const worker = await startService({
    componentPort: ejabberd.componentPort,
    ...SERVICE,
    redis,
    keyPrefix,
    env: { LOG_LEVEL: "info" },
  });
  workers.push(worker);
  return worker;
};

beforeAll(async () => {
  redis = await startRedis();
  ejabberd = await startEjabberd({ components: [SERVICE], anonymousHost: true });
  await addWorker();
  for (const size of SIZES) {
    const clients: RawClient[] = [];
    rooms.set(size, clients);
    const crowd = {
      c2sPort: ejabberd.c2sPort,
      domain: `anon.${ejabberd.domain}`,
      room: room(size),
    };
    await growRoom(clients, crowd, size, 4);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([...rooms.values()].flat().map((c) => c.close()));
  await Promise.all(workers.map((w) => w.stop()));
  await ejabberd?.stop();
  await redis?.stop();
});

let counter = 0;
/** One message from the room's first occupant, delivered to every occupant. */
const message = (size: number) => {
  const clients = rooms.get(size)!;
  return sayToAll(clients[0]!, clients, room(size), `m${counter++}`);
};

/** The Redis commands on the room's keys per message, over MESSAGES messages sent one by one. */
async function perMessage(size: number): Promise<RoomCommands> {
  const monitor = await monitorRoom(redis, room(size));
  for (let i = 0; i < MESSAGES; i++) await message(size);
  return perUnit(await monitor.stop(), MESSAGES);
}

describe("Redis cost of a groupchat message", () => {
  const oneWorker = new Map<number, RoomCommands>();

  it("is one round trip, the same in rooms of 10 and 100 occupants (one worker)", async () => {
    for (const size of SIZES) oneWorker.set(size, await perMessage(size));
    // The snapshot is cached by room version: the commit is the only round trip.
    expect(oneWorker.get(10)?.roundTrips).toBe(1);
    expect(oneWorker.get(100)).toEqual(oneWorker.get(10));
  });

  it("is the same with two workers sharing the rooms", async () => {
    const second = await addWorker();
    // The new worker loads each room once, on its first stanza there: send until it has had one.
    for (const size of SIZES) {
      const before = await messagesHandled(second);
      for (let i = 0; i < 60 && (await messagesHandled(second)) === before; i++)
        await message(size);
      expect(await messagesHandled(second)).toBeGreaterThan(before);
    }
    for (const size of SIZES) expect(await perMessage(size)).toEqual(oneWorker.get(size));
  });
});
