// The link dispatcher against a real Redis: order, retries with backoff, and takeover of a link
// whose worker died, with traffic appended by real room commits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Element } from "@fedmuc/xmpp";
import { LINK, numbered, recorder, startLinkSpaces } from "../../../test/harness/link-space.js";
import { LINK_QUEUE, type TimerKey } from "./dispatcher.js";
import { LINK_SHARDS, shardPrefix, type Link } from "./link.js";

let spaces: Awaited<ReturnType<typeof startLinkSpaces>>;
beforeAll(async () => {
  spaces = await startLinkSpaces();
});
afterAll(async () => {
  await spaces?.stop();
});
const space = () => spaces.space();

describe("LinkDispatcher", () => {
  it("sends a link's traffic in commit order and empties its outbox", async () => {
    const { append, dispatcher, outbox, redis } = space();
    const rec = recorder(30);
    const d = dispatcher(rec.send);
    d.start();
    for (let i = 0; i < 30; i += 10) {
      await append(numbered(10, i));
      await d.kick(LINK);
    }
    await rec.done;
    expect(rec.bodies).toEqual(numbered(30));
    await d.close();
    expect(await outbox.pending(LINK)).toBe(0);
    // An emptied outbox is no key at all: an idle link costs no stream.
    expect(await redis.exists(outbox.key(LINK))).toBe(0);
  });

  it("keeps each shard's stream of job events short, however many jobs ran", async () => {
    const { dispatcher, redis, queuePrefix } = space();
    const JOBS = 2_000; // some 3 events each: a few hundred a shard, more than it keeps
    let fired = 0;
    let allFired!: () => void;
    const done = new Promise<void>((resolve) => (allFired = resolve));
    const d = dispatcher(async () => {}, {
      onTimer: async () => void (++fired === JOBS && allFired()),
    });
    d.start();
    const links = Array.from({ length: JOBS }, (_, i) => ({ ...LINK, peer: `p${i}@${LINK.peer}` }));
    await Promise.all(links.map((l) => d.schedule(l, { purpose: "ping", joins: 1 }, 0)));
    await done;
    await d.close();
    const lengths = await Promise.all(
      Array.from({ length: LINK_SHARDS }, (_, i) =>
        redis.xlen(`${shardPrefix(queuePrefix, i)}:${LINK_QUEUE}:events`),
      ),
    );
    expect(lengths.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    for (const n of lengths) expect(n).toBeLessThanOrEqual(250);
  }, 60_000);

  it("retries a failing link with backoff, losing and reordering nothing", async () => {
    const { append, dispatcher } = space();
    const rec = recorder(20, 3);
    const d = dispatcher(rec.send);
    d.start();
    await append(numbered(10));
    await d.kick(LINK);
    await append(numbered(10, 10)); // while the link fails, later traffic waits behind
    await d.kick(LINK);
    await rec.done;
    expect(rec.failures()).toBe(3);
    expect(rec.bodies).toEqual(numbered(20));
    await d.close();
  });

  it("lets another worker take over a link whose worker died, in order, with nothing lost", async () => {
    const { append, dispatcher } = space();
    await append(numbered(20));
    // The first worker hangs on its first send, as a process that died would, and never renews
    // its lock; the second takes the link over once the lock expires.
    let hang!: () => void;
    const stuck = new Promise<void>((resolve) => (hang = resolve));
    let started!: () => void;
    const sending = new Promise<void>((resolve) => (started = resolve));
    const dead = dispatcher(
      async () => {
        started();
        await stuck;
        throw new Error("the process is gone");
      },
      { lockMs: 500 },
    );
    dead.start();
    await dead.kick(LINK);
    await sending;
    await dead.close(true); // stops renewing the lock; the job stays active in Redis
    const rec = recorder(20);
    const heir = dispatcher(rec.send, { lockMs: 500 });
    heir.start();
    await rec.done;
    hang();
    expect(rec.bodies).toEqual(numbered(20));
    await heir.close();
  });

  it("holds a link's traffic while the link is not up, then sends it with its queued time", async () => {
    const { append, linkState, dispatcher, outbox } = space();
    await linkState("down");
    await append(numbered(3));
    const held: Element[] = [];
    const first = dispatcher(async (el) => void held.push(el));
    first.start();
    await first.kick(LINK);
    await first.close(); // waits for the job, which found the link down
    expect(held).toEqual([]);
    expect(await outbox.pending(LINK)).toBe(3);

    await linkState("up");
    const rec = recorder(3);
    const stamped: Element[] = [];
    const second = dispatcher(
      async (el) => {
        stamped.push(el);
        await rec.send(el);
      },
      { stampAfterMs: 0 },
    );
    second.start();
    await second.kick(LINK);
    await rec.done;
    expect(rec.bodies).toEqual(numbered(3));
    const delay = stamped[0]!.getChild("delay", "urn:xmpp:delay");
    expect(delay?.attrs.from).toBe(LINK.room);
    expect(Date.parse(delay!.attrs.stamp!)).toBeLessThanOrEqual(Date.now());
    await second.close();
  });

  it("runs a link's timer once after its delay, however often it is scheduled", async () => {
    const { dispatcher } = space();
    const fired: [Link, TimerKey][] = [];
    let done!: () => void;
    const once = new Promise<void>((resolve) => (done = resolve));
    const d = dispatcher(async () => {}, {
      onTimer: async (link, timer) => {
        fired.push([link, timer]);
        done();
      },
    });
    d.start();
    const scheduled = Date.now();
    await d.schedule(LINK, { purpose: "join", joins: 2 }, 100);
    await d.schedule(LINK, { purpose: "join", joins: 2 }, 100);
    await once;
    expect(Date.now() - scheduled).toBeGreaterThanOrEqual(100);
    await d.close();
    expect(fired).toEqual([[LINK, { purpose: "join", joins: 2 }]]);
  });
});
