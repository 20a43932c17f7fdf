// XEP-0289 between two nodes of this service behind one Prosody: a spoke service whose rooms
// federate upstream with a hub service, real clients on each side (section 5's flows). Chains
// of three are in xep0289-chains.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestClient } from "../harness/client.js";
import {
  createRoom,
  groupchatBody,
  join,
  leave,
  presenceFrom,
  sendGroupchat,
  settle,
  type Element,
} from "../harness/muc.js";
import { startServerBed, type ServerBed } from "../harness/fmuc.js";

const HUB = { domain: "hub.localhost", secret: "hub-secret" };
const SPOKE = { domain: "spoke.localhost", secret: "spoke-secret" };
// A spoke in primary-replica mode: it delivers its users' messages when the hub echoes them.
const REPLICA = { domain: "replica.localhost", secret: "replica-secret" };

let bed: ServerBed;
const user = (name: string) => bed.user(name);

beforeAll(async () => {
  bed = await startServerBed({
    users: ["alice", "hamlet", "ophelia"],
    services: [
      { component: HUB, env: { FMUC_ALLOW: `${SPOKE.domain},${REPLICA.domain}` } },
      { component: REPLICA, env: { FMUC_UPSTREAM: HUB.domain, FMUC_MODE: "primary-replica" } },
      { component: SPOKE, env: { FMUC_UPSTREAM: HUB.domain } },
    ],
  });
}, 90_000);

afterAll(() => bed?.stop());

const FMUC = "http://isode.com/protocol/fmuc";
const noFmuc = (c: TestClient) => c.received.filter((el) => el.toString().includes(FMUC));
const bodiesFrom = (c: TestClient, from: string) =>
  c.received.filter((el: Element) => el.attrs.from === from && el.getChildText("body") !== null);

describe("XEP-0289 between a spoke and a hub", () => {
  it("federates on the spoke's first occupant; messages cross once each way; leaving ends it", async () => {
    const [alice, hamlet] = [await user("alice"), await user("hamlet")];
    const hubRoom = `rabbithole@${HUB.domain}`;
    const spokeRoom = `rabbithole@${SPOKE.domain}`;
    await createRoom(alice, hubRoom, "Alice");
    await sendGroupchat(alice, hubRoom, "Before Hamlet came");
    await alice.waitFor(groupchatBody("Before Hamlet came"));

    // 5.1: Hamlet enters the spoke room; the spoke joins the hub room on his behalf.
    await join(hamlet, spokeRoom, "Hamlet");
    await alice.waitFor(presenceFrom(`${hubRoom}/Hamlet`), 10_000);
    await hamlet.waitFor(presenceFrom(`${spokeRoom}/Alice`), 10_000);
    // The hub's history reaches the spoke with the join, with its original time (XEP-0203).
    const old = await hamlet.waitFor(groupchatBody("Before Hamlet came"), 10_000);
    expect(old.attrs.from).toBe(`${spokeRoom}/Alice`);
    expect(old.getChild("delay", "urn:xmpp:delay")).toBeDefined();

    // 5.2: each message reaches every occupant once, from the occupant's address in its own room.
    await sendGroupchat(hamlet, spokeRoom, "Hi Alice");
    await alice.waitFor(groupchatBody("Hi Alice"), 10_000);
    await sendGroupchat(alice, hubRoom, "Hi Hamlet");
    await hamlet.waitFor(groupchatBody("Hi Hamlet"), 10_000);
    await settle(hubRoom, alice);
    await settle(spokeRoom, hamlet);
    expect(bodiesFrom(alice, `${hubRoom}/Hamlet`).map((el) => el.getChildText("body"))).toEqual([
      "Hi Alice",
    ]);
    expect(bodiesFrom(alice, `${hubRoom}/Alice`).map((el) => el.getChildText("body"))).toEqual([
      "Before Hamlet came",
      "Hi Hamlet",
    ]);
    expect(bodiesFrom(hamlet, `${spokeRoom}/Alice`).map((el) => el.getChildText("body"))).toEqual([
      "Before Hamlet came",
      "Hi Hamlet",
    ]);
    expect(bodiesFrom(hamlet, `${spokeRoom}/Hamlet`).map((el) => el.getChildText("body"))).toEqual([
      "Hi Alice",
    ]);

    // Clients see only their own room's addresses, and never an fmuc payload.
    expect(alice.received.some((el) => el.attrs.from?.includes(SPOKE.domain))).toBe(false);
    expect(hamlet.received.some((el) => el.attrs.from?.includes(HUB.domain))).toBe(false);
    expect(noFmuc(alice)).toEqual([]);
    expect(noFmuc(hamlet)).toEqual([]);

    // 5.4: Hamlet leaves; Alice sees him go.
    await leave(hamlet, spokeRoom, "Hamlet");
    await alice.waitFor(presenceFrom(`${hubRoom}/Hamlet`, "unavailable"), 10_000);
  });
});

describe("XEP-0289 primary-replica", () => {
  it("the replica delivers its user's message when the hub echoes it, once, to everyone", async () => {
    const [alice, ophelia] = [await user("alice"), await user("ophelia")];
    const hubRoom = `elsinore@${HUB.domain}`;
    const replicaRoom = `elsinore@${REPLICA.domain}`;
    await createRoom(alice, hubRoom, "Alice");
    await join(ophelia, replicaRoom, "Ophelia");
    await alice.waitFor(presenceFrom(`${hubRoom}/Ophelia`), 10_000);
    await ophelia.waitFor(presenceFrom(`${replicaRoom}/Alice`), 10_000);
    await sendGroupchat(ophelia, replicaRoom, "Good my lord");
    await ophelia.waitFor(groupchatBody("Good my lord"), 10_000);
    await alice.waitFor(groupchatBody("Good my lord"), 10_000);
    await settle(hubRoom, alice);
    await settle(replicaRoom, ophelia);
    for (const client of [alice, ophelia]) {
      const heard = client.received.filter((el) => el.getChildText("body") === "Good my lord");
      expect(heard).toHaveLength(1);
      expect(noFmuc(client)).toEqual([]);
    }
  });
});
