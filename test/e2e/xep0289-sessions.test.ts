// XEP-0289 link sessions over real S2S (libs/fmuc-core/README.md, "Link sessions"): two sites,
// this service as each site's MUC with its own Redis, the link cut while messages are on their
// way. S2S loses what was in flight; the sessions deliver every message exactly once, in order,
// and a rejoin resumes the session instead of sending the room's state again. The spoke's Redis
// keeps its data on disk and is restarted during an outage: nothing is lost with it.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestClient } from "../harness/client.js";
import { groupchatBody, presenceFrom, sendGroupchat, type Element } from "../harness/muc.js";
import {
  OUTAGE_TIMERS,
  ROOMS,
  TALK,
  barrier,
  federatedRooms,
  startFederatedSites,
  withFmuc,
  type FederatedSites,
} from "../harness/fmuc.js";
import { metric } from "../harness/metrics.js";
import { waitForLog, type ServiceHandle } from "../harness/service.js";

const HUB_ROOM = `rabbithole@${ROOMS.domain}`;
const SPOKE_ROOM = `rabbithole@${TALK.domain}`;

let bed: FederatedSites<"alice" | "hamlet">;
let alice: TestClient, hamlet: TestClient;

beforeAll(async () => {
  bed = await startFederatedSites({
    hub: {
      users: ["alice"],
      services: [{ component: ROOMS, env: { ...OUTAGE_TIMERS, FMUC_ALLOW: TALK.domain } }],
    },
    spoke: {
      users: ["hamlet"],
      services: [{ component: TALK, env: { ...OUTAGE_TIMERS, FMUC_UPSTREAM: ROOMS.domain } }],
      redis: { persistence: true },
    },
  });
  ({ alice, hamlet } = await bed.connectUsers());
  await federatedRooms(
    { user: alice, room: HUB_ROOM, nick: "Alice", config: { persistentroom: "1" } },
    { user: hamlet, room: SPOKE_ROOM, nick: "Hamlet" },
  );
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

const bodies = (c: TestClient, prefix: string) =>
  c.received
    .filter((el: Element) => el.is("message") && el.getChildText("body")?.startsWith(prefix))
    .map((el) => el.getChildText("body")!);
const numbered = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}`);
const bothRooms = () =>
  [
    { room: HUB_ROOM, clients: [alice] },
    { room: SPOKE_ROOM, clients: [hamlet] },
  ] as const;

/** Sends `texts` into the room, one after the other, without waiting for them to arrive. */
async function say(client: TestClient, room: string, texts: string[]): Promise<void> {
  for (const text of texts) await sendGroupchat(client, room, text);
}

/** Waits until `client` has each of `texts`. */
async function arrived(client: TestClient, texts: string[]): Promise<void> {
  for (const text of texts) {
    if (!client.received.some(groupchatBody(text))) {
      await client.waitFor(groupchatBody(text), 60_000);
    }
  }
}

/** Resolves once the service logs that a link went down, counting from now. */
function linkDown(service: ServiceHandle): Promise<void> {
  const text = "federation link down";
  const before = readFileSync(service.logFile, "utf8").split(text).length - 1;
  return waitForLog(service.logFile, text, 30_000, before + 1);
}

const leftAnyone = (c: TestClient) =>
  c.received.filter((el) => el.is("presence") && el.attrs.type === "unavailable");

describe("XEP-0289 link sessions over real S2S", () => {
  it("messages on their way when the link breaks cross once when it is back; the rejoin resumes the session", async () => {
    const { shaper } = bed.sites;
    shaper.setLatency(400); // so that a burst is still on the wire when the link breaks
    const fromHub = numbered("cut-h", 0, 20);
    const fromSpoke = numbered("cut-s", 0, 20);
    await Promise.all([say(alice, HUB_ROOM, fromHub), say(hamlet, SPOKE_ROOM, fromSpoke)]);
    await alice.waitFor(groupchatBody(fromHub.at(-1)!)); // sent: now on its way to the spoke
    await shaper.cut();
    // Both sides chat on while the link is down, and see their stanzas bounce.
    const moreHub = numbered("cut-h", 20, 25);
    const moreSpoke = numbered("cut-s", 20, 25);
    await Promise.all([say(alice, HUB_ROOM, moreHub), say(hamlet, SPOKE_ROOM, moreSpoke)]);
    await Promise.all([linkDown(bed.spoke), linkDown(bed.hub)]);
    await shaper.restore();
    await waitForLog(bed.spoke.logFile, `resumed the session with ${HUB_ROOM}`, 60_000);

    await arrived(hamlet, [...fromHub, ...moreHub]);
    await arrived(alice, [...fromSpoke, ...moreSpoke]);
    await barrier(...bothRooms());
    // Exactly once, in order.
    expect(bodies(hamlet, "cut-h")).toEqual([...fromHub, ...moreHub]);
    expect(bodies(alice, "cut-s")).toEqual([...fromSpoke, ...moreSpoke]);
    // Nobody left, and nobody was shown again: the state did not cross a second time.
    expect(leftAnyone(alice)).toEqual([]);
    expect(leftAnyone(hamlet)).toEqual([]);
    expect(alice.received.filter(presenceFrom(`${HUB_ROOM}/Hamlet`))).toHaveLength(1);
    expect(hamlet.received.filter(presenceFrom(`${SPOKE_ROOM}/Alice`))).toHaveLength(1);
    // What waited reached the clients with the time it was sent (XEP-0203).
    const late = hamlet.received.find(groupchatBody(moreHub[0]!))!;
    expect(late.getChild("delay", "urn:xmpp:delay")?.attrs.stamp).toMatch(/^\d{4}-/);
    expect([...withFmuc(alice), ...withFmuc(hamlet)]).toEqual([]);
    // What was on its way at the cut went again, and the operator sees it.
    const resent = (s: ServiceHandle, peer: string) =>
      metric(s, `fedmuc_link_resent_stanzas_total{peer_service="${peer}"}`);
    expect(await resent(bed.hub, TALK.domain)).toBeGreaterThan(0);
  }, 180_000);

  it("the spoke's Redis restarts during an outage: what waited there crosses once afterwards", async () => {
    const { shaper } = bed.sites;
    shaper.setLatency(0);
    await shaper.cut();
    const during = numbered("redis-s", 0, 10);
    await say(hamlet, SPOKE_ROOM, during);
    await arrived(hamlet, during);
    await bed.redis.spoke.restart!();
    await shaper.restore();
    await arrived(alice, during);
    await barrier(...bothRooms());
    expect(bodies(alice, "redis-s")).toEqual(during);
    expect(leftAnyone(alice)).toEqual([]);
  }, 180_000);
});
