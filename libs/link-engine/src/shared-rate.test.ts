// The shared rate of a peer service against a real Redis (rate.ts, bucket.lua): the bucket's
// arithmetic on a clock the test sets, then links of one service sharing it through real
// dispatchers, on Redis's clock: together within the rate, in turns, and a live message ahead
// of their backlog.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mutation } from "@fedmuc/muc-core";
import { sessionKeys } from "@fedmuc/room-store";
import { NS, type Element } from "@fedmuc/xmpp";
import { LINK, counting, startLinkSpaces } from "../../../test/harness/link-space.js";
import { keysMatching, uniquePrefix } from "../../../test/harness/redis.js";
import type { Link } from "./link.js";
import { bucketShape, paidBytes, RateLimited, SharedRates } from "./rate.js";
import type { Priority } from "./priority.js";

let spaces: Awaited<ReturnType<typeof startLinkSpaces>>;
beforeAll(async () => {
  spaces = await startLinkSpaces();
});
afterAll(async () => {
  await spaces?.stop();
});

const SERVICE = "rooms.wonderland.lit";
const linkTo = (name: string): Link => ({ room: LINK.room, peer: `${name}@${SERVICE}` });
const [A, B, C] = ["a", "b", "c"].map(linkTo) as [Link, Link, Link];

describe("a peer service's bucket (1000 bytes a second: a burst of 2000, reserves 500 and 1000)", () => {
  const T0 = 1_700_000_000_000;
  const shape = bucketShape(1_000);
  /** A bucket of its own on a clock the test moves; pay() says how long it must wait (0: paid). */
  const bucket = () => {
    let now = T0;
    const redis = spaces.connect();
    const prefix = uniquePrefix();
    const rates = new SharedRates(
      redis,
      prefix,
      [{ services: SERVICE, bytesPerSecond: 1_000 }],
      () => now,
    );
    return {
      at: (ms: number) => void (now = T0 + ms),
      pay: (link: Link, priority: Priority, bytes: number) =>
        rates.pay(link, shape, priority, bytes).then(
          () => 0,
          (err: unknown) => {
            if (err instanceof RateLimited) return err.waitMs;
            throw err;
          },
        ),
      redis,
      prefix,
      rates,
    };
  };

  it("lets a live message take the whole bucket, a presence what lies above 500, the backlog what lies above 1000", async () => {
    const { pay } = bucket();
    expect(await pay(A, "backlog", 1_000)).toBe(0); // 2000 -> 1000
    expect(await pay(A, "backlog", 100)).toBe(100); // 100 more bytes above the reserve
    expect(await pay(C, "presence", 400)).toBe(0); // 1000 -> 600
    expect(await pay(C, "presence", 200)).toBe(100);
    expect(await pay(C, "message", 600)).toBe(0); // 600 -> 0
    expect(await pay(C, "message", 1)).toBe(1);
  });

  it("gives the backlog turns across links in the order they asked: a link that paid goes to the back", async () => {
    const { at, pay } = bucket();
    expect(await pay(A, "backlog", 1_000)).toBe(0);
    expect(await pay(A, "backlog", 1_000)).toBe(1_000); // A's turn at 1000
    expect(await pay(B, "backlog", 1_000)).toBe(2_000); // B's after it, at 2000
    at(1_000);
    expect(await pay(A, "backlog", 1_000)).toBe(0);
    expect(await pay(A, "backlog", 1_000)).toBe(2_000); // behind B: at 3000
    at(1_500);
    expect(await pay(B, "backlog", 1_000)).toBe(500); // not its turn yet
    at(2_000);
    expect(await pay(B, "backlog", 1_000)).toBe(0);
    at(3_000);
    expect(await pay(A, "backlog", 1_000)).toBe(0);
  });

  it("keeps a link's turn when live traffic took the bytes meanwhile", async () => {
    const { at, pay } = bucket();
    await pay(A, "backlog", 1_000);
    expect(await pay(A, "backlog", 1_000)).toBe(1_000); // at 1000
    expect(await pay(B, "backlog", 1_000)).toBe(2_000); // at 2000
    at(999);
    expect(await pay(C, "message", 1_000)).toBe(0); // 1999 -> 999
    at(1_000);
    // A waits for the bytes the message took, not for a turn behind B (which would be at 3000).
    expect(await pay(A, "backlog", 1_000)).toBe(1_000);
  });

  it("keeps the turns' order when live traffic delays them all: a later turn never goes first", async () => {
    const { at, pay } = bucket();
    await pay(A, "backlog", 1_000);
    expect(await pay(A, "backlog", 1_000)).toBe(1_000); // A's turn at 1000
    expect(await pay(B, "backlog", 1_000)).toBe(2_000); // B's at 2000
    at(999);
    expect(await pay(C, "message", 1_999)).toBe(0); // the bucket emptied by live traffic
    at(2_000);
    expect(await pay(B, "backlog", 1_000)).toBeGreaterThan(0); // A's turn is still ahead
    expect(await pay(A, "backlog", 1_000)).toBe(999); // A waits for the bytes, first
    at(4_000); // the bucket is full again, and B comes first: still behind A
    expect(await pay(B, "backlog", 1_000)).toBeGreaterThan(0);
    expect(await pay(A, "backlog", 1_000)).toBe(0);
    at(5_000);
    expect(await pay(B, "backlog", 1_000)).toBe(0);
  });

  it("forgets a turn nobody came for: the others are not held back by it", async () => {
    const { at, pay } = bucket();
    await pay(A, "backlog", 1_000);
    expect(await pay(A, "backlog", 1_000)).toBe(1_000); // A never comes back for it
    at(12_000);
    expect(await pay(B, "backlog", 1_000)).toBe(0);
  });

  it("is gone from Redis once it would be full again with nobody waiting", async () => {
    const { pay, redis, prefix, rates } = bucket();
    expect(rates.shapeOf({ room: LINK.room, peer: "x@talk.elsewhere.example" })).toBeUndefined();
    await pay(A, "backlog", 1_000);
    const [key] = await keysMatching(redis, `${prefix}*rate*`);
    const ttl = await redis.pttl(key!);
    // 1000 bytes to refill at 1000 a second, and the 10 s a turn may be late.
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(11_000);
  });
});

