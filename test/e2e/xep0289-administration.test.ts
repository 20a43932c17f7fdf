// XEP-0289 5.5 administration across two sites joined by real S2S: kicks and bans are carried
// out by the node of the occupant concerned, which fans out the result; role changes travel and
// are shown on the other node; a remote owner changes no affiliation list here, and cannot
// remove the hub's owner from the spoke. The hub room court@rooms.wonderland.lit is Alice's; the
// spoke room court@talk.denmark.lit is Ophelia's, pointed at the hub's in its configuration.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrives,
  adminGet,
  adminSet,
  configure,
  createRoom,
  errorCondition,
  fromRoom,
  expectResult,
  itemOf,
  join,
  joinPresence,
  listItems,
  marks,
  once,
  presenceFrom,
  since,
  statusCodes,
  type Element,
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
} from "../harness/fmuc.js";
import { waitForLog } from "../harness/service.js";

const HUB_ROOM = `court@${ROOMS.domain}`;
const SPOKE_ROOM = `court@${TALK.domain}`;

let bed: FederatedSites;
let alice: TestClient, hatter: TestClient, dormouse: TestClient;
let ophelia: TestClient, hamlet: TestClient, horatio: TestClient;

beforeAll(async () => {
  const sites = await startFederatedSites({
    hub: {
      users: ["alice", "hatter", "dormouse"],
      services: [{ component: ROOMS, env: { FMUC_ALLOW: TALK.domain } }],
    },
    spoke: { users: ["ophelia", "hamlet", "horatio"], services: [{ component: TALK }] },
  });
  bed = sites;
  ({ alice, hatter, dormouse, ophelia, hamlet, horatio } = await sites.connectUsers());
  await createRoom(alice, HUB_ROOM, "Alice", { whois: "anyone" });
  await createRoom(ophelia, SPOKE_ROOM, "Ophelia", { persistentroom: "1" });
  expectResult(await configure(ophelia, SPOKE_ROOM, { "fedmuc#upstream": HUB_ROOM }));
  // The join is answered: the hub's occupants (its empty subject, the same as the spoke room's,
  // is not shown again).
  await ophelia.waitFor(presenceFrom(`${SPOKE_ROOM}/Alice`), 20_000);
  await join(hatter, HUB_ROOM, "Hatter");
  await join(dormouse, HUB_ROOM, "Dormouse");
  await join(hamlet, SPOKE_ROOM, "Hamlet");
  await join(horatio, SPOKE_ROOM, "Horatio");
  await everyone();
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** A barrier across both rooms with whoever of the usual clients is still in them. */
function everyone(hub = [alice, dormouse, hatter], spoke = [ophelia, horatio, hamlet]) {
  return barrier({ room: HUB_ROOM, clients: hub }, { room: SPOKE_ROOM, clients: spoke });
}

interface Removal {
  codes: number[];
  actor?: string;
  reason?: string;
}

/** The one unavailable presence `client` got from `from` since `before`, and what it says. */
function removalSeen(client: TestClient, from: string, before: Marks): Removal {
  const presence = once(client, presenceFrom(from, "unavailable"), before);
  const item = presence.getChild("x", "http://jabber.org/protocol/muc#user")!.getChild("item")!;
  return {
    codes: statusCodes(presence),
    actor: item.getChild("actor")?.attrs.nick,
    reason: item.getChildText("reason") ?? undefined,
  };
}

const isBarrier = (el: Element) => el.getChildText("body")?.startsWith("barrier ") ?? false;

/** Presences from `from` since `before` (any type). */
const presencesFrom = (client: TestClient, from: string, before: Marks): Element[] =>
  client.received
    .slice(before.get(client))
    .filter((el) => el.is("presence") && el.attrs.from === from);

describe("XEP-0289 5.5 kicks and bans are carried out by the occupant's own node", () => {
  it("a hub moderator kicks a spoke occupant: the spoke removes him with 307, actor and reason, seen once everywhere", async () => {
    const before = marks(alice, dormouse, hatter, ophelia, horatio, hamlet);
    const reason = "Too much soliloquy";
    expectResult(await adminSet(alice, HUB_ROOM, { nick: "Hamlet", role: "none", reason }));
    await arrives(hamlet, presenceFrom(`${SPOKE_ROOM}/Hamlet`, "unavailable"), before);
    await everyone(undefined, [ophelia, horatio]);

    const kicked = { actor: "Alice", reason };
    expect(removalSeen(hamlet, `${SPOKE_ROOM}/Hamlet`, before)).toEqual({
      codes: [110, 307],
      ...kicked,
    });
    for (const c of [ophelia, horatio]) {
      expect(removalSeen(c, `${SPOKE_ROOM}/Hamlet`, before)).toEqual({ codes: [307], ...kicked });
    }
    for (const c of [alice, dormouse, hatter]) {
      expect(removalSeen(c, `${HUB_ROOM}/Hamlet`, before)).toEqual({ codes: [307], ...kicked });
    }
    // A kick is no ban: Hamlet comes back through the spoke.
    await join(hamlet, SPOKE_ROOM, "Hamlet");
    await arrives(alice, presenceFrom(`${HUB_ROOM}/Hamlet`), before);
  });

  it("the spoke's owner kicks a hub occupant: the hub removes him, and both sites see it once", async () => {
    const before = marks(alice, dormouse, hatter, ophelia, horatio, hamlet);
    const reason = "Mind your manners";
    expectResult(await adminSet(ophelia, SPOKE_ROOM, { nick: "Hatter", role: "none", reason }));
    await arrives(hatter, presenceFrom(`${HUB_ROOM}/Hatter`, "unavailable"), before);
    await everyone([alice, dormouse]);

    const kicked = { actor: "Ophelia", reason };
    expect(removalSeen(hatter, `${HUB_ROOM}/Hatter`, before)).toEqual({
      codes: [110, 307],
      ...kicked,
    });
    for (const c of [alice, dormouse]) {
      expect(removalSeen(c, `${HUB_ROOM}/Hatter`, before)).toEqual({ codes: [307], ...kicked });
    }
    for (const c of [ophelia, horatio, hamlet]) {
      expect(removalSeen(c, `${SPOKE_ROOM}/Hatter`, before)).toEqual({ codes: [307], ...kicked });
    }
  });

  it("a ban at the hub removes the spoke's user with 301, once everywhere, and he cannot come back through the spoke", async () => {
    const before = marks(alice, dormouse, ophelia, horatio, hamlet);
    const reason = "Something is rotten";
    const ban = { jid: "hamlet@denmark.lit", affiliation: "outcast", reason };
    expectResult(await adminSet(alice, HUB_ROOM, ban));
    await arrives(hamlet, presenceFrom(`${SPOKE_ROOM}/Hamlet`, "unavailable"), before);
    await everyone([alice, dormouse], [ophelia, horatio]);

    const banned = { actor: "Alice", reason };
    expect(removalSeen(hamlet, `${SPOKE_ROOM}/Hamlet`, before)).toEqual({
      codes: [110, 301],
      ...banned,
    });
    for (const c of [ophelia, horatio]) {
      expect(removalSeen(c, `${SPOKE_ROOM}/Hamlet`, before)).toEqual({ codes: [301], ...banned });
    }
    for (const c of [alice, dormouse]) {
      expect(removalSeen(c, `${HUB_ROOM}/Hamlet`, before)).toEqual({ codes: [301], ...banned });
    }
    // The spoke's own lists are its own (no ban there), but the hub refuses him: he is told
    // so with the hub's error, and nobody at the hub ever sees him back.
    const again = marks(alice, dormouse, hamlet);
    await hamlet.send(joinPresence(SPOKE_ROOM, "Hamlet"));
    const refusal = await arrives(hamlet, presenceFrom(`${SPOKE_ROOM}/Hamlet`, "error"), again);
    expect(errorCondition(refusal)).toBe("forbidden");
    await everyone([alice, dormouse], [ophelia, horatio]);
    for (const c of [alice, dormouse]) {
      expect(presencesFrom(c, `${HUB_ROOM}/Hamlet`, again)).toEqual([]);
    }
  });
});

describe("XEP-0289 5.5 role changes travel, affiliations do not", () => {
  const roleOf = (c: TestClient, from: string, before: Marks) =>
    itemOf(once(c, presenceFrom(from), before)).role;

  it("the hub's owner makes a spoke occupant a moderator: both sites show it once", async () => {
    const before = marks(alice, dormouse, ophelia, horatio);
    expectResult(await adminSet(alice, HUB_ROOM, { nick: "Horatio", role: "moderator" }));
    await arrives(ophelia, presenceFrom(`${SPOKE_ROOM}/Horatio`), before);
    await everyone([alice, dormouse], [ophelia, horatio]);
    for (const c of [alice, dormouse])
      expect(roleOf(c, `${HUB_ROOM}/Horatio`, before)).toBe("moderator");
    for (const c of [ophelia, horatio]) {
      expect(itemOf(once(c, presenceFrom(`${SPOKE_ROOM}/Horatio`), before))).toMatchObject({
        role: "moderator",
        affiliation: "none",
      });
    }
  });

  it("the spoke's owner takes it back: the hub shows it once", async () => {
    const before = marks(alice, dormouse, ophelia, horatio);
    expectResult(await adminSet(ophelia, SPOKE_ROOM, { nick: "Horatio", role: "participant" }));
    await arrives(alice, presenceFrom(`${HUB_ROOM}/Horatio`), before);
    await everyone([alice, dormouse], [ophelia, horatio]);
    for (const c of [alice, dormouse])
      expect(roleOf(c, `${HUB_ROOM}/Horatio`, before)).toBe("participant");
    for (const c of [ophelia, horatio])
      expect(roleOf(c, `${SPOKE_ROOM}/Horatio`, before)).toBe("participant");
  });

  it("the spoke's owner silences a hub occupant: the hub carries it out, and shows her nothing else", async () => {
    const before = marks(alice, dormouse, ophelia, horatio);
    expectResult(await adminSet(ophelia, SPOKE_ROOM, { nick: "Dormouse", role: "visitor" }));
    await arrives(dormouse, presenceFrom(`${HUB_ROOM}/Dormouse`), before);
    await everyone([alice, dormouse], [ophelia, horatio]);
    for (const c of [alice, dormouse])
      expect(roleOf(c, `${HUB_ROOM}/Dormouse`, before)).toBe("visitor");
    for (const c of [ophelia, horatio])
      expect(roleOf(c, `${SPOKE_ROOM}/Dormouse`, before)).toBe("visitor");
    // Only the change: not the room's occupants, history and subject again.
    expect(
      since(dormouse, before.get(dormouse)!, fromRoom(HUB_ROOM)).filter((el) => !isBarrier(el)),
    ).toHaveLength(1);
  });

  it("the hub cannot silence the spoke's owner: the spoke keeps her a moderator and tells the hub so", async () => {
    const before = marks(alice, dormouse, ophelia, horatio);
    expectResult(await adminSet(alice, HUB_ROOM, { nick: "Ophelia", role: "visitor" }));
    await waitForLog(
      bed.spoke.logFile,
      `refused ${HUB_ROOM}'s change of the role of Ophelia, an owner here`,
    );
    await everyone([alice, dormouse], [ophelia, horatio]);
    for (const c of [alice, dormouse]) {
      const shown = since(c, before.get(c)!, presenceFrom(`${HUB_ROOM}/Ophelia`));
      expect(shown.map((p) => itemOf(p).role)).toEqual(["visitor", "moderator"]);
    }
    for (const c of [ophelia, horatio]) {
      expect(since(c, before.get(c)!, presenceFrom(`${SPOKE_ROOM}/Ophelia`))).toEqual([]);
    }
  });

  it("a remote owner changes no affiliation list here: the hub's admin is nobody at the spoke", async () => {
    const before = marks(alice, ophelia, horatio);
    const made = { jid: "horatio@denmark.lit", affiliation: "admin" };
    expectResult(await adminSet(alice, HUB_ROOM, made));
    await arrives(horatio, presenceFrom(`${SPOKE_ROOM}/Horatio`), before);
    await everyone([alice, dormouse], [ophelia, horatio]);
    expect(itemOf(once(alice, presenceFrom(`${HUB_ROOM}/Horatio`), before))).toMatchObject({
      affiliation: "admin",
      role: "moderator",
    });
    // The role travels; the spoke's lists are its own: Horatio is in none of them.
    expect(itemOf(once(horatio, presenceFrom(`${SPOKE_ROOM}/Horatio`), before))).toMatchObject({
      affiliation: "none",
      role: "moderator",
    });
    for (const affiliation of ["admin", "owner", "member"]) {
      const items = listItems(await adminGet(ophelia, SPOKE_ROOM, { affiliation }));
      expect(items.map((i) => i.jid)).not.toContain("horatio@denmark.lit");
    }
    // Alice, shown at the spoke as the hub's owner, acts there only through the hub.
    const lists = await adminSet(alice, SPOKE_ROOM, {
      jid: "alice@wonderland.lit",
      affiliation: "owner",
    });
    expect(errorCondition(lists)).toBeDefined();
    const kick = await adminSet(alice, SPOKE_ROOM, { nick: "Horatio", role: "none" });
    expect(errorCondition(kick)).toBe("forbidden");
    const owners = listItems(await adminGet(ophelia, SPOKE_ROOM, { affiliation: "owner" }));
    expect(owners.map((i) => i.jid)).toEqual(["ophelia@denmark.lit"]);
  });
});

describe("XEP-0289 5.5 a remote removal of the hub's owner", () => {
  it("the spoke cannot remove Alice from the hub: a kick is refused, a ban stays the spoke's own", async () => {
    const before = marks(alice, dormouse, ophelia, horatio);
    const kick = await adminSet(ophelia, SPOKE_ROOM, { nick: "Alice", role: "none" });
    expect(kick.attrs.type).toBe("error");
    // A ban is the spoke's own list: it takes Alice off the spoke's view, but the hub keeps her.
    expectResult(
      await adminSet(ophelia, SPOKE_ROOM, { jid: "alice@wonderland.lit", affiliation: "outcast" }),
    );
    await waitForLog(bed.hub.logFile, `refused ${SPOKE_ROOM}'s removal of Alice, an owner here`);
    await everyone([alice, dormouse], [ophelia, horatio]);
    for (const c of [alice, dormouse]) {
      expect(presencesFrom(c, `${HUB_ROOM}/Alice`, before).filter((p) => p.attrs.type)).toEqual([]);
    }
    expect(
      presencesFrom(ophelia, `${SPOKE_ROOM}/Alice`, before).map((p) => p.attrs.type ?? "available"),
    ).toEqual(["unavailable", "available"]);
  });
});

describe("XEP-0289 5.5 what the clients saw", () => {
  it("no client received an fmuc payload", () => {
    for (const c of [alice, hatter, dormouse, ophelia, hamlet, horatio]) {
      expect(withFmuc(c)).toEqual([]);
    }
  });
});
