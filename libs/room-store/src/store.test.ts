// The store against a real Redis: atomic commits, version checks, history bounds.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_CONFIG,
  applyMutations,
  emptyRoom,
  type HistoryEntry,
  type Mutation,
  type Occupant,
} from "@fedmuc/muc-core";
import { keysMatching, uniquePrefix } from "../../../test/harness/redis.js";
import { redisPerFile } from "../../../test/harness/redis-per-file.js";
import { entryTime, outboxKey, sessionKeys } from "./keys.js";
import { RoomStore, type OutboxBound } from "./store.js";

const ROOM = "coven@chat.shakespeare.lit";
const redis = redisPerFile();

function freshStore(outboxBound?: OutboxBound): RoomStore {
  const prefix = uniquePrefix();
  return new RoomStore(redis.client, { prefix, defaults: DEFAULT_CONFIG, outboxBound });
}

const occupant = (nick: string, jid: string): Occupant => ({
  nick,
  jid,
  role: "participant",
  affiliation: "none",
  presence: "<presence/>",
  occupantId: `oid-${nick}`,
});

const entry = (i: number): HistoryEntry => ({
  nick: "n",
  jid: "a@b/c",
  stamp: new Date(i * 1000).toISOString(),
  stanza: `<message><body>${i}</body></message>`,
});

