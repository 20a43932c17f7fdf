// XEP-0289 section 5 end to end in memory: a spoke room and a hub room, each deciding with its
// own rules, their link outboxes delivered to each other in order.
import { describe, expect, it } from "vitest";
import { NS, bareOf, parse, type Element } from "@fedmuc/xmpp";
import { decide } from "../decide.js";
import { applyMutations } from "../room.js";
import {
  ALICE,
  HAMLET,
  HATTER,
  HUB,
  Node,
  SPOKE,
  bodies,
  chain,
  join,
  network,
  presencesFrom,
  say,
  world,
} from "../testing/network.js";

describe("XEP-0289 5.1 initial federation", () => {
  it("the spoke joins the hub as its first occupant arrives, and each sees the other's occupants", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    // The spoke mirrors the hub: no locked room waiting for configuration.
    expect(spoke.room.locked).toBe(false);
    const [first] = spoke.outbox;
    expect(first!.attrs).toMatchObject({ from: `${SPOKE}/Hamlet`, to: `${HUB}/Hamlet` });
    expect(first!.getChild("fmuc", NS.fmuc)!.attrs.from).toBe(HAMLET);
    flush();
    expect(hub.room.links[SPOKE]).toMatchObject({ role: "downstream", state: "up" });
    expect(spoke.room.links[HUB]).toMatchObject({ role: "upstream", state: "up" });
    expect(presencesFrom(hub.receivedBy(ALICE))).toContain(`${HUB}/Hamlet`);
    expect(presencesFrom(spoke.receivedBy(HAMLET))).toContain(`${SPOKE}/Alice`);
    expect(hub.room.occupants.Hamlet).toMatchObject({ jid: HAMLET, node: SPOKE });
    expect(spoke.room.occupants.Alice).toMatchObject({ jid: ALICE, node: HUB });
  });

  it("never passes an fmuc payload to a client, nor sends to a remote user directly", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    spoke.step(say(HAMLET, SPOKE, "Hi Alice"));
    hub.step(say(ALICE, HUB, "Hi Hamlet"));
    flush();
    for (const el of [...hub.clients, ...spoke.clients]) {
      expect(el.toString()).not.toContain(NS.fmuc);
    }
    expect(hub.clients.every((el) => !el.attrs.to?.endsWith("denmark.lit/priam-ubuntu-vm"))).toBe(
      true,
    );
    expect(spoke.clients.every((el) => !el.attrs.to?.startsWith("alice@"))).toBe(true);
  });

  it("rejects a spoke the hub does not allow, from bare JID to bare JID with a reason", () => {
    const hub = new Node(HUB, { allows: () => false, upstream: () => null, replica: false });
    hub.step(join(ALICE, HUB, "Alice"));
    hub.step(
      `<presence from="${SPOKE}/Hamlet" to="${HUB}/Hamlet"><fmuc xmlns="${NS.fmuc}" from="${HAMLET}"/><x xmlns="${NS.muc}"/></presence>`,
    );
    const reject = hub.clients.at(-1)!;
    expect(reject.attrs).toMatchObject({ from: HUB, to: SPOKE });
    expect(reject.getChild("fmuc", NS.fmuc)!.getChildText("reject")).toContain("does not federate");
    expect(hub.room.occupants.Hamlet).toBeUndefined();
  });
});

describe("XEP-0289 bad input from other nodes", () => {
  const logs = (node: Node, stanza: string) => {
    const d = decide(node.room, parse(stanza), node.ctx);
    expect(d.mutations).toEqual([]);
    expect(d.effects.every((e) => e.kind === "log")).toBe(true);
    return d.effects.map((e) => (e.kind === "log" ? e.message : ""));
  };

  it("ignores and logs fmuc traffic from a room FMUC_ALLOW does not list", () => {
    const { hub } = world();
    const [note] = logs(
      hub,
      `<message from="evil@rooms.elsewhere.example/Eve" to="${HUB}" type="groupchat"><body>hi</body><fmuc xmlns="${NS.fmuc}" from="eve@elsewhere.example/x"/></message>`,
    );
    expect(note).toContain("evil@rooms.elsewhere.example");
  });

  it("ignores and logs a malformed fmuc payload", () => {
    const { hub } = world();
    const [note] = logs(
      hub,
      `<presence from="${SPOKE}/Hamlet" to="${HUB}/Hamlet"><fmuc xmlns="${NS.fmuc}"/></presence>`,
    );
    expect(note).toContain("without a real JID");
  });

  it("refuses a join for a room that does not exist here", () => {
    const hub = new Node(HUB, { allows: (p) => p === SPOKE, upstream: () => null, replica: false });
    hub.step(
      `<presence from="${SPOKE}/Hamlet" to="${HUB}/Hamlet"><fmuc xmlns="${NS.fmuc}" from="${HAMLET}"/><x xmlns="${NS.muc}"/></presence>`,
    );
    const [error] = hub.clients;
    expect(error!.attrs).toMatchObject({ type: "error", to: `${SPOKE}/Hamlet` });
    expect(hub.room.exists).toBe(false);
  });
});

