// Link traffic against a real Redis for the link engine's tests: a key space per test, whose
// outbox is appended by real room commits, a link state set the way the rules commit it, and
// dispatchers on that space.
import { DEFAULT_CONFIG, emptyRoom, type FederationLink, type Mutation } from "@fedmuc/muc-core";
import { RoomStore } from "@fedmuc/room-store";
import type { RedisClient } from "@fedmuc/redis";
import type { Element } from "@fedmuc/xmpp";
import { QueueEvents } from "bullmq";
import {
  LINK_QUEUE,
  LinkDispatcher,
  LinkOutbox,
  shardOf,
  shardPrefix,
  type DispatcherOptions,
  type Link,
} from "@fedmuc/link-engine";
import { connectRedis, startRedis, uniquePrefix, type RedisHandle } from "./redis.js";

export const LINK: Link = {
  room: "elsinore@talk.denmark.lit",
  peer: "rabbithole@rooms.wonderland.lit",
};

/** One Redis for a test file; `space()` gives each test its own keys. */
export async function startLinkSpaces() {
  const redis: RedisHandle = await startRedis();
  const connections: RedisClient[] = [];
  const connect = (): RedisClient => {
    const c = connectRedis(redis, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };
  const space = () => linkSpace(connect);
  const stop = async () => {
    for (const c of connections) c.disconnect();
    await redis.stop();
  };
  return { space, connect, stop };
}

function linkSpace(connect: () => RedisClient) {
  const storePrefix = uniquePrefix();
  const queuePrefix = `{${uniquePrefix().slice(0, -1)}}`;
  const store = new RoomStore(connect(), { prefix: storePrefix, defaults: DEFAULT_CONFIG });
  const outbox = new LinkOutbox(connect(), storePrefix);
  let room = emptyRoom(LINK.room);
  /** Commits `mutations`, its outbox entries produced in `context` (a trace carrier). */
  const commit = async (mutations: Mutation[], context = "") => {
    const result = await store.commit(room, mutations, context);
    if (!result.committed) throw new Error("commit refused");
    room = { ...room, version: result.version };
  };
  /** Messages with these bodies, appended to the outbox (`replaceable`: as a rejoin drops),
   * produced in `context`. */
  const append = async (bodies: string[], replaceable = false, context = "") =>
    commit(
      bodies.map((b) => ({
        op: "enqueue",
        peer: LINK.peer,
        stanza: `<message to="${LINK.peer}"><body>${b}</body></message>`,
        ...(replaceable ? { replaceable } : {}),
      })),
      context,
    );
  const linkState = (state: "up" | "down", extra: Partial<FederationLink> = {}) =>
    commit([
      {
        op: "setLink",
        peer: LINK.peer,
        link: { role: "upstream", state, replica: false, joins: 1, ...extra },
      },
    ]);
  const dispatcher = (send: DispatcherOptions["send"], extra: Partial<DispatcherOptions> = {}) =>
    new LinkDispatcher({
      connection: connect(),
      queuePrefix,
      storePrefix,
      send,
      retry: { initialMs: 20, factor: 2, maxMs: 200 },
      ...extra,
    });
  /** Listens for the completion of a job of LINK's queue whose id starts with `idPrefix`:
   * resolves, once listening, to `{ done }`, which resolves when such a job has completed. */
  const listen = async (idPrefix: string) => {
    const prefix = shardPrefix(queuePrefix, shardOf(LINK));
    // From the stream's last event on: with '$' (the default), an event added before the
    // first blocking read went out would be missed, however ready the connection was.
    const redis = connect();
    const [last] = await redis.xrevrange(`${prefix}:${LINK_QUEUE}:events`, "+", "-", "COUNT", 1);
    const lastEventId = last?.[0] ?? "0-0";
    const events = new QueueEvents(LINK_QUEUE, { connection: redis, prefix, lastEventId });
    await events.waitUntilReady();
    const done = new Promise<void>((resolve) =>
      events.on("completed", ({ jobId }) => {
        if (jobId.startsWith(idPrefix)) resolve();
      }),
    ).finally(() => events.close());
    return { done };
  };
  return {
    append,
    commit,
    linkState,
    dispatcher,
    listen,
    outbox,
    storePrefix,
    queuePrefix,
    redis: connect(),
  };
}

/** A sender that records what it sends and resolves `done` once `expected` distinct bodies were
 * seen; its first `failFirst` sends fail as a link that is down would. */
export function recorder(expected: number, failFirst = 0) {
  const bodies: string[] = [];
  const stanzas: Element[] = [];
  let failures = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const send = async (el: Element) => {
    if (failures < failFirst) {
      failures++;
      throw new Error("link down");
    }
    stanzas.push(el);
    const body = el.getChildText("body");
    if (body !== null) bodies.push(body);
    if (new Set(bodies).size === expected) finish();
  };
  return { bodies, stanzas, send, done, failures: () => failures };
}

/** A recorder that also resolves `reached(k)` once it has sent k stanzas. */
export function counting() {
  const rec = recorder(Number.MAX_SAFE_INTEGER);
  const waiters: [number, () => void][] = [];
  const send = async (el: Element) => {
    await rec.send(el);
    for (const [k, done] of waiters) if (rec.stanzas.length >= k) done();
  };
  const reached = (k: number) =>
    new Promise<void>((resolve) => {
      if (rec.stanzas.length >= k) resolve();
      else waiters.push([k, resolve]);
    });
  return { ...rec, send, reached };
}

/** Bodies m<from>, m<from+1>, ... */
export const numbered = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `m${from + i}`);
