// The service's Redis client through Redis Sentinel: configured with the sentinels and the
// master's name only, it finds the master, the room store works through it, and it follows a
// failover to the promoted replica.
import { once } from "node:events";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@fedmuc/config";
import { DEFAULT_CONFIG, type Mutation } from "@fedmuc/muc-core";
import { createRedis, redisTarget } from "@fedmuc/redis";
import { RoomStore, roomKeys } from "@fedmuc/room-store";
import { uniquePrefix } from "../harness/redis.js";
import {
  SENTINEL_MASTER_NAME,
  startRedisSentinel,
  type RedisSentinelHandle,
} from "../harness/redis-sentinel.js";

const ROOM = "coven@chat.shakespeare.lit";
let sentinel: RedisSentinelHandle;
let client: Redis;
let store: RoomStore;

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  // As the service reads its configuration: no master address anywhere, only the sentinel.
  const config = loadConfig({
    XMPP_COMPONENT_URL: "xmpp://127.0.0.1:5347",
    XMPP_COMPONENT_DOMAIN: "rooms.localhost",
    XMPP_COMPONENT_SECRET: "s",
    REDIS_SENTINELS: `127.0.0.1:${sentinel.sentinelPort}`,
    REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
  });
  client = createRedis(redisTarget(config), { maxRetriesPerRequest: 3 }) as Redis;
  store = new RoomStore(client, { prefix: uniquePrefix(), defaults: DEFAULT_CONFIG });
});
afterAll(async () => {
  client?.disconnect();
  await sentinel?.stop();
});

/** The port of the server the client is connected to, and that server's role. */
async function server(c: Redis): Promise<{ port: number; role: string }> {
  const info = await c.info("server");
  const role = ((await c.call("ROLE")) as string[])[0]!;
  return { port: Number(/tcp_port:(\d+)/.exec(info)![1]), role };
}

const say = (text: string): Mutation => ({
  op: "setSubject",
  subject: { text, nick: "a", stamp: "2026-01-01T00:00:00Z" },
});

describe("Redis Sentinel", () => {
  it("connects to the master the sentinel names", async () => {
    expect(await server(client)).toEqual({ port: sentinel.masterPort, role: "master" });
  });

  it("commits and loads rooms through it; the replica receives the commits", async () => {
    const created = await store.commit(await store.load(ROOM), [
      { op: "create", salt: "s", config: DEFAULT_CONFIG },
      say("before"),
    ]);
    expect(created.committed).toBe(true);
    expect((await store.load(ROOM)).subject?.text).toBe("before");
    expect(await client.call("WAIT", "1", "5000")).toBe(1);
    const replica = new Redis({ port: sentinel.replicaPort });
    try {
      const meta = roomKeys(store.options.prefix, ROOM).meta;
      expect(await replica.hget(meta, "version")).toBe(
        String(created.committed && created.version),
      );
    } finally {
      replica.disconnect();
    }
  });

  it("follows a failover to the promoted replica, with the room intact", async () => {
    const reconnected = once(client, "ready");
    const admin = new Redis({ port: sentinel.sentinelPort });
    try {
      expect(await admin.call("SENTINEL", "FAILOVER", SENTINEL_MASTER_NAME)).toBe("OK");
      await reconnected;
    } finally {
      admin.disconnect();
    }
    expect(await server(client)).toEqual({ port: sentinel.replicaPort, role: "master" });
    const after = await store.commit(await store.load(ROOM), [say("after")]);
    expect(after.committed).toBe(true);
    expect((await store.load(ROOM)).subject?.text).toBe("after");
  });
});