describe("XEP-0289 nick collisions", () => {
  it("the hub keeps its Hamlet; the spoke's Hamlet is refused with conflict and nobody is merged", () => {
    const { hub, spoke, flush } = world();
    const OTHER_HAMLET = "hamlet@wonderland.lit/stage";
    hub.step(join(OTHER_HAMLET, HUB, "Hamlet"));
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    // The hub kept its own Hamlet and did not take the spoke's.
    expect(hub.room.occupants.Hamlet).toMatchObject({ jid: OTHER_HAMLET });
    expect(hub.room.occupants.Hamlet!.node).toBeUndefined();
    // The spoke's Hamlet got the conflict, as a refused join, and is out of the spoke room.
    const refusal = spoke.receivedBy(HAMLET).at(-1)!;
    expect(refusal.attrs).toMatchObject({ type: "error", from: `${SPOKE}/Hamlet` });
    expect(refusal.getChild("error")!.getChild("conflict", NS.stanzas)).toBeDefined();
    expect(Object.values(spoke.room.occupants).filter((o) => o.jid === HAMLET)).toEqual([]);
  });
});

describe("XEP-0289 5.1 history", () => {
  it("the hub's history reaches the spoke's occupants with the join, with its time, and joins the spoke's history", () => {
    const { hub, spoke, flush } = world();
    hub.step(say(ALICE, HUB, "This is an old message from the history"));
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    const old = spoke.receivedBy(HAMLET).find((el) => el.getChildText("body") !== null)!;
    expect(old.attrs.from).toBe(`${SPOKE}/Alice`);
    expect(old.getChild("delay", NS.delay)!.attrs.stamp).toBe(hub.history[0]!.stamp);
    expect(spoke.history.map((e) => e.nick)).toEqual(["Alice"]);
  });
});

const kick = (actor: string, room: string, nick: string) =>
  `<iq from="${actor}" to="${room}" type="set" id="k"><query xmlns="${NS.mucAdmin}"><item nick="${nick}" role="none"><reason>Out!</reason></item></query></iq>`;
const codesOf = (el: Element) =>
  (el.getChild("x", NS.mucUser)?.getChildren("status") ?? []).map((s) => Number(s.attrs.code));

describe("XEP-0289 a missing upstream room", () => {
  it("fails the link but keeps the local user chatting", () => {
    const spoke = new Node(SPOKE, { allows: () => false, upstream: () => HUB, replica: false });
    const hub = new Node(HUB, { allows: (p) => p === SPOKE, upstream: () => null, replica: false });
    hub.peers.add(SPOKE);
    spoke.peers.add(HUB);
    const flush = network(hub, spoke);
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    expect(spoke.room.links[HUB]).toBeUndefined();
    expect(spoke.room.occupants.Hamlet).toMatchObject({ jid: HAMLET });
    spoke.step(say(HAMLET, SPOKE, "anyone?"));
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual(["anyone?"]);
  });
});

