// XEP-0289 what the specification leaves open, over real S2S between two sites: nick collisions
// (the joined node holds nicknames: libs/fmuc-core/README.md) and loops (a join that would close
// a cycle is refused, and a stanza never returns to where it came from). The hub's service
// rooms.wonderland.lit; on the spoke, talk.denmark.lit joins it and chat.denmark.lit joins talk
// (a chain), and talk would accept the hub's rooms as nodes too (so only loops stop them).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrives,
  configure,
  createRoom,
  errorCondition,
  expectResult,
  groupchatBody,
  itemOf,
  join,
  joinError,
  marks,
  once,
  presenceFrom,
  sendGroupchat,
  settle,
  since,
  type Marks,
  type TestClient,
} from "../harness/muc.js";
import {
  barrier,
  startFederatedSites,
  withFmuc,
  type FederatedSites,
  ROOMS,
  TALK,
  CHAT,
} from "../harness/fmuc.js";
import { metric } from "../harness/metrics.js";
import { linksOf, waitForLog, type ServiceHandle } from "../harness/service.js";

// Link checks would add traffic to the counts below; these tests take far less than this.
const QUIET = { FMUC_PING_INTERVAL_MS: "600000" };
const STAGE = { hub: `stage@${ROOMS.domain}`, spoke: `stage@${TALK.domain}` };
const DECK = {
  top: `deck@${ROOMS.domain}`,
  mid: `deck@${TALK.domain}`,
  low: `deck@${CHAT.domain}`,
};
const RING = { hub: `ring@${ROOMS.domain}`, spoke: `ring@${TALK.domain}` };

let bed: FederatedSites;
let rooms: ServiceHandle, talk: ServiceHandle, chat: ServiceHandle;
let alice: TestClient, hatter: TestClient, dormouse: TestClient;
let hamlet: TestClient, ophelia: TestClient, yorick: TestClient, cox: TestClient;