describe("RoomStore", () => {
  it("loads what it committed", async () => {
    const store = freshStore();
    const empty = await store.load(ROOM);
    expect(empty).toEqual(emptyRoom(ROOM));
    const mutations: Mutation[] = [
      { op: "create", salt: "s1", config: DEFAULT_CONFIG },
      { op: "putOccupant", occupant: occupant("a", "a@x/1") },
      { op: "setSubject", subject: { text: "hi", nick: "a", stamp: "2026-01-01T00:00:00Z" } },
      { op: "setAffiliation", jid: "a@x", affiliation: "owner" },
      { op: "setAffiliation", jid: "b@x", affiliation: "outcast" },
      { op: "setAffiliation", jid: "b@x", affiliation: "none" },
      { op: "setConfig", config: { ...DEFAULT_CONFIG, name: "Room", presenceBroadcast: [] } },
      { op: "unlock" },
      {
        op: "setLink",
        peer: "up@hub.lit",
        link: { role: "upstream", state: "up", joins: 1, replica: false },
      },
      {
        op: "setLink",
        peer: "gone@hub.lit",
        link: { role: "downstream", state: "up", joins: 1, replica: true },
      },
      { op: "setLink", peer: "gone@hub.lit", link: null },
    ];
    const result = await store.commit(empty, mutations);
    expect(result).toMatchObject({ committed: true, version: 1 });
    expect(await store.load(ROOM)).toEqual(applyMutations(empty, mutations, 1));
  });

  it("admits exactly one of two concurrent commits taken on the same snapshot", async () => {
    const store = freshStore();
    const empty = await store.load(ROOM);
    const results = await Promise.all(
      ["a@x/1", "b@x/1"].map((jid) =>
        store.commit(empty, [
          { op: "create", salt: jid, config: DEFAULT_CONFIG },
          { op: "putOccupant", occupant: occupant("same", jid) },
        ]),
      ),
    );
    expect(results.filter((r) => r.committed)).toHaveLength(1);
    const room = await store.load(ROOM);
    expect(Object.keys(room.occupants)).toEqual(["same"]);
  });

  it("refuses a commit on a destroyed and recreated room even at the same version", async () => {
    const store = freshStore();
    const first = await store.load(ROOM);
    await store.commit(first, [{ op: "create", salt: "old", config: DEFAULT_CONFIG }]);
    const old = await store.load(ROOM);
    await store.commit(old, [{ op: "destroy" }]);
    await store.commit(await store.load(ROOM), [
      { op: "create", salt: "new", config: DEFAULT_CONFIG },
    ]);
    expect((await store.load(ROOM)).version).toBe(old.version);
    expect(await store.commit(old, [])).toEqual({ committed: false });
  });

  it("keeps at most `max` history entries and reads up to a given id", async () => {
    const store = freshStore();
    let room = await store.load(ROOM);
    await store.commit(room, [{ op: "create", salt: "s", config: DEFAULT_CONFIG }]);
    room = await store.load(ROOM);
    let third = "";
    for (let i = 1; i <= 5; i++) {
      const r = await store.commit(room, [{ op: "appendHistory", entry: entry(i), max: 4 }]);
      if (!r.committed) throw new Error("history append refused");
      expect(r.version).toBe(room.version); // history does not move the snapshot's version
      if (i === 3) third = r.lastHistoryId;
    }
    const upToThird = await store.history(ROOM, third, 10);
    expect(upToThird.map((e) => e.stanza)).toEqual([entry(2), entry(3)].map((e) => e.stanza));
    const all = await store.history(ROOM, "+", 10);
    expect(all).toHaveLength(4);
  });

  it("appends link traffic to each link's outbox in the same commit, in order", async () => {
    const store = freshStore();
    const room = await store.load(ROOM);
    await store.commit(room, [
      { op: "create", salt: "s", config: DEFAULT_CONFIG },
      { op: "enqueue", peer: "up@hub.lit", stanza: "<presence n='1'/>" },
      { op: "enqueue", peer: "down@spoke.lit", stanza: "<presence n='2'/>" },
      { op: "enqueue", peer: "up@hub.lit", stanza: "<message n='3'/>" },
    ]);
    const outbox = async (peer: string) =>
      (await redis.client.xrange(outboxKey(store.options.prefix, ROOM, peer), "-", "+")).map(
        ([, fields]) => fields[1],
      );
    expect(await outbox("up@hub.lit")).toEqual(["<presence n='1'/>", "<message n='3'/>"]);
    expect(await outbox("down@spoke.lit")).toEqual(["<presence n='2'/>"]);
    // A refused commit appends nothing.
    await store.commit(room, [{ op: "enqueue", peer: "up@hub.lit", stanza: "<lost/>" }]);
    expect(await outbox("up@hub.lit")).toHaveLength(2);
  });

  it("reports each indexed link's waiting traffic and, while it is down, since when", async () => {
    const store = freshStore();
    const downSince = "2026-01-02T03:04:05.000Z";
    const link = (state: "up" | "down") =>
      ({
        role: "downstream",
        state,
        replica: false,
        joins: 1,
        ...(state === "down" && { downSince }),
      }) as const;
    await store.commit(await store.load(ROOM), [
      { op: "create", salt: "s", config: DEFAULT_CONFIG },
      { op: "setLink", peer: "down@spoke.lit", link: link("down") },
      { op: "setLink", peer: "up@hub.lit", link: link("up") },
      { op: "enqueue", peer: "down@spoke.lit", stanza: "<message n='1'/>" },
      { op: "enqueue", peer: "down@spoke.lit", stanza: "<message n='2'/>" },
    ]);
    const committed = Date.now();
    await store.indexLink(ROOM, "down@spoke.lit", "down");
    await store.indexLink(ROOM, "up@hub.lit", "up");
    const [down, up] = await store.linkHealth();
    expect(down).toMatchObject({
      room: ROOM,
      peer: "down@spoke.lit",
      state: "down",
      backlog: 2,
      downSince: Date.parse(downSince),
    });
    // What waits: its size in Redis, and when the oldest entry was queued (its stream id).
    expect(down!.backlogBytes).toBeGreaterThan("<message n='1'/><message n='2'/>".length);
    expect(down!.oldestQueuedAt).toBeGreaterThan(committed - 60_000);
    expect(down!.oldestQueuedAt).toBeLessThanOrEqual(committed);
    expect(up).toEqual({
      room: ROOM,
      peer: "up@hub.lit",
      state: "up",
      backlog: 0,
      backlogBytes: 0,
    });
  });

  it("copies the latest history, from a time, into a link's outbox in order", async () => {
    const store = freshStore();
    const room = await store.load(ROOM);
    await store.commit(room, [
      { op: "create", salt: "s", config: DEFAULT_CONFIG },
      ...[1, 2, 3, 4].map((i) => ({ op: "appendHistory", entry: entry(i), max: 10 }) as const),
    ]);
    const created = await store.load(ROOM);
    await store.commit(created, [
      { op: "enqueue", peer: "down@spoke.lit", stanza: "<presence/>" },
      { op: "enqueueHistory", peer: "down@spoke.lit", count: 3, since: entry(3).stamp },
    ]);
    const rows = await redis.client.xrange(
      outboxKey(store.options.prefix, ROOM, "down@spoke.lit"),
      "-",
      "+",
    );
    expect(rows.map(([, f]) => f[0])).toEqual(["s", "h", "h"]);
    expect(rows.slice(1).map(([, f]) => JSON.parse(f[1]!).stamp)).toEqual([
      entry(3).stamp,
      entry(4).stamp,
    ]);
  });

  it("copies only the history after a given message id, or from the time when it is gone", async () => {
    const store = freshStore();
    const withId = (i: number) => ({ ...entry(i), id: `m${i}` });
    await store.commit(await store.load(ROOM), [
      { op: "create", salt: "s", config: DEFAULT_CONFIG },
      ...[1, 2, 3, 4].map((i) => ({ op: "appendHistory", entry: withId(i), max: 10 }) as const),
    ]);
    const stamps = async (peer: string) =>
      (await redis.client.xrange(outboxKey(store.options.prefix, ROOM, peer), "-", "+")).map(
        ([, f]) => JSON.parse(f[1]!).id as string,
      );
    const since = entry(2).stamp;
    await store.commit(await store.load(ROOM), [
      { op: "enqueueHistory", peer: "a@spoke.lit", count: 10, since, after: "m3" },
      { op: "enqueueHistory", peer: "b@spoke.lit", count: 10, since, after: "gone" },
      { op: "enqueueHistory", peer: "c@spoke.lit", count: 10, after: "m4" },
    ]);
    expect(await stamps("a@spoke.lit")).toEqual(["m4"]);
    expect(await stamps("b@spoke.lit")).toEqual(["m2", "m3", "m4"]);
    expect(await stamps("c@spoke.lit")).toEqual([]);
  });

  it("drops a link's waiting traffic that a rejoin replaces, and keeps the rest in order", async () => {
    const store = freshStore();
    const peer = "down@spoke.lit";
    await store.commit(await store.load(ROOM), [
      { op: "create", salt: "s", config: DEFAULT_CONFIG },
      { op: "enqueue", peer, stanza: "<presence n='1'/>", replaceable: true },
      { op: "enqueue", peer, stanza: "<message type='chat' n='2'/>" },
      { op: "enqueue", peer, stanza: "<message type='groupchat' n='3'/>", replaceable: true },
    ]);
    await store.commit(await store.load(ROOM), [
      { op: "dropReplaceable", peer },
      { op: "enqueue", peer, stanza: "<presence n='4'/>", replaceable: true },
    ]);
    const rows = await redis.client.xrange(outboxKey(store.options.prefix, ROOM, peer), "-", "+");
    expect(rows.map(([, f]) => f[1])).toEqual([
      "<message type='chat' n='2'/>",
      "<presence n='4'/>",
    ]);
  });

  it("leaves no keys behind when a room is destroyed", async () => {
    const store = freshStore();
    await store.commit(await store.load(ROOM), [
      { op: "create", salt: "s", config: DEFAULT_CONFIG },
      { op: "putOccupant", occupant: occupant("a", "a@x/1") },
      { op: "appendHistory", entry: entry(1), max: 10 },
    ]);
    await store.commit(await store.load(ROOM), [{ op: "destroy" }]);
    expect(await keysMatching(redis.client, `${store.options.prefix}*`)).toEqual([]);
  });
});