describe("XEP-0289 5.5 administration", () => {
  it("a kick at the hub removes the spoke's user at the spoke too, with its code, actor and reason", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    hub.step(kick(ALICE, HUB, "Hamlet"));
    flush();
    const out = spoke.receivedBy(HAMLET).at(-1)!;
    expect(out.attrs).toMatchObject({ from: `${SPOKE}/Hamlet`, type: "unavailable" });
    expect(codesOf(out)).toEqual([110, 307]);
    const item = out.getChild("x", NS.mucUser)!.getChild("item")!;
    expect(item.getChild("actor")!.attrs.nick).toBe("Alice");
    expect(item.getChildText("reason")).toBe("Out!");
    expect(spoke.room.occupants.Hamlet).toBeUndefined();
    expect(hub.room.occupants.Hamlet).toBeUndefined();
  });

  it("a kick of the hub's owner issued at the spoke does not remove her at the hub, which announces her again", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    // The spoke shows Alice as the hub shows her: its owner (cosmetic, 5.5).
    expect(spoke.room.occupants.Alice).toMatchObject({ affiliation: "owner", role: "moderator" });
    // Hamlet is an admin of the spoke room, and Alice is shown there as nobody in particular
    // (as a peer that does not show affiliations would), so he may kick her there...
    const hamlet = spoke.room.occupants.Hamlet!;
    const alice = spoke.room.occupants.Alice!;
    spoke.room = applyMutations(
      spoke.room,
      [
        { op: "setAffiliation", jid: bareOf(HAMLET), affiliation: "admin" },
        { op: "putOccupant", occupant: { ...hamlet, affiliation: "admin", role: "moderator" } },
        { op: "putOccupant", occupant: { ...alice, affiliation: "none", role: "participant" } },
      ],
      spoke.room.version + 1,
    );
    spoke.step(kick(HAMLET, SPOKE, "Alice"));
    expect(spoke.room.occupants.Alice).toBeUndefined();
    flush();
    // ...but Alice owns the hub room: the hub keeps her, and the spoke sees her back.
    expect(hub.room.occupants.Alice).toMatchObject({ jid: ALICE });
    expect(spoke.room.occupants.Alice).toMatchObject({ jid: ALICE, node: HUB });
    expect(hub.receivedBy(ALICE).filter((el) => el.attrs.type === "unavailable")).toEqual([]);
  });
});

describe("XEP-0289 5.6 private messages", () => {
  it("go node by node to the occupant's own node, and arrive from the sender's address there", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    spoke.step(
      `<message from="${HAMLET}" to="${SPOKE}/Alice" type="chat"><body>Hi, I want to say something in private</body></message>`,
    );
    expect(spoke.clients.filter((el) => el.attrs.type === "chat")).toEqual([]);
    flush();
    const pm = hub.receivedBy(ALICE).find((el) => el.attrs.type === "chat")!;
    expect(pm.attrs.from).toBe(`${HUB}/Hamlet`);
    expect(pm.getChildText("body")).toBe("Hi, I want to say something in private");
    expect(pm.getChild("fmuc", NS.fmuc)).toBeUndefined();
  });
});

describe("XEP-0289 primary-replica", () => {
  function replicaWorld() {
    const hub = new Node(HUB, { allows: (p) => p === SPOKE, upstream: () => null, replica: false });
    const spoke = new Node(SPOKE, { allows: () => false, upstream: () => HUB, replica: true });
    hub.peers.add(SPOKE);
    spoke.peers.add(HUB);
    hub.step(join(ALICE, HUB, "Alice"));
    hub.step(
      `<iq from="${ALICE}" to="${HUB}" type="set" id="c"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="submit"/></query></iq>`,
    );
    return { hub, spoke, flush: network(hub, spoke) };
  }

  it("refuses local messages until the link is up", () => {
    const { spoke } = replicaWorld();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    spoke.step(say(HAMLET, SPOKE, "too early"));
    const error = spoke.receivedBy(HAMLET).at(-1)!;
    expect(error.attrs.type).toBe("error");
    expect(error.getChild("error")!.getChild("resource-constraint", NS.stanzas)).toBeDefined();
    expect(error.getChild("error")!.getChildText("text", NS.stanzas)).toContain("not up");
  });

  it("delivers a local message only when the hub's echo returns, once, everywhere in the same order", () => {
    const { hub, spoke, flush } = replicaWorld();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    expect(hub.room.links[SPOKE]).toMatchObject({ replica: true });
    spoke.step(say(HAMLET, SPOKE, "Hi Alice"));
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual([]); // not before the echo
    hub.step(say(ALICE, HUB, "Hi Hamlet"));
    flush();
    // The hub handled Alice's message first: both sides see the hub's order (the point of
    // primary-replica: one order for the whole room).
    expect(bodies(hub.receivedBy(ALICE))).toEqual(["Hi Hamlet", "Hi Alice"]);
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual(["Hi Hamlet", "Hi Alice"]);
    expect(spoke.history.map((e) => e.nick)).toEqual(["Alice", "Hamlet"]);
  });
});

describe("XEP-0289 5.2 sending messages", () => {
  it("each message crosses the link once and reaches every occupant once, the sender's node delivering at once", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    spoke.step(say(HAMLET, SPOKE, "Hi Alice"));
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual(["Hi Alice"]); // primary-primary
    expect(bodies(spoke.outbox)).toEqual(["Hi Alice"]);
    flush();
    hub.step(say(ALICE, HUB, "Hi Hamlet"));
    expect(bodies(hub.outbox)).toEqual(["Hi Hamlet"]);
    flush();
    expect(bodies(hub.receivedBy(ALICE))).toEqual(["Hi Alice", "Hi Hamlet"]);
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual(["Hi Alice", "Hi Hamlet"]);
    const fromAlice = spoke
      .receivedBy(HAMLET)
      .find((el) => el.getChildText("body") === "Hi Hamlet")!;
    expect(fromAlice.attrs.from).toBe(`${SPOKE}/Alice`);
  });
});

