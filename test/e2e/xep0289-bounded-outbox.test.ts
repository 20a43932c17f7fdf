// XEP-0289 bounded backlogs over real S2S (libs/fmuc-core/README.md, "Bounded backlogs"): the
// spoke's path is cut while the hub's users go on talking, past the link's outbox bound (set
// small here). The hub's Redis keeps no more than the bound, counting what it dropped; on the
// path's return the link starts afresh: the spoke gets the room's recent history and a status
// message saying how many messages from the hub did not cross since when, and the hub's users
// are told what did not reach the spoke.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestClient } from "../harness/client.js";
import { groupchatBody, sendGroupchat, type Element } from "../harness/muc.js";
import {
  OUTAGE_TIMERS,
  ROOMS,
  TALK,
  federatedRooms,
  startFederatedSites,
  type FederatedSites,
} from "../harness/fmuc.js";
import { metric } from "../harness/metrics.js";
import { connectRedis } from "../harness/redis.js";
import { waitForLog } from "../harness/service.js";
import { outboxKey } from "@fedmuc/room-store";

const HUB_ROOM = `tarts@${ROOMS.domain}`;
const SPOKE_ROOM = `tarts@${TALK.domain}`;
const MAX_BYTES = 2048;
const SAID = 30;
const text = (i: number) => `lost ${i} ${"of the tarts the Knave of Hearts stole ".repeat(2)}`;

let bed: FederatedSites<"alice" | "hamlet">;
let alice: TestClient, hamlet: TestClient;

beforeAll(async () => {
  bed = await startFederatedSites({
    hub: {
      users: ["alice"],
      services: [
        {
          component: ROOMS,
          env: {
            ...OUTAGE_TIMERS,
            FMUC_ALLOW: TALK.domain,
            FMUC_OUTBOX_MAX_BYTES: String(MAX_BYTES),
            MUC_HISTORY_MAX: "5",
          },
        },
      ],
    },
    spoke: {
      users: ["hamlet"],
      services: [{ component: TALK, env: { ...OUTAGE_TIMERS, FMUC_UPSTREAM: ROOMS.domain } }],
    },
  });
  ({ alice, hamlet } = await bed.connectUsers());
  await federatedRooms(
    { user: alice, room: HUB_ROOM, nick: "Alice" },
    { user: hamlet, room: SPOKE_ROOM, nick: "Hamlet" },
  );
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** A status message from `room` (its bare JID) whose body contains `part`. */
const statusFrom =
  (room: string, part: string) =>
  (el: Element): boolean =>
    el.is("message") &&
    el.attrs.from === room &&
    el.attrs.type === "groupchat" &&
    (el.getChildText("body") ?? "").includes(part);

/** The hub's outbox for the spoke: how many entries, and their bytes as the bound counts them
 * (field names and values but the running count 'o'). */
async function hubOutbox(): Promise<{ entries: number; bytes: number }> {
  const redis = connectRedis(bed.redis.hub);
  try {
    const key = outboxKey(bed.hub.options.keyPrefix, HUB_ROOM, SPOKE_ROOM);
    const rows = await redis.xrange(key, "-", "+");
    const bytes = rows
      .flatMap(([, fields]) =>
        fields.flatMap((f, i) => (i % 2 === 0 && f !== "o" ? [f, fields[i + 1]!] : [])),
      )
      .reduce((n, f) => n + f.length, 0);
    return { entries: rows.length, bytes };
  } finally {
    redis.disconnect();
  }
}

const dropped = (what: "stanzas" | "messages") =>
  metric(bed.hub, `fedmuc_link_dropped_${what}_total{peer_service="${TALK.domain}"}`);

describe("XEP-0289 bounded backlogs: a peer away past its link's bound", () => {
  it("keeps the hub's Redis within the bound, then resyncs the spoke from history and says what was lost", async () => {
    const { shaper } = bed.sites;
    const down = waitForLog(bed.hub.logFile, '"msg":"federation link down"', 30_000);
    // The spoke rejoins only once its check of the path has found the cut.
    const spokeDown = waitForLog(bed.spoke.logFile, `path to ${ROOMS.domain} down`, 30_000);
    await shaper.cut();
    // The hub finds the link down when what it sends the spoke bounces.
    await sendGroupchat(alice, HUB_ROOM, "into the cut");
    await down;
    for (let i = 0; i < SAID; i++) await sendGroupchat(alice, HUB_ROOM, text(i));
    await alice.waitFor(groupchatBody(text(SAID - 1)), 10_000); // all of them committed

    // What waits for the spoke stays within the bound; the oldest went, and were counted.
    const waiting = await hubOutbox();
    expect(waiting.bytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(waiting.entries).toBeLessThan(SAID);
    const messages = await dropped("messages");
    expect(messages).toBeGreaterThanOrEqual(SAID - waiting.entries);
    expect(await dropped("stanzas")).toBeGreaterThanOrEqual(messages);
    await waitForLog(bed.hub.logFile, "federation link backlog full: dropping its oldest", 5_000);

    await spokeDown;
    await shaper.restore();
    // The spoke's users: the room's recent history, then how many did not cross, from where.
    const told = await hamlet.waitFor(
      statusFrom(SPOKE_ROOM, `sent at ${ROOMS.domain} since`),
      60_000,
    );
    const body = told.getChildText("body")!;
    expect(body).toMatch(
      new RegExp(
        `^${messages} messages sent at ${ROOMS.domain} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z could not be delivered here: the link was down for longer than its backlog holds\\. The room's recent history was sent instead\\.$`,
      ),
    );
    await hamlet.waitFor(groupchatBody(text(SAID - 1)), 10_000);
    const bodies = hamlet.received.map((el) => el.getChildText("body"));
    expect(bodies).not.toContain(text(0)); // dropped, and older than the history holds
    // The hub's users: what did not reach the spoke.
    const hubTold = await alice.waitFor(
      statusFrom(HUB_ROOM, `could not be delivered to ${TALK.domain}`),
      10_000,
    );
    expect(hubTold.getChildText("body")).toMatch(
      new RegExp(`^${messages} messages sent here since`),
    );

    // The link goes on in its fresh session, and the loss is forgotten.
    await sendGroupchat(alice, HUB_ROOM, "after the return");
    await hamlet.waitFor(groupchatBody("after the return"), 30_000);
    const redis = connectRedis(bed.redis.hub);
    try {
      const lost = `${bed.hub.options.keyPrefix}{${HUB_ROOM}}:lost`;
      expect(await redis.exists(lost)).toBe(0);
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});
