// Rate and priority on a shared, constrained path (libs/fmuc-core/README.md "Rate and priority
// on a shared path"), over real S2S on the two-site bed: the spoke's rooms share a rate toward
// the hub's service (FMUC_PEER_RATES) below what the path carries. Fifty rooms build a backlog
// while the path is cut (their links down, their outboxes waiting); it returns at 9.6 kbit/s.
// The rooms rejoin one by one as the rate pays for each rejoin: a live message in the first room
// back arrives, while most are still to rejoin, within a bound worked out from the rate and the
// message's own time on the path. Once all are back, while their backlogs drain, another live
// message arrives within the bound, and the backlogs drain in turns: every room's next missed
// message arrives before any room's last one, and all of them arrive.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml, type TestClient } from "../harness/client.js";
import { ROOMS, TALK, startFederatedSites, type FederatedSites } from "../harness/fmuc.js";
import { metric } from "../harness/metrics.js";
import {
  NS,
  createRoom,
  groupchatBody,
  join,
  presenceFrom,
  seen,
  sendGroupchat,
} from "../harness/muc.js";
import { waitForLog, waitForLogWhere } from "../harness/service.js";

const PATH_BITS = 9_600;
const PATH_BYTES = PATH_BITS / 8;
/** Bytes per second the spoke's links to the hub's service share: two thirds of the path, the
 * rest for what is not metered (joins' answers, checks, acknowledgements). */
const RATE = 800;
/** The bucket holds two seconds of the rate (libs/link-engine/src/rate.ts). */
const BURST = 2 * RATE;
/** About the most a rejoin of one of these rooms puts on the path (its presence with the
 * history asked for, the occupant list and the session offer). */
const REJOIN_BYTES = 700;
const ROOM_COUNT = 50;
const MISSED_PER_ROOM = 4;
// The spoke's checks of the path, and its joins' timeouts, must outlast what may wait on the path
// when it returns (a burst of the rate, the hub's answers to the rejoins), or a return could
// look like a new outage.
const TIMERS = {
  FMUC_JOIN_TIMEOUT_MS: "30000",
  FMUC_RETRY_MAX_MS: "30000",
  FMUC_PING_INTERVAL_MS: "30000",
};
const names = Array.from({ length: ROOM_COUNT }, (_, i) => `r${String(i).padStart(2, "0")}`);
const hubRoom = (name: string) => `${name}@${ROOMS.domain}`;
const spokeRoom = (name: string) => `${name}@${TALK.domain}`;
const missed = (name: string, i: number) => `${name} missed ${i}`;

let bed: FederatedSites<"alice" | "hamlet">;
let alice: TestClient, hamlet: TestClient;

beforeAll(async () => {
  bed = await startFederatedSites({
    hub: {
      users: ["alice"],
      services: [{ component: ROOMS, env: { FMUC_ALLOW: TALK.domain } }],
    },
    spoke: {
      users: ["hamlet"],
      services: [
        {
          component: TALK,
          env: {
            ...TIMERS,
            FMUC_UPSTREAM: ROOMS.domain,
            FMUC_PEER_RATES: `${ROOMS.domain}=${RATE}`,
          },
        },
      ],
    },
  });
  ({ alice, hamlet } = await bed.connectUsers());
  for (const name of [...names, "live"]) {
    await createRoom(alice, hubRoom(name), "Alice");
    await join(hamlet, spokeRoom(name), "Hamlet");
    await seen(hamlet, presenceFrom(`${spokeRoom(name)}/Alice`), 15_000);
  }
  // What the joins set off has crossed once a message from each room has: each link keeps its
  // order (at the rate, the setup's traffic takes a while).
  for (const name of [...names, "live"])
    await sendGroupchat(hamlet, spokeRoom(name), `${name} set`);
  for (const name of [...names, "live"]) await seen(alice, groupchatBody(`${name} set`), 120_000);
}, 360_000);

afterAll(async () => {
  await bed?.stop();
});

const rateWaits = () =>
  metric(bed.spoke, `fedmuc_link_rate_waits_total{peer_service="${ROOMS.domain}"}`);
const readCount = (file: string, text: string) => readFileSync(file, "utf8").split(text).length - 1;
const LINK_UP = '"msg":"federation link up"';
/** The rooms whose links came up in `log` after its first `ups` such lines, in order. */
const upSince = (log: string, ups: number) =>
  log
    .split("\n")
    .filter((line) => line.includes(LINK_UP))
    .slice(ups)
    .map((line) => (JSON.parse(line) as { room: string }).room);

/** A ping from hamlet to alice's client, across the path: back once what was on it crossed. */
async function pathPing(): Promise<void> {
  const id = `path-ping-${Date.now()}`;
  await hamlet.send(xml("iq", { to: alice.jid, type: "get", id }, xml("ping", { xmlns: NS.ping })));
  await hamlet.waitFor((el) => el.attrs.id === id && el.attrs.type === "result", 120_000);
}

const bodiesOf = (name: string) =>
  Array.from({ length: MISSED_PER_ROOM }, (_, i) => missed(name, i));

/** Ms from hamlet's sending `body` in the live room until alice has it at the hub. */
async function liveMessage(body: string, timeoutMs: number): Promise<number> {
  const start = performance.now();
  await sendGroupchat(hamlet, spokeRoom("live"), body);
  await alice.waitFor(groupchatBody(body), timeoutMs);
  return performance.now() - start;
}