/** A history entry of the room with a body of `chars` characters. */
const historyEntry = (i: number, chars: number) => ({
  nick: "Alice",
  jid: "alice@wonderland.lit/a",
  stamp: new Date(Date.now() - 60_000).toISOString(),
  stanza: `<message from="${LINK.room}/Alice" type="groupchat"><body>${i}:${"x".repeat(chars)}</body></message>`,
});

/** What a dispatcher sent, to which link and when. */
function sentLog() {
  const sent: { peer: string; at: number; bytes: number; body: string }[] = [];
  const waiters: [(s: typeof sent) => boolean, () => void][] = [];
  const send = async (el: Element) => {
    sent.push({
      peer: el.attrs.to!,
      at: Date.now(),
      bytes: paidBytes(el.toString()),
      body: el.getChildText("body") ?? "",
    });
    for (const [until, done] of waiters) if (until(sent)) done();
  };
  const until = (done: (s: typeof sent) => boolean) =>
    new Promise<void>((resolve) => {
      if (done(sent)) resolve();
      else waiters.push([done, resolve]);
    });
  return { sent, send, until };
}

describe("links of one service sharing its rate", () => {
  it("stay together within the rate, take turns with their backlogs, and let a live message go first", async () => {
    const RATE = 2_000;
    const shape = bucketShape(RATE);
    const PER_LINK = 5;
    const { commit, dispatcher, redis, storePrefix } = spaces.space();
    // History entries of about 1000 bytes each: one per turn of the backlog (quantum 2000).
    const history: Mutation[] = Array.from({ length: PER_LINK }, (_, i) => ({
      op: "appendHistory",
      entry: historyEntry(i, 750),
      max: 50,
    }));
    await commit(history);
    await commit([A, B].map((l) => ({ op: "enqueueHistory", peer: l.peer, count: PER_LINK })));
    const log = sentLog();
    const waits: Link[] = [];
    const d = dispatcher(log.send, {
      peerRates: [{ services: SERVICE, bytesPerSecond: RATE }],
      onRateWait: (link) => void waits.push(link),
    });
    d.start();
    try {
      await Promise.all([d.kick(A), d.kick(B)]);
      await log.until((s) => s.length >= 3);
      const kickedAt = Date.now();
      await commit([
        {
          op: "enqueue",
          peer: C.peer,
          stanza: `<message to="${C.peer}"><body>live</body></message>`,
        },
      ]);
      await d.kick(C);
      await log.until((s) => s.length === 2 * PER_LINK + 1);

      const backlog = log.sent.filter((s) => s.peer !== C.peer);
      for (const link of [A, B]) {
        const bodies = backlog.filter((s) => s.peer === link.peer).map((s) => s.body.split(":")[0]);
        expect(bodies, `${link.peer}'s order`).toEqual(
          Array.from({ length: PER_LINK }, (_, i) => `${i}`),
        );
      }
      // Together within the rate: beyond the half of the burst the backlog may take at once,
      // every byte waited for the bucket to fill.
      const total = backlog.reduce((sum, s) => sum + s.bytes, 0);
      const took = backlog.at(-1)!.at - backlog[0]!.at;
      expect(took).toBeGreaterThanOrEqual(((total - shape.quantum) / RATE) * 1_000 - 50);
      expect(took).toBeLessThan((total / RATE) * 1_000 + 2_000);
      // In turns: while both have a backlog, neither sends twice in a row.
      const lastOfA = backlog.findLastIndex((s) => s.peer === A.peer);
      const lastOfB = backlog.findLastIndex((s) => s.peer === B.peer);
      const both = backlog.slice(0, Math.min(lastOfA, lastOfB) + 1);
      both.slice(1).forEach((s, i) => expect(s.peer, `send ${i + 1}`).not.toBe(both[i]!.peer));
      // The live message went at once: at most one backlog turn went between its commit and it.
      const live = log.sent.findIndex((s) => s.peer === C.peer);
      const between = log.sent.slice(0, live).filter((s) => s.at >= kickedAt);
      expect(between.length).toBeLessThanOrEqual(1);
      expect(live).toBeLessThan(log.sent.length - 1);
      expect(waits.length).toBeGreaterThan(0);
      expect(waits.every((l) => l.peer !== C.peer)).toBe(true);
    } finally {
      await d.close();
    }
    expect(await keysMatching(redis, `${storePrefix}*rate*`)).not.toEqual([]);
  }, 30_000);

  it("leaves the links to a service without a rate as they were: nothing paid, no key in Redis", async () => {
    const { append, dispatcher, redis, storePrefix } = spaces.space();
    await append(["one", "two", "three"]);
    const log = sentLog();
    const d = dispatcher(log.send, {
      peerRates: [{ services: "talk.elsewhere.example", bytesPerSecond: 100 }],
    });
    d.start();
    try {
      await d.kick(LINK);
      await log.until((s) => s.length === 3);
    } finally {
      await d.close();
    }
    expect(log.sent.map((s) => s.body)).toEqual(["one", "two", "three"]);
    expect(await keysMatching(redis, `${storePrefix}*rate*`)).toEqual([]);
  });
});

