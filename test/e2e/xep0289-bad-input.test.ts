// XEP-0289 bad input end to end, over real S2S between two sites: fmuc traffic from a room that
// FMUC_ALLOW does not list, a malformed fmuc payload, a remote kick of the hub's owner, and a
// join for a room the hub does not have. The hub's rooms.wonderland.lit allows the spoke's
// talk.denmark.lit and forge.denmark.lit; evil.denmark.lit and forge.denmark.lit are raw test
// components on the spoke's server that write whatever the test says. (A <reject/> is XEP-0289
// Example 4, in xep0289-spec-examples.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRawComponent, receivedBy, type RawComponent } from "../harness/component.js";
import {
  arrives,
  createRoom,
  discoInfo,
  errorCondition,
  groupchatBody,
  join,
  marks,
  presenceFrom,
  sendGroupchat,
  since,
  type Marks,
  type TestClient,
} from "../harness/muc.js";
import {
  FMUC,
  barrier,
  startFederatedSites,
  withFmuc,
  type FederatedSites,
  ROOMS,
  TALK,
} from "../harness/fmuc.js";
import { linksOf, waitForLog } from "../harness/service.js";

const EVIL = { domain: "evil.denmark.lit", secret: "evil-secret" };
const FORGE = { domain: "forge.denmark.lit", secret: "forge-secret" };
const COURT = { hub: `court@${ROOMS.domain}`, spoke: `court@${TALK.domain}` };
const NOWHERE = { hub: `nowhere@${ROOMS.domain}`, spoke: `nowhere@${TALK.domain}` };

let bed: FederatedSites;
let evil: RawComponent, forge: RawComponent;
let alice: TestClient, hatter: TestClient, hamlet: TestClient, ophelia: TestClient;

beforeAll(async () => {
  const sites = await startFederatedSites({
    hub: {
      users: ["alice", "hatter"],
      services: [{ component: ROOMS, env: { FMUC_ALLOW: `${TALK.domain},${FORGE.domain}` } }],
    },
    spoke: {
      users: ["hamlet", "ophelia"],
      services: [{ component: TALK, env: { FMUC_UPSTREAM: ROOMS.domain } }],
      components: [EVIL, FORGE],
    },
  });
  bed = sites;
  const port = bed.sites.spoke.componentPort;
  [evil, forge] = await Promise.all([
    connectRawComponent({ port, ...EVIL }),
    connectRawComponent({ port, ...FORGE }),
  ]);
  ({ alice, hatter, hamlet, ophelia } = await sites.connectUsers());
  await createRoom(alice, COURT.hub, "Alice", { whois: "anyone" });
  await join(hatter, COURT.hub, "Hatter");
  await join(hamlet, COURT.spoke, "Hamlet");
  await arrives(alice, presenceFrom(`${COURT.hub}/Hamlet`), marks(alice));
}, 120_000);

afterAll(async () => {
  await Promise.all([evil?.close(), forge?.close()]);
  await bed?.stop();
});

const court = () =>
  barrier({ room: COURT.hub, clients: [alice, hatter] }, { room: COURT.spoke, clients: [hamlet] });

/** What clients got since `before` that says `text` or comes from `nick` in the court. */
function traces(before: Marks, text: string, nick: string) {
  return [...before.keys()].flatMap((c) =>
    since(
      c,
      before.get(c)!,
      (el) => el.toString().includes(text) || el.attrs.from?.endsWith(`/${nick}`) === true,
    ),
  );
}

describe("XEP-0289 fmuc traffic from a room FMUC_ALLOW does not list", () => {
  it("is ignored and logged, and reaches no client", async () => {
    const before = marks(alice, hatter, hamlet);
    const as = `from='court@${EVIL.domain}/Eve'`;
    const eve = `<fmuc xmlns='${FMUC}' from='eve@denmark.lit/lair'/>`;
    evil.socket.write(
      `<message ${as} to='${COURT.hub}' type='groupchat'><body>Eve was here</body>${eve}</message>` +
        `<message ${as} to='${COURT.hub}/Alice' type='chat'><body>Eve was here</body>${eve}</message>` +
        // A forged kick of Alice, in Alice's name.
        `<presence ${as.replace("Eve", "Alice")} to='${COURT.hub}/Alice' type='unavailable'>` +
        `<fmuc xmlns='${FMUC}' from='${alice.jid}'/>` +
        `<x xmlns='http://jabber.org/protocol/muc#user'><item role='none'/><status code='307'/></x></presence>`,
    );
    const log = bed.hub.logFile;
    const which = `from court@${EVIL.domain}, which FMUC_ALLOW does not list`;
    await waitForLog(log, `ignored fmuc message ${which}`, 15_000, 2);
    await waitForLog(log, `ignored fmuc presence ${which}`);
    await court();
    expect(traces(before, "Eve was here", "Eve")).toEqual([]);
    for (const c of [alice, hatter]) {
      expect(since(c, before.get(c)!, presenceFrom(`${COURT.hub}/Alice`, "unavailable"))).toEqual(
        [],
      );
    }
  });
});