beforeAll(async () => {
  const sites = await startFederatedSites({
    hub: {
      users: ["alice", "hatter", "dormouse"],
      services: [{ component: ROOMS, env: { FMUC_ALLOW: TALK.domain, ...QUIET } }],
    },
    spoke: {
      users: ["hamlet", "ophelia", "yorick", "cox"],
      services: [
        {
          component: TALK,
          env: {
            FMUC_UPSTREAM: ROOMS.domain,
            FMUC_ALLOW: `${CHAT.domain},${ROOMS.domain}`,
            ...QUIET,
          },
        },
        { component: CHAT, env: { FMUC_UPSTREAM: TALK.domain, ...QUIET } },
      ],
    },
  });
  bed = sites;
  [rooms, talk, chat] = [bed.hub, bed.services.spoke[0]!, bed.services.spoke[1]!];
  ({ alice, hatter, dormouse, hamlet, ophelia, yorick, cox } = await sites.connectUsers());
  await createRoom(alice, STAGE.hub, "Alice", { whois: "anyone" });
  await join(hamlet, STAGE.spoke, "Hamlet");
  await arrives(alice, presenceFrom(`${STAGE.hub}/Hamlet`), marks(alice));
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** Who `client` saw in `room`/`nick` since `before`: presence types and real JIDs, in order. */
const seenAs = (client: TestClient, occupant: string, before: Marks) =>
  since(client, before.get(client)!, presenceFrom(occupant)).map((p) => itemOf(p).jid);
const presencesOf = (client: TestClient, occupant: string, before: Marks) =>
  since(client, before.get(client)!, (el) => el.is("presence") && el.attrs.from === occupant);

describe("XEP-0289 nick collisions: the joined node holds nicknames", () => {
  it("a hub occupant holds the nick: the spoke refuses its own user at once, and the hub sees nothing", async () => {
    await join(hatter, STAGE.hub, "Jester");
    await arrives(hamlet, presenceFrom(`${STAGE.spoke}/Jester`), marks(hamlet));
    const before = marks(alice, hatter, hamlet);
    const refusal = await joinError(yorick, STAGE.spoke, "Jester");
    expect(errorCondition(refusal)).toBe("conflict");
    await barrier(
      { room: STAGE.hub, clients: [alice, hatter] },
      { room: STAGE.spoke, clients: [hamlet] },
    );
    for (const c of [alice, hatter])
      expect(presencesOf(c, `${STAGE.hub}/Jester`, before)).toEqual([]);
    expect(presencesOf(hamlet, `${STAGE.spoke}/Jester`, before)).toEqual([]);
  });

  it("a spoke occupant holds the nick: the hub refuses its own user, and the spoke sees nothing", async () => {
    const before = marks(alice);
    await join(yorick, STAGE.spoke, "Ghost");
    await arrives(alice, presenceFrom(`${STAGE.hub}/Ghost`), before);
    const after = marks(alice, hamlet, yorick);
    const refusal = await joinError(dormouse, STAGE.hub, "Ghost");
    expect(errorCondition(refusal)).toBe("conflict");
    await barrier(
      { room: STAGE.hub, clients: [alice, hatter] },
      { room: STAGE.spoke, clients: [hamlet, yorick] },
    );
    expect(presencesOf(alice, `${STAGE.hub}/Ghost`, after)).toEqual([]);
    for (const c of [hamlet, yorick])
      expect(presencesOf(c, `${STAGE.spoke}/Ghost`, after)).toEqual([]);
  });

  it("both take the nick at once (a slow link): the hub keeps its own, the spoke's user gets the conflict, nobody merged or lost", async () => {
    bed.sites.shaper.setLatency(1_500);
    const before = marks(alice, hatter, hamlet, yorick, ophelia, dormouse);
    // Ophelia enters the spoke as Player; her presence takes 1.5 s to reach the hub, where
    // the Dormouse enters as Player meanwhile: both rooms admitted their own user.
    const spokeSide = await join(ophelia, STAGE.spoke, "Player");
    const hubSide = await join(dormouse, STAGE.hub, "Player");
    bed.sites.shaper.setLatency(0);
    expect(hubSide.others.map((p) => p.attrs.from)).not.toContain(`${STAGE.hub}/Player`);
    expect(spokeSide.self.attrs.type).toBeUndefined();

    const refusal = await arrives(ophelia, presenceFrom(`${STAGE.spoke}/Player`, "error"), before);
    expect(errorCondition(refusal)).toBe("conflict");
    await arrives(
      hamlet,
      (el) => presenceFrom(`${STAGE.spoke}/Player`)(el) && itemOf(el).jid === dormouse.jid,
      before,
    );
    await barrier(
      { room: STAGE.hub, clients: [alice, hatter, dormouse] },
      { room: STAGE.spoke, clients: [hamlet, yorick] },
    );
    // The hub: only its own Player, ever.
    for (const c of [alice, hatter]) {
      expect(seenAs(c, `${STAGE.hub}/Player`, before)).toEqual([dormouse.jid]);
      expect(presencesOf(c, `${STAGE.hub}/Player`, before)).toHaveLength(1);
    }
    // The spoke: Ophelia came and left, then the hub's Player came: two people, never merged.
    for (const c of [hamlet, yorick]) {
      const shown = presencesOf(c, `${STAGE.spoke}/Player`, before);
      expect(shown.map((p) => [p.attrs.type, itemOf(p).jid])).toEqual([
        [undefined, ophelia.jid],
        ["unavailable", ophelia.jid],
        [undefined, dormouse.jid],
      ]);
    }
    // Ophelia was told once, with the error; the Dormouse never heard of her.
    expect(presencesOf(ophelia, `${STAGE.spoke}/Player`, before).map((p) => p.attrs.type)).toEqual([
      undefined,
      "error",
    ]);
    expect(dormouse.received.filter((el) => el.toString().includes(ophelia.jid))).toEqual([]);
  });
});

/** Stanzas each service sent over each link of the chain so far. */
async function chainTraffic() {
  const out = (s: ServiceHandle, peer: string) =>
    metric(s, `fedmuc_link_stanzas_total{direction="out",peer_service="${peer}"}`);
  const [lowToMid, midToTop, topToMid, midToLow] = await Promise.all([
    out(chat, TALK.domain),
    out(talk, ROOMS.domain),
    out(rooms, TALK.domain),
    out(talk, CHAT.domain),
  ]);
  return { lowToMid, midToTop, topToMid, midToLow };
}

const deckRooms = () => [
  { room: DECK.top, clients: [alice] },
  { room: DECK.mid, clients: [hamlet] },
  { room: DECK.low, clients: [cox] },
];

describe("XEP-0289 loops", () => {
  it("in a chain (chat joins talk joins the hub), a message never goes back toward where it came from", async () => {
    await createRoom(alice, DECK.top, "Alice");
    await join(hamlet, DECK.mid, "Hamlet");
    await arrives(alice, presenceFrom(`${DECK.top}/Hamlet`), marks(alice));
    await join(cox, DECK.low, "Cox");
    await arrives(alice, presenceFrom(`${DECK.top}/Cox`), marks(alice));
    // Everything of the joins done (the chain's rooms ask for the configuration they mirror).
    await barrier(...deckRooms());
    const start = await chainTraffic();
    // Each message is the marker that shows the one before did not come back: a link sends in
    // order, so whatever the previous message caused on it went before the next.
    const before = marks(alice, hamlet, cox);
    await sendGroupchat(cox, DECK.low, "Land ho");
    await arrives(alice, groupchatBody("Land ho"), before);
    await sendGroupchat(alice, DECK.top, "Well spotted");
    await arrives(cox, groupchatBody("Well spotted"), before);
    await sendGroupchat(cox, DECK.low, "Aye");
    await arrives(alice, groupchatBody("Aye"), before);
    const end = await chainTraffic();
    const sent = Object.fromEntries(
      Object.entries(end).map(([k, v]) => [k, v - start[k as keyof typeof start]]),
    );
    expect(sent).toEqual({ lowToMid: 2, midToTop: 2, topToMid: 1, midToLow: 1 });
    await barrier(...deckRooms());
    for (const c of [alice, hamlet, cox]) {
      const heard = since(
        c,
        before.get(c)!,
        (el) => el.is("message") && el.getChildText("body") !== null,
      );
      expect(
        heard.map((el) => el.getChildText("body")).filter((b) => !b!.startsWith("barrier")),
      ).toEqual(["Land ho", "Well spotted", "Aye"]);
    }
  });

  it("an owner cannot point a room at a room that joins it, directly or further down", async () => {
    for (const below of [DECK.mid, DECK.low]) {
      const reply = await configure(alice, DECK.top, { "fedmuc#upstream": below });
      expect(errorCondition(reply)).toBe("not-acceptable");
    }
    // Nothing changed: the chain still carries the hub's messages down.
    const before = marks(cox);
    await sendGroupchat(alice, DECK.top, "Steady as she goes");
    await arrives(cox, groupchatBody("Steady as she goes"), before);
  });

  it("two rooms set to join each other: each refuses the other's join, both chat on alone, nothing crosses", async () => {
    // ring@rooms is pointed at ring@talk by its owner; ring@talk joins ring@rooms (FMUC_UPSTREAM).
    await createRoom(alice, RING.hub, "Alice");
    expectResult(await configure(alice, RING.hub, { "fedmuc#upstream": RING.spoke }));
    const loop = "would make a loop";
    await waitForLog(
      rooms.logFile,
      `${RING.spoke} rejected the link: Joining ${RING.spoke} from ${RING.hub} ${loop}`,
    );
    await join(hamlet, RING.spoke, "Hamlet");
    await waitForLog(
      talk.logFile,
      `${RING.hub} rejected the link: Joining ${RING.hub} from ${RING.spoke} ${loop}`,
    );

    bed.sites.shaper.resetStats();
    const before = marks(alice, hamlet);
    await sendGroupchat(alice, RING.hub, "Anyone at the spoke?");
    await sendGroupchat(hamlet, RING.spoke, "Anyone at the hub?");
    await settle(RING.hub, alice);
    await settle(RING.spoke, hamlet);
    const stats = bed.sites.shaper.stats();
    expect([stats.hubToSpoke.bytes, stats.spokeToHub.bytes]).toEqual([0, 0]);
    expect(once(alice, groupchatBody("Anyone at the spoke?"), before).attrs.from).toBe(
      `${RING.hub}/Alice`,
    );
    expect(once(hamlet, groupchatBody("Anyone at the hub?"), before).attrs.from).toBe(
      `${RING.spoke}/Hamlet`,
    );
    // Neither room shows the other's users, nor anything from the other's address.
    expect(alice.received.filter((el) => el.attrs.from?.startsWith(RING.spoke))).toEqual([]);
    expect(
      hamlet.received.filter((el) => el.attrs.from?.startsWith(`${RING.spoke}/Alice`)),
    ).toEqual([]);
    const links = async (s: ServiceHandle) =>
      (await linksOf(s)).filter((l) => l.room.startsWith("ring@"));
    expect(await links(rooms)).toEqual([]);
    expect(await links(talk)).toEqual([]);
  });

  it("no client received an fmuc payload", () => {
    for (const c of [alice, hatter, dormouse, hamlet, ophelia, yorick, cox]) {
      expect(withFmuc(c)).toEqual([]);
    }
  });
});