describe("copies sent again under a rate", () => {
  it("go in order, each once, a turn at a time: what a turn does not cover is put back", async () => {
    const RATE = 2_000;
    const space = spaces.space();
    await space.linkState("up", { session: "s1", rx: 0 });
    // About 1150 bytes paid each: one per turn of the backlog (a quantum of 2000).
    const bodies = Array.from({ length: 6 }, (_, i) => `m${i} ${"x".repeat(1_000)}`);
    await space.append(bodies);
    const out = counting();
    const d = space.dispatcher(out.send, {
      peerRates: [{ services: SERVICE, bytesPerSecond: RATE }],
    });
    d.start();
    try {
      await d.kick(LINK);
      await out.reached(6);
      const asked = Date.now();
      await d.acknowledged(LINK, { session: "s1", n: 0, resend: true });
      await out.reached(12);
      const took = Date.now() - asked;
      const seq = out.stanzas.map((el) => el.getChild("seq", NS.fedmuc)!.attrs);
      expect(seq.map((s) => Number(s.n))).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
      expect(seq.slice(6).map((s) => s.re)).toEqual(Array(6).fill("1"));
      expect(out.bodies.slice(6)).toEqual(bodies);
      // The first copies' round found the bucket at its backlog reserve: every copy waited for
      // its bytes (the last one's own bytes aside, paid when it went).
      const paid = out.stanzas.slice(6, 11).reduce((sum, el) => sum + paidBytes(el.toString()), 0);
      expect(took).toBeGreaterThanOrEqual(((paid - bucketShape(RATE).quantum) / RATE) * 1_000);
    } finally {
      await d.close();
    }
    const { seq } = sessionKeys(space.storePrefix, LINK.room, LINK.peer);
    expect(await space.redis.hget(seq, "resend")).toBe("0");
  }, 30_000);
});
