// The return of a path with a rate, against a real Redis: its links are told one by one, by
// room, each once the rate has paid for what the one before sent; a link that sends nothing
// waits for nobody; the queue waits as long as the rate says; a turn of a stale chain, or one
// while the path is down again, tells nobody; a service without a rate is told at once.
import { describe, expect, it } from "vitest";
import { PathStore } from "@fedmuc/room-store";
import { parse } from "@fedmuc/xmpp";
import { uniquePrefix } from "../../../test/harness/redis.js";
import { redisPerFile } from "../../../test/harness/redis-per-file.js";
import { PacedRejoins, REJOIN_TIMER } from "./paced-rejoins.js";
import { PATH_TIMER, PathWatch } from "./path-watch.js";

const redis = redisPerFile();
const HUB = "rooms.hub.example";
const SPOKE = "talk.spoke.example";
/** Rooms c and a joined the hub (a rejoin sends 600 bytes); b's link the hub joined (none). */
const SENDS: Record<string, number> = {
  [`a@${SPOKE}`]: 600,
  [`b@${SPOKE}`]: 0,
  [`c@${SPOKE}`]: 600,
};
const ROOMS = Object.keys(SENDS);
const pong = parse(`<iq type="result" id="fmuc-path" from="${HUB}" to="${SPOKE}"/>`);

async function returning(rated: boolean) {
  const store = new PathStore(redis.client, uniquePrefix());
  for (const room of [...ROOMS].reverse()) await store.noteLink(room, `x@${HUB}`, true);
  const timers: { purpose: string; gen: number; afterMs: number }[] = [];
  const told: string[] = [];
  const paid: number[] = [];
  /** The bucket: holds `tokens`; a payment beyond them waits 1 s. */
  const bucket = { tokens: 600 };
  const tell = async (room: string, _peer: string, changed = "up") => {
    told.push(`${room} ${changed}`);
    return changed === "up" ? SENDS[room]! : 0;
  };
  const timer = (purpose: string) => async (_s: string, gen: number, afterMs: number) =>
    void timers.push({ purpose, gen, afterMs });
  const rejoins = new PacedRejoins({
    store,
    paced: (service) => rated && service === HUB,
    pay: async (_service, bytes) => {
      if (bytes > bucket.tokens) return 1000;
      bucket.tokens -= bytes;
      paid.push(bytes);
      return 0;
    },
    schedule: timer(REJOIN_TIMER),
    tell: (room, peer) => tell(room, peer),
  });
  const watch = new PathWatch({
    store,
    domain: SPOKE,
    intervalMs: 1000,
    maxMs: 4000,
    send: async () => {},
    schedule: timer(PATH_TIMER),
    changed: (room, peer, changed) => tell(room, peer, changed).then(() => {}),
    rejoins,
    log: () => {},
  });
  // The path goes down (a check unanswered), then answers: a new chain sees it back.
  await watch.watch(`x@${HUB}`);
  await watch.due(HUB, 1);
  await watch.due(HUB, 1);
  await watch.answered(pong);
  await watch.due(HUB, 2);
  return { store, watch, timers, told, paid, bucket };
}

const rejoinTimers = (timers: { purpose: string; afterMs: number }[]) =>
  timers.filter((t) => t.purpose === REJOIN_TIMER);

describe("the return of a path with a rate", () => {
  it("tells its links one by one, by room, each once the rate paid for what the one before sent", async () => {
    const { watch, timers, told, paid, bucket } = await returning(true);
    expect(told.filter((t) => t.endsWith("up"))).toEqual([]); // nobody told at once
    expect(rejoinTimers(timers)).toEqual([{ purpose: REJOIN_TIMER, gen: 2, afterMs: 0 }]);
    await watch.rejoinsDue(HUB, 2);
    // a's rejoin (600 B) is paid, b's return sends nothing, c's rejoin is owed; the bucket is
    // empty: the queue waits as the rate says, then pays c's and finds nobody left.
    expect(told.filter((t) => t.endsWith("up"))).toEqual(ROOMS.map((r) => `${r} up`));
    expect(paid).toEqual([600]);
    expect(rejoinTimers(timers).at(-1)).toEqual({ purpose: REJOIN_TIMER, gen: 2, afterMs: 1000 });
    bucket.tokens = 600;
    await watch.rejoinsDue(HUB, 2);
    expect(paid).toEqual([600, 600]);
    expect(rejoinTimers(timers)).toHaveLength(2);
    expect(told.filter((t) => t.endsWith("up"))).toHaveLength(3);
  });

  it("waits between rejoins for as long as the rate says", async () => {
    const { watch, timers, told, bucket } = await returning(true);
    bucket.tokens = 0;
    await watch.rejoinsDue(HUB, 2);
    expect(told.filter((t) => t.endsWith("up"))).toEqual([`a@${SPOKE} up`]); // then a's is owed
    expect(rejoinTimers(timers).at(-1)?.afterMs).toBe(1000);
    await watch.rejoinsDue(HUB, 2); // still nothing in the bucket
    expect(told.filter((t) => t.endsWith("up"))).toHaveLength(1);
  });

  it("a stale chain's turn, or a turn while the path is down again, tells nobody", async () => {
    const { watch, told } = await returning(true);
    await watch.rejoinsDue(HUB, 1);
    expect(told.filter((t) => t.endsWith("up"))).toEqual([]);
    await watch.bounced(`x@${HUB}`); // a link's stanza bounced about the path: checked now
    await watch.due(HUB, 3); // unanswered since the bounce: down again
    await watch.rejoinsDue(HUB, 3);
    expect(told.filter((t) => t.endsWith("up"))).toEqual([]);
  });

  it("a service without a rate: every link is told at once", async () => {
    const { told, timers } = await returning(false);
    expect(told.filter((t) => t.endsWith("up")).sort()).toEqual(ROOMS.map((r) => `${r} up`));
    expect(rejoinTimers(timers)).toEqual([]);
  });
});
