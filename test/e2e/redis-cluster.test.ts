// The room store and the link queue on a three-master Redis Cluster: a room's keys share one
// slot, rooms spread over the masters, and every multi-key step stays within one slot. Under
// REDIS_MODE=cluster the harness's startRedis() must hand out such a cluster too.
import { Queue } from "bullmq";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type Mutation } from "@fedmuc/muc-core";
import { LINK_SHARDS, LinkDispatcher, shardPrefix } from "@fedmuc/link-engine";
import { RoomStore, outboxKey, roomKeys } from "@fedmuc/room-store";
import { connectRedis, startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { startRedisCluster } from "../harness/redis-cluster.js";

const PEER = "rabbithole@rooms.wonderland.lit";
let redis: RedisHandle;
let cluster: Cluster;

beforeAll(async () => {
  redis = process.env.REDIS_MODE === "cluster" ? await startRedis() : await startRedisCluster();
  cluster = connectRedis(redis, { maxRetriesPerRequest: null }) as Cluster;
});
afterAll(async () => {
  cluster?.disconnect();
  await redis?.stop();
});

/** Each master's address and the keys it holds that match `pattern`. */
async function keysByMaster(pattern: string): Promise<Map<string, string[]>> {
  const masters = cluster.nodes("master");
  const keys = await Promise.all(masters.map((node) => node.keys(pattern)));
  return new Map(
    masters.map((node, i) => [`${node.options.host}:${node.options.port}`, keys[i]!] as const),
  );
}
const slotOf = async (key: string) => Number(await cluster.call("CLUSTER", "KEYSLOT", key));

/** Creates `room` with an occupant, history, an affiliation and traffic for a link. */
async function populate(store: RoomStore, room: string): Promise<void> {
  const mutations: Mutation[] = [
    { op: "create", salt: "s", config: DEFAULT_CONFIG },
    {
      op: "putOccupant",
      occupant: {
        nick: "a",
        jid: "a@x/1",
        role: "moderator",
        affiliation: "owner",
        presence: "<presence/>",
        occupantId: "o",
      },
    },
    {
      op: "appendHistory",
      entry: { nick: "a", jid: "a@x/1", stamp: "2026-01-01T00:00:00Z", stanza: "<message/>" },
      max: 10,
    },
    { op: "setAffiliation", jid: "a@x", affiliation: "owner" },
    { op: "enqueue", peer: PEER, stanza: "<message/>" },
  ];
  const result = await store.commit(await store.load(room), mutations);
  expect(result.committed).toBe(true);
}

describe("Redis Cluster", () => {
  it("is three masters serving all 16384 slots between them", async () => {
    expect(redis.target.kind).toBe("cluster");
    const nodes = String(await cluster.call("CLUSTER", "NODES"))
      .trim()
      .split("\n");
    const masters = nodes.filter((line) => / (myself,)?master /.test(line));
    expect(masters).toHaveLength(3);
    expect(nodes.every((line) => line.includes(" connected"))).toBe(true);
    expect(String(await cluster.call("CLUSTER", "INFO"))).toContain("cluster_slots_ok:16384");
  });

  it("puts all keys of a room, its link outboxes included, in the slot of its hash tag", async () => {
    const prefix = uniquePrefix();
    const room = "coven@chat.shakespeare.lit";
    const keys = [...Object.values(roomKeys(prefix, room)), outboxKey(prefix, room, PEER)];
    const slots = await Promise.all(keys.map(slotOf));
    expect(new Set(slots)).toEqual(new Set([await slotOf(`{${room}}`)]));
  });

  it("keeps each room on one master, spreads rooms over all three, under the key prefix", async () => {
    const store = new RoomStore(cluster, { prefix: uniquePrefix(), defaults: DEFAULT_CONFIG });
    const rooms = Array.from({ length: 12 }, (_, i) => `room${i}@chat.shakespeare.lit`);
    for (const room of rooms) await populate(store, room);
    const holders = new Set<string>();
    for (const room of rooms) {
      const byMaster = await keysByMaster(`${store.options.prefix}{${room}}:*`);
      const holding = [...byMaster].filter(([, keys]) => keys.length > 0);
      expect(holding).toHaveLength(1); // the whole room on one master
      expect(holding[0]![1]).toHaveLength(5); // meta, occupants, history, affiliations, outbox
      holders.add(holding[0]![0]);
      expect((await store.load(room)).occupants.a?.jid).toBe("a@x/1");
    }
    expect(holders.size).toBe(3);
  });

  it("refuses one script over two rooms' keys (CROSSSLOT): why each script takes one room", async () => {
    const prefix = uniquePrefix();
    const [a, b] = ["room0@chat.shakespeare.lit", "room1@chat.shakespeare.lit"];
    const [ka, kb] = [roomKeys(prefix, a).meta, roomKeys(prefix, b).meta];
    expect(await slotOf(ka)).not.toBe(await slotOf(kb));
    await expect(cluster.eval("return 1", 2, ka, kb)).rejects.toThrow(/CROSSSLOT/);
  });

  it("keeps each shard of the link queue in the slot of its hash tag, the shards spread over the masters; without the tag BullMQ fails", async () => {
    // A fixed prefix (this cluster is the file's own), so where the shards land does not vary.
    const storePrefix = "sharded:";
    const queuePrefix = `{${storePrefix}links}`; // as the service derives it
    const store = new RoomStore(cluster, { prefix: storePrefix, defaults: DEFAULT_CONFIG });
    const room = "elsinore@talk.denmark.lit";
    let delivered!: () => void;
    const sent = new Promise<void>((resolve) => (delivered = resolve));
    const dispatcher = new LinkDispatcher({
      connection: cluster,
      queuePrefix,
      storePrefix,
      send: async () => delivered(),
    });
    dispatcher.start();
    await populate(store, room);
    await dispatcher.kick({ room, peer: PEER });
    await sent;
    await dispatcher.close();

    const masters = new Set<string>();
    for (let shard = 0; shard < LINK_SHARDS; shard++) {
      const tag = shardPrefix(queuePrefix, shard);
      const byMaster = await keysByMaster(`${tag}*`);
      const holding = [...byMaster].filter(([, keys]) => keys.length > 0);
      expect(holding).toHaveLength(1);
      const slots = await Promise.all(holding[0]![1].map(slotOf));
      expect(new Set(slots)).toEqual(new Set([await slotOf(tag)]));
      masters.add(holding[0]![0]);
    }
    expect(masters.size).toBe(3);

    const untagged = new Queue("fmuc-links", { connection: cluster, prefix: "untagged" });
    await expect(untagged.add("deliver", {})).rejects.toThrow(/CROSSSLOT/);
    await untagged.close();
  });
});