describe("XEP-0289 a malformed fmuc payload from an allowed node", () => {
  it("is ignored and logged, and reaches no client", async () => {
    const before = marks(alice, hatter, hamlet);
    const as = `from='court@${FORGE.domain}/Mallory'`;
    forge.socket.write(
      `<message ${as} to='${COURT.hub}' type='groupchat'><body>Mallory was here</body><fmuc xmlns='${FMUC}'/></message>` +
        `<presence ${as} to='${COURT.hub}/Mallory'><fmuc xmlns='${FMUC}' from='mallory'/><x xmlns='http://jabber.org/protocol/muc'/></presence>`,
    );
    await waitForLog(
      bed.hub.logFile,
      `ignored court@${FORGE.domain}: fmuc payload without a real JID`,
      15_000,
      2,
    );
    await court();
    expect(traces(before, "Mallory", "Mallory")).toEqual([]);
  });
});

describe("XEP-0289 a remote kick of the hub's owner", () => {
  it("does not remove her: the hub keeps her, tells the node how she stands, and nobody sees her leave", async () => {
    const before = marks(alice, hatter, hamlet);
    forge.socket.write(
      `<presence from='court@${FORGE.domain}/Alice' to='${COURT.hub}/Alice' type='unavailable'>` +
        `<fmuc xmlns='${FMUC}' from='${alice.jid}'/><x xmlns='http://jabber.org/protocol/muc#user'>` +
        `<item affiliation='none' role='none'><actor nick='Mallory'/><reason>Begone</reason></item>` +
        `<status code='307'/></x></presence>`,
    );
    await waitForLog(
      bed.hub.logFile,
      `refused court@${FORGE.domain}'s removal of Alice, an owner here`,
    );
    // The node gets Alice announced again: as the hub shows her, an owner.
    await receivedBy(
      forge,
      new RegExp(`from=["']${COURT.hub}/Alice["'][^>]*>(?:(?!</presence>).)*affiliation=["']owner`),
    );
    await court();
    for (const [c, room] of [
      [alice, COURT.hub],
      [hatter, COURT.hub],
      [hamlet, COURT.spoke],
    ] as const) {
      expect(since(c, before.get(c)!, presenceFrom(`${room}/Alice`, "unavailable"))).toEqual([]);
    }
    await sendGroupchat(alice, COURT.hub, "Still here");
    await arrives(hamlet, groupchatBody("Still here"), before);
  });
});

describe("XEP-0289 a join for a room the hub does not have", () => {
  it("fails the link; the spoke's local chat goes on, and the next arrival joins once the room exists", async () => {
    const before = marks(alice, hamlet, ophelia);
    await join(hamlet, NOWHERE.spoke, "Hamlet");
    await waitForLog(bed.spoke.logFile, `${NOWHERE.hub} refused the link (item-not-found)`);
    // Nothing was created at the hub, and the spoke has no link for the room.
    expect(errorCondition(await discoInfo(alice, NOWHERE.hub))).toBe("item-not-found");
    const links = await linksOf(bed.spoke);
    expect(links.filter((l) => l.room === NOWHERE.spoke)).toEqual([]);
    await sendGroupchat(hamlet, NOWHERE.spoke, "Is anybody there?");
    await arrives(hamlet, groupchatBody("Is anybody there?"), before);

    await createRoom(alice, NOWHERE.hub, "Alice");
    await join(ophelia, NOWHERE.spoke, "Ophelia");
    await arrives(alice, presenceFrom(`${NOWHERE.hub}/Hamlet`), before);
    await arrives(alice, presenceFrom(`${NOWHERE.hub}/Ophelia`), before);
    await arrives(hamlet, presenceFrom(`${NOWHERE.spoke}/Alice`), before);
    expect(since(hamlet, before.get(hamlet)!, (el) => el.attrs.type === "error")).toEqual([]);
  });

  it("no client received an fmuc payload", () => {
    for (const c of [alice, hatter, hamlet, ophelia]) expect(withFmuc(c)).toEqual([]);
  });
});