describe("XEP-0289 5.3 and 5.4 subsequent activity and leaving", () => {
  it("a later join at the hub reaches the spoke's occupants; the last local leave takes the spoke out of the set", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    hub.step(join(HATTER, HUB, "Hatter"));
    flush();
    expect(presencesFrom(spoke.receivedBy(HAMLET))).toContain(`${SPOKE}/Hatter`);
    spoke.step(`<presence from="${HAMLET}" to="${SPOKE}/Hamlet" type="unavailable"/>`);
    flush();
    const gone = hub
      .receivedBy(ALICE)
      .filter((el) => el.attrs.from === `${HUB}/Hamlet` && el.attrs.type === "unavailable");
    expect(gone).toHaveLength(1);
    // 5.4: the hub confirmed with <left/>; the link is gone at both ends, the temporary spoke room too.
    expect(hub.room.links[SPOKE]).toBeUndefined();
    expect(spoke.room.links[HUB]).toBeUndefined();
    expect(spoke.room.exists).toBe(false);
    hub.step(say(ALICE, HUB, "anyone?"));
    expect(hub.outbox).toEqual([]);
  });
});

describe("XEP-0289 loops", () => {
  it("a join that would close a cycle is rejected, and nothing circulates", () => {
    const A = "deck@a.example";
    const B = "deck@b.example";
    let bUpstream: string | null = null; // B is configured to join A once A has joined B
    const a = new Node(A, { allows: (p) => p === B, upstream: () => B, replica: false });
    const b = new Node(B, { allows: (p) => p === A, upstream: () => bUpstream, replica: false });
    const flush = network(a, b);
    b.step(join("bob@b.example/x", B, "Bob"));
    a.step(join("ann@a.example/x", A, "Ann"));
    flush();
    expect(b.room.links[A]).toMatchObject({ role: "downstream", below: [A] });
    bUpstream = A;
    b.step(join("bea@b.example/x", B, "Bea"));
    expect(b.room.links[A]).toMatchObject({ role: "downstream" }); // no second link to A
    a.step(say("ann@a.example/x", A, "hello"));
    flush();
    expect(bodies(a.receivedBy("ann@a.example/x"))).toEqual(["hello"]);
    expect(bodies(b.receivedBy("bob@b.example/x"))).toEqual(["hello"]);
  });

  it("a join whose path already holds the room is rejected as a loop", () => {
    const A = "deck@a.example";
    const a = new Node(A, { allows: () => true, upstream: () => null, replica: false });
    a.step(join("ann@a.example/x", A, "Ann"));
    a.step(
      `<presence from="deck@c.example/Cy" to="${A}/Cy"><fmuc xmlns="${NS.fmuc}" from="cy@c.example/x"/><path xmlns="${NS.fedmuc}"><node jid="deck@c.example"/><node jid="${A}"/></path></presence>`,
    );
    const reject = a.clients.at(-1)!;
    expect(reject.getChild("fmuc", NS.fmuc)!.getChildText("reject")).toContain("loop");
    expect(a.room.occupants.Cy).toBeUndefined();
  });
});

describe("XEP-0289 chains: C joins B joins A", () => {
  it("a message from the bottom reaches the top once, and the top's reply reaches the bottom once", () => {
    const { top, mid, low, flush, ADMIRAL, CAPTAIN, COX } = chain();
    expect(Object.keys(top.room.occupants).sort()).toEqual(["Admiral", "Captain", "Cox"]);
    expect(Object.keys(low.room.occupants).sort()).toEqual(["Admiral", "Captain", "Cox"]);
    low.step(say(COX, low.room.jid, "Land ho"));
    flush();
    top.step(say(ADMIRAL, top.room.jid, "Well spotted"));
    flush();
    expect(bodies(top.receivedBy(ADMIRAL))).toEqual(["Land ho", "Well spotted"]);
    expect(bodies(mid.receivedBy(CAPTAIN))).toEqual(["Land ho", "Well spotted"]);
    expect(bodies(low.receivedBy(COX))).toEqual(["Land ho", "Well spotted"]);
  });
});