describe("rate and priority on a shared path: 50 rooms' rejoins and backlogs over 9.6 kbit/s", () => {
  it("a live message passes the rejoins and the backlogs within a bound set by the rate, and every room's backlog drains in turn", async () => {
    const { shaper } = bed.sites;
    shaper.setRate(PATH_BITS);
    // The live message's own time on the shaped path, with nothing ahead of it (the slowest
    // of three): what the bound adds the bucket's burst to.
    let alone = 0;
    for (let i = 0; i < 3; i++) alone = Math.max(alone, await liveMessage(`alone ${i}`, 15_000));
    // The hub's message back carries its acknowledgement of them: nothing of the live room is
    // left to be sent again after the outage, ahead of what is sent live then.
    await sendGroupchat(alice, hubRoom("live"), "acknowledged");
    await hamlet.waitFor(groupchatBody("acknowledged"), 15_000);

    const down = waitForLog(bed.spoke.logFile, `path to ${ROOMS.domain} down`, 90_000);
    await shaper.cut();
    await down;
    for (const name of names) {
      for (let i = 0; i < MISSED_PER_ROOM; i++) {
        await sendGroupchat(hamlet, spokeRoom(name), missed(name, i));
      }
    }
    for (const name of names) {
      for (let i = 0; i < MISSED_PER_ROOM; i++)
        await seen(hamlet, groupchatBody(missed(name, i)), 15_000);
    }
    const arrivals = new Map<string, number>();
    const bodies = names.flatMap((n) =>
      Array.from({ length: MISSED_PER_ROOM }, (_, i) => missed(n, i)),
    );
    const drained = Promise.all(
      bodies.map((b) =>
        alice
          .waitFor(groupchatBody(b), 600_000)
          .then(() => void arrivals.set(b, performance.now())),
      ),
    );

    const ups = readCount(bed.spoke.logFile, LINK_UP);
    const waitsBefore = await rateWaits();
    const restoredAt = performance.now();
    await shaper.restore();
    // The rooms rejoin by name, "live" first, each once the rate paid for the one before.
    await waitForLogWhere(
      bed.spoke.logFile,
      (log) => upSince(log, ups).includes(spokeRoom("live")),
      "the live room's link up",
      120_000,
    );
    const rejoiningMs = await liveMessage("live during the rejoins", 60_000);
    const backAtLive = upSince(readFileSync(bed.spoke.logFile, "utf8"), ups).length;
    // Every link of the spoke is up again: its rejoins have crossed and been answered.
    await waitForLog(bed.spoke.logFile, LINK_UP, 300_000, ups + ROOM_COUNT + 1);
    const allUpMs = performance.now() - restoredAt;
    // What is not metered (the answers' acknowledgements, checks) has crossed once a ping
    // across the path, behind whatever is on it, comes back.
    await pathPing();
    const pendingSince = performance.now();
    const pending = names.filter((n) => !arrivals.has(missed(n, MISSED_PER_ROOM - 2)));
    const backlogAtLive = arrivals.size;
    const liveMs = await liveMessage("live during the resync", 60_000);
    const stillDraining = arrivals.size < bodies.length;
    await drained;
    const drainedMs = performance.now() - restoredAt;

    // The bound: the live message pays at once (the backlog leaves it half the bucket, a rejoin
    // a quarter), and ahead of it on the path is at most what the bucket let out at once, its
    // burst, and one rejoin sent before it was paid for; they drain at the path's rate.
    const bound = alone + ((BURST + REJOIN_BYTES) / PATH_BYTES) * 1_000;
    // The rooms that had two or more missed messages left once every link was up: from then on
    // they take turns, so each one's next message arrives before any one's last.
    const nexts = pending.map((n) =>
      Math.min(
        ...bodiesOf(n)
          .map((b) => arrivals.get(b)!)
          .filter((t) => t >= pendingSince),
      ),
    );
    const lasts = pending.map((n) => arrivals.get(missed(n, MISSED_PER_ROOM - 1))!);
    const waits = (await rateWaits()) - waitsBefore;
    console.info(
      `shared path: live message alone ${alone.toFixed(0)} ms, during the rejoins ` +
        `${rejoiningMs.toFixed(0)} ms with ${backAtLive}/${ROOM_COUNT + 1} links back; all ` +
        `back ${(allUpMs / 1000).toFixed(1)} s after the restore; during the backlogs ` +
        `${liveMs.toFixed(0)} ms (bound ${bound.toFixed(0)} ms), ${backlogAtLive}/${bodies.length} ` +
        `missed messages arrived before it; all within ${(drainedMs / 1000).toFixed(1)} s of the ` +
        `restore; ${pending.length} rooms with 2 or more left: their next by ` +
        `${((Math.max(...nexts) - restoredAt) / 1000).toFixed(1)} s, their last from ` +
        `${((Math.min(...lasts) - restoredAt) / 1000).toFixed(1)} s; ${waits} waits for the rate`,
    );
    expect(rejoiningMs, "the live message's time across the rejoins, ms").toBeLessThanOrEqual(
      bound,
    );
    expect(backAtLive, "links back when the live message went").toBeLessThan(ROOM_COUNT / 2);
    expect(liveMs, "the live message's time across the resync, ms").toBeLessThanOrEqual(bound);
    expect(stillDraining, "backlog still draining when the live message arrived").toBe(true);
    expect(pending.length, "rooms with a backlog left once every link was up").toBeGreaterThan(10);
    expect(Math.max(...nexts), "each room's next before any room's last").toBeLessThan(
      Math.min(...lasts),
    );
    expect(arrivals.size).toBe(bodies.length);
    expect(waits, "deliveries that waited for the rate").toBeGreaterThan(0);
  }, 480_000);
});