describe("RoomStore: a link's bounded backlog", () => {
  const PEER = "down@spoke.lit";
  const DAY = 86_400_000;
  const said = (i: number) => `<message type='groupchat'><body>${i}</body></message>`;
  const outbox = (store: RoomStore) => outboxKey(store.options.prefix, ROOM, PEER);
  const kept = async (store: RoomStore) =>
    (await redis.client.xrange(outbox(store), "-", "+")).map(([, f]) => f[1]);
  const link = (state: "up" | "down") =>
    ({ role: "downstream", state, replica: false, joins: 1, session: "s1" }) as const;
  const enqueue = (stanza: string, replaceable = true) =>
    ({ op: "enqueue", peer: PEER, stanza, replaceable }) as const;

  async function created(store: RoomStore, state: "up" | "down" = "down") {
    await store.commit(await store.load(ROOM), [
      { op: "create", salt: "s", config: DEFAULT_CONFIG },
      { op: "setLink", peer: PEER, link: link(state) },
    ]);
    return store.load(ROOM);
  }

  async function commit(store: RoomStore, mutations: Mutation[]) {
    const result = await store.commit(await store.load(ROOM), mutations);
    if (!result.committed) throw new Error("commit refused");
    return result;
  }

  it("keeps an outbox within its bytes, the oldest going first, and remembers what went", async () => {
    // An entry counts its kind and stanza ("p" + 53 bytes); 170 bytes hold three of them.
    const store = freshStore({ maxBytes: 170, maxAgeMs: DAY });
    const room = await created(store);
    const dropped = [];
    for (const i of [1, 2, 3]) dropped.push((await commit(store, [enqueue(said(i))])).dropped);
    const firstId = (await redis.client.xrange(outbox(store), "-", "+", "COUNT", 1))[0]![0];
    for (const i of [4, 5]) dropped.push((await commit(store, [enqueue(said(i))])).dropped);
    expect(await kept(store)).toEqual([said(3), said(4), said(5)]);
    expect(dropped).toEqual([
      [],
      [],
      [],
      [{ peer: PEER, stanzas: 1, messages: 1, first: true }],
      [{ peer: PEER, stanzas: 1, messages: 1, first: false }],
    ]);
    // The snapshot knows since when (the oldest dropped entry's time), and its version moved,
    // so that a snapshot taken before is refused.
    const after = await store.load(ROOM);
    expect(after.lost).toEqual({ [PEER]: { stanzas: 2, messages: 2, since: entryTime(firstId) } });
    expect(after.version).toBeGreaterThan(room.version);
    expect(await store.commit(room, [])).toEqual({ committed: false });
  });

  it("leaves a link that is up alone: its delivery drains it, and a fresh start's state crosses whole", async () => {
    const store = freshStore({ maxBytes: 100, maxAgeMs: DAY });
    await created(store, "up");
    for (const i of [1, 2, 3])
      expect((await commit(store, [enqueue(said(i))])).dropped).toEqual([]);
    expect(await kept(store)).toEqual([said(1), said(2), said(3)]);
    // The same commit that takes it down is bounded: what waits from now on is the peer's backlog.
    const { dropped } = await commit(store, [
      { op: "setLink", peer: PEER, link: link("down") },
      enqueue(said(4)),
    ]);
    expect(dropped).toEqual([{ peer: PEER, stanzas: 3, messages: 3, first: true }]);
    expect(await kept(store)).toEqual([said(4)]);
  });

  it("drops what is older than the age bound, and counts only messages as messages", async () => {
    const store = freshStore({ maxBytes: 1_000_000, maxAgeMs: DAY });
    await created(store);
    // Queued two days ago (a stream id is the time an entry was added).
    const old = Date.now() - 2 * DAY;
    await redis.client.xadd(outbox(store), `${old}-0`, "p", "<presence/>", "o", "12");
    await redis.client.xadd(outbox(store), `${old}-1`, "s", said(0), "o", "66");
    const { dropped } = await commit(store, [enqueue("<presence n='1'/>")]);
    expect(dropped).toEqual([{ peer: PEER, stanzas: 2, messages: 1, first: true }]);
    expect(await kept(store)).toEqual(["<presence n='1'/>"]);
    expect((await store.load(ROOM)).lost).toEqual({
      [PEER]: { stanzas: 2, messages: 1, since: old },
    });
  });

  it("forgets a session's unacknowledged copies once its peer is away longer than the age bound", async () => {
    const store = freshStore({ maxBytes: 1_000_000, maxAgeMs: DAY });
    const { sent } = sessionKeys(store.options.prefix, ROOM, PEER);
    const old = String(Date.now() - 2 * DAY);
    const copies = async () => {
      await redis.client.xadd(sent, "0-1", "s", said(1), "t", old, "p", "1");
      await redis.client.xadd(sent, "0-2", "s", "<presence/>", "t", old, "p", "1");
    };
    // While the link is up they are in flight: the peer acknowledges them.
    await created(store, "up");
    await copies();
    expect((await commit(store, [enqueue(said(2))])).dropped).toEqual([]);
    expect(await redis.client.xlen(sent)).toBe(2);
    // Down: the session cannot be resumed without them; they go, and the link remembers.
    await commit(store, [{ op: "setLink", peer: PEER, link: link("down") }]);
    const { dropped } = await commit(store, [enqueue(said(3))]);
    expect(dropped).toEqual([{ peer: PEER, stanzas: 2, messages: 1, first: true }]);
    expect(await redis.client.exists(sent)).toBe(0);
    expect(await kept(store)).toEqual([said(2), said(3)]);
  });

  it("forgets a loss once reported, or when its link ends, and leaves no key behind", async () => {
    const store = freshStore({ maxBytes: 60, maxAgeMs: DAY });
    await created(store);
    for (const i of [1, 2]) await commit(store, [enqueue(said(i))]);
    expect((await store.load(ROOM)).lost?.[PEER]?.stanzas).toBe(1);
    await commit(store, [{ op: "forgetLoss", peer: PEER }]);
    expect((await store.load(ROOM)).lost).toBeUndefined();
    await commit(store, [enqueue(said(3))]);
    expect((await store.load(ROOM)).lost?.[PEER]?.stanzas).toBe(1);
    await commit(store, [{ op: "setLink", peer: PEER, link: null }]);
    expect((await store.load(ROOM)).lost).toBeUndefined();
    const lostKey = `${store.options.prefix}{${ROOM}}:lost`;
    expect(await redis.client.exists(lostKey)).toBe(0);
  });
});
