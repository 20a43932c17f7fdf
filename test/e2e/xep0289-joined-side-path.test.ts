// XEP-0289 path health on the joined side over real S2S (libs/fmuc-core/README.md "Link health"):
// a cut shorter than the spoke's check, so the spoke never notices it, in which the hub's message
// bounces and takes the hub's link down. The hub then watches the path itself; once the path is
// restored, its next check is answered, the link is up again and the message reaches the spoke,
// without the spoke ever joining again.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestClient } from "../harness/client.js";
import { groupchatBody, sendGroupchat } from "../harness/muc.js";
import {
  OUTAGE_TIMERS,
  ROOMS,
  TALK,
  federatedRooms,
  startFederatedSites,
  type FederatedSites,
} from "../harness/fmuc.js";
import { linksOf, waitForLog } from "../harness/service.js";

const HUB_ROOM = `queens@${ROOMS.domain}`;
const SPOKE_ROOM = `queens@${TALK.domain}`;
/** The hub's check interval, and its longest pause while the path is down (FMUC_RETRY_MAX_MS is
 * shorter): after the restore its next check is at most this far off. */
const HUB_CHECK_MS = Number(OUTAGE_TIMERS.FMUC_PING_INTERVAL_MS);
/** The spoke checks far less often than the test lasts: it cannot notice the cut. */
const SPOKE_CHECK_MS = 600_000;
/** The restored path's first answer, then the message: a new S2S connection each way (dialback)
 * and a few stanzas, through the shaper. */
const S2S_MS = 5_000;

/** The hub checks as the outage suites do; the spoke far less often than the test lasts. */
const hubService = { component: ROOMS, env: { ...OUTAGE_TIMERS, FMUC_ALLOW: TALK.domain } };
const spokeEnv = { ...OUTAGE_TIMERS, FMUC_PING_INTERVAL_MS: String(SPOKE_CHECK_MS) };
const spokeService = { component: TALK, env: { ...spokeEnv, FMUC_UPSTREAM: ROOMS.domain } };

let bed: FederatedSites<"alice" | "hamlet">;
let alice: TestClient, hamlet: TestClient;

beforeAll(async () => {
  const hub = { users: ["alice" as const], services: [hubService] };
  bed = await startFederatedSites({ hub, spoke: { users: ["hamlet"], services: [spokeService] } });
  ({ alice, hamlet } = await bed.connectUsers());
  await federatedRooms(
    { user: alice, room: HUB_ROOM, nick: "Alice" },
    { user: hamlet, room: SPOKE_ROOM, nick: "Hamlet" },
  );
  // The spoke notes its link up once the join's subject is in, which may follow the presences.
  await waitForLog(bed.spoke.logFile, '"msg":"federation link up"');
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

const countOf = (file: string, part: string) => readFileSync(file, "utf8").split(part).length - 1;
const LINK_STATE = '"msg":"federation link ';

describe("XEP-0289 path health: the joined side watches the path of a link that went down", () => {
  it("after a cut the spoke never noticed, the hub's message reaches the spoke without a rejoin", async () => {
    const { shaper } = bed.sites;
    const hubLog = bed.hub.logFile;
    const spokeStates = countOf(bed.spoke.logFile, LINK_STATE);
    const hubDowns = countOf(hubLog, '"msg":"federation link down"');
    // Hamlet speaks first: his message carries the spoke's acknowledgement of what the hub
    // sent, so the spoke has nothing to send in the cut (a bounce of its own would take its
    // link down, and it would join again).
    await sendGroupchat(hamlet, SPOKE_ROOM, "before the cut");
    await alice.waitFor(groupchatBody("before the cut"), 15_000);
    await shaper.cut();
    await sendGroupchat(alice, HUB_ROOM, "said during the cut");
    // The message bounced at the hub's server: the hub's link is down, its path in doubt.
    await waitForLog(hubLog, '"msg":"federation link down"', 30_000, hubDowns + 1);
    await waitForLog(hubLog, `path to ${TALK.domain} down`, 10_000);
    await shaper.restore();
    const restored = Date.now();
    await hamlet.waitFor(groupchatBody("said during the cut"), HUB_CHECK_MS + S2S_MS + 5_000);
    const tookMs = Date.now() - restored;
    await waitForLog(hubLog, "its link is up without a rejoin");
    expect(tookMs).toBeLessThan(HUB_CHECK_MS + S2S_MS);
    // Once: a message after it arrives, and the one from the cut has not come twice.
    await sendGroupchat(alice, HUB_ROOM, "after the cut");
    await hamlet.waitFor(groupchatBody("after the cut"), 15_000);
    const received = hamlet.received.filter(groupchatBody("said during the cut"));
    expect(received).toHaveLength(1);
    // The spoke's link never changed state: it never went down, nor joined again.
    expect(countOf(bed.spoke.logFile, LINK_STATE)).toBe(spokeStates);
    expect((await linksOf(bed.spoke)).map((l) => [l.room, l.state])).toEqual([[SPOKE_ROOM, "up"]]);
    expect((await linksOf(bed.hub)).map((l) => [l.room, l.state])).toEqual([[HUB_ROOM, "up"]]);
  }, 90_000);
});
