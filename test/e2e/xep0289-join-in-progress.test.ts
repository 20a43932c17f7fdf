// XEP-0289 5.1 end to end over real S2S, with a slow link (the shaper's latency): "stanzas
// produced while the join is in progress are held and delivered once it completes". The spoke
// room rabbithole@talk.denmark.lit joins rabbithole@rooms.wonderland.lit when Hamlet enters;
// Hamlet speaks and Ophelia enters before the hub's subject completes the join.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrives,
  createRoom,
  groupchatBody,
  join,
  leave,
  marks,
  once,
  presenceFrom,
  sendGroupchat,
  sendSubject,
  since,
  type TestClient,
} from "../harness/muc.js";
import {
  barrier,
  startFederatedSites,
  subjectIs,
  withFmuc,
  type FederatedSites,
  ROOMS,
  TALK,
} from "../harness/fmuc.js";
import { linksOf } from "../harness/service.js";

const HOLE = { hub: `rabbithole@${ROOMS.domain}`, spoke: `rabbithole@${TALK.domain}` };
const LATENCY_MS = 1_000;

let bed: FederatedSites;
let alice: TestClient, hatter: TestClient, hamlet: TestClient, ophelia: TestClient;

beforeAll(async () => {
  const sites = await startFederatedSites({
    hub: {
      users: ["alice", "hatter"],
      services: [{ component: ROOMS, env: { FMUC_ALLOW: TALK.domain } }],
    },
    spoke: {
      users: ["hamlet", "ophelia"],
      services: [{ component: TALK, env: { FMUC_UPSTREAM: ROOMS.domain } }],
    },
  });
  bed = sites;
  ({ alice, hatter, hamlet, ophelia } = await sites.connectUsers());
  await createRoom(alice, HOLE.hub, "Alice", { whois: "anyone" });
  await sendSubject(alice, HOLE.hub, "Tea time");
  await alice.waitFor(subjectIs("Tea time"));
  await join(hatter, HOLE.hub, "Hatter");
  // The S2S streams between the two services stand before the link is slowed: a room of the
  // spoke joins and leaves once.
  const warm = `antechamber@${TALK.domain}`;
  await createRoom(alice, `antechamber@${ROOMS.domain}`, "Alice");
  await join(ophelia, warm, "Ophelia");
  await arrives(alice, presenceFrom(`antechamber@${ROOMS.domain}/Ophelia`), marks(alice));
  await leave(ophelia, warm, "Ophelia");
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

const linkState = async (room: string) => {
  return (await linksOf(bed.spoke)).find((l) => l.room === room)?.state;
};

describe("XEP-0289 5.1 what happens while the join is in progress", () => {
  it("is held, and delivered once the hub's subject completes the join, once each", async () => {
    bed.sites.shaper.setLatency(LATENCY_MS);
    const before = marks(alice, hatter, hamlet, ophelia);
    const text = "Who's there?";
    await join(hamlet, HOLE.spoke, "Hamlet");
    await sendGroupchat(hamlet, HOLE.spoke, text);
    // Primary-primary: delivered at the spoke at once, while the join is on its way.
    await arrives(hamlet, groupchatBody(text), before);
    await join(ophelia, HOLE.spoke, "Ophelia");
    expect(await linkState(HOLE.spoke)).toBe("joining");

    // The hub's subject completes the join; what was held only leaves the spoke then, so it
    // cannot have reached the hub yet (it has a whole latency to cross).
    await arrives(hamlet, subjectIs("Tea time"), before);
    expect(since(alice, before.get(alice)!, groupchatBody(text))).toEqual([]);
    expect(await linkState(HOLE.spoke)).toBe("up");
    const heard = await arrives(alice, groupchatBody(text), before);
    bed.sites.shaper.setLatency(0);
    expect(heard.attrs.from).toBe(`${HOLE.hub}/Hamlet`);
    await barrier(
      { room: HOLE.hub, clients: [alice, hatter] },
      { room: HOLE.spoke, clients: [hamlet, ophelia] },
    );

    // At the hub: Hamlet and Ophelia arrive, then his message; everything once.
    for (const c of [alice, hatter]) {
      const arrived = once(c, presenceFrom(`${HOLE.hub}/Hamlet`), before);
      once(c, presenceFrom(`${HOLE.hub}/Ophelia`), before);
      const message = once(c, groupchatBody(text), before);
      expect(c.received.indexOf(arrived)).toBeLessThan(c.received.indexOf(message));
    }
    // At the spoke: the hub's occupants and subject once each; the message once, before them.
    for (const c of [hamlet, ophelia]) {
      once(c, presenceFrom(`${HOLE.spoke}/Alice`), before);
      once(c, presenceFrom(`${HOLE.spoke}/Hatter`), before);
      once(c, subjectIs("Tea time"), before);
    }
    const own = once(hamlet, groupchatBody(text), before);
    expect(hamlet.received.indexOf(own)).toBeLessThan(
      hamlet.received.indexOf(once(hamlet, subjectIs("Tea time"), before)),
    );
  });

  it("no client received an fmuc payload", () => {
    for (const c of [alice, hatter, hamlet, ophelia]) expect(withFmuc(c)).toEqual([]);
  });
});
