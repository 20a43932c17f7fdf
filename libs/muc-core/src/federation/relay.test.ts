// XEP-0289 chains through a room with no users of its own (a regional hub between spokes and a
// central hub): the ship's service relays the boat's room to the fleet's. In memory, each node
// deciding with its own rules.
import { describe, expect, it } from "vitest";
import { NS, type Element } from "@fedmuc/xmpp";
import { Node, bodies, deliver, fleet, join, network, say } from "../testing/network.js";

const ORDERS = "Steady as she goes";
const COXSWAIN = "coxswain@boat.example/oar";

const subject = (jid: string, room: string, text: string) =>
  `<message from="${jid}" to="${room}" type="groupchat"><subject>${text}</subject></message>`;
const leave = (jid: string, room: string, nick: string) =>
  `<presence from="${jid}" to="${room}/${nick}" type="unavailable"/>`;
const subjects = (els: Element[], text: string) =>
  els.filter((el) => el.is("message") && el.getChildText("subject") === text);
const presences = (els: Element[], from: string, type?: string) =>
  els.filter((el) => el.is("presence") && el.attrs.from === from && el.attrs.type === type);
const history = (els: Element[]) => els.filter((el) => el.getChild("delay", NS.delay));

/** The fleet with a subject and a message of history on its deck, and nobody on the ship's. */
function relay() {
  const rooms = fleet();
  const { top, ADMIRAL } = rooms;
  top.step(subject(ADMIRAL, top.room.jid, ORDERS));
  top.step(say(ADMIRAL, top.room.jid, "Old orders"));
  return rooms;
}

describe("XEP-0289 chains: a middle room with no users of its own", () => {
  it("a join from below creates it as a mirror of the room above, which it joins for the joiner", () => {
    const { top, mid, low, flush, COX } = relay();
    low.step(join(COX, low.room.jid, "Cox"));
    flush();
    // No owner, not locked: nobody created it there; its state comes from above.
    expect(mid.room).toMatchObject({ exists: true, locked: false, affiliations: {} });
    expect(mid.room.links[top.room.jid]).toMatchObject({ role: "upstream", state: "up" });
    expect(mid.room.links[low.room.jid]).toMatchObject({ role: "downstream", state: "up" });
    expect(top.room.occupants.Cox).toMatchObject({ jid: COX, node: mid.room.jid });
    expect(low.room.occupants.Admiral).toMatchObject({ node: mid.room.jid });
  });

  it("the bottom's users get the top's occupants, history and subject once each, in that order", () => {
    const { top, mid, low, flush, COX } = relay();
    low.step(join(COX, low.room.jid, "Cox"));
    flush();
    const got = low.receivedBy(COX);
    expect(presences(got, `${low.room.jid}/Admiral`)).toHaveLength(1);
    const old = history(got);
    expect(bodies(old)).toEqual(["Old orders"]);
    expect(old[0]!.getChild("delay", NS.delay)!.attrs.stamp).toBe(top.history[0]!.stamp);
    // The empty subject of a room that has none, on entering; then the top's, after the history.
    const told = got.filter((el) => el.getChild("subject"));
    expect(told.map((el) => el.getChildText("subject"))).toEqual(["", ORDERS]);
    expect(got.indexOf(told[1]!)).toBeGreaterThan(got.indexOf(old[0]!));
    // The rooms keep them too, for whoever comes next.
    expect(mid.room.subject?.text).toBe(ORDERS);
    expect(low.room.subject?.text).toBe(ORDERS);
    expect(low.history.map((e) => e.nick)).toEqual(["Admiral"]);
    expect(got.filter((el) => el.toString().includes(NS.fmuc))).toEqual([]);
  });

  it("messages from the bottom and from the top reach every user once", () => {
    const { top, low, flush, ADMIRAL, COX } = relay();
    low.step(join(COX, low.room.jid, "Cox"));
    flush();
    low.step(say(COX, low.room.jid, "Land ho"));
    flush();
    top.step(say(ADMIRAL, top.room.jid, "Well spotted"));
    flush();
    expect(bodies(top.receivedBy(ADMIRAL))).toEqual(["Old orders", "Land ho", "Well spotted"]);
    expect(bodies(low.receivedBy(COX))).toEqual(["Old orders", "Land ho", "Well spotted"]);
  });

  it("an occupant who arrives below while its join above is on its way is shown above too", () => {
    const { top, mid, low, flush, ADMIRAL, COX } = relay();
    low.step(join(COX, low.room.jid, "Cox"));
    deliver(low, mid); // the ship's deck is created and joins the fleet's: on its way
    deliver(mid, low); // the boat's join completes
    low.step(join(COXSWAIN, low.room.jid, "Coxswain"));
    deliver(low, mid);
    expect(mid.room.links[top.room.jid]).toMatchObject({ state: "joining" });
    flush();
    expect(top.room.occupants.Coxswain).toMatchObject({ jid: COXSWAIN, node: mid.room.jid });
    expect(presences(top.receivedBy(ADMIRAL), `${top.room.jid}/Coxswain`)).toHaveLength(1);
  });

  it("leaves the room above when the last occupant below leaves (the top confirms), and joins again", () => {
    const { top, mid, low, flush, ADMIRAL, COX } = relay();
    low.step(join(COX, low.room.jid, "Cox"));
    flush();
    low.step(leave(COX, low.room.jid, "Cox"));
    flush();
    expect(presences(top.receivedBy(ADMIRAL), `${top.room.jid}/Cox`, "unavailable")).toHaveLength(
      1,
    );
    expect(mid.logs).toContain(`left the set of ${top.room.jid}`);
    expect(top.room.links).toEqual({});
    expect(mid.room.exists).toBe(false);
    expect(low.room.exists).toBe(false);
    top.step(say(ADMIRAL, top.room.jid, "Anyone there?"));
    expect(top.outbox).toEqual([]); // no traffic toward a room that left

    low.step(join(COX, low.room.jid, "Cox"));
    flush();
    expect(top.room.occupants.Cox).toMatchObject({ node: mid.room.jid });
    const again = low
      .receivedBy(COX)
      .slice(
        low
          .receivedBy(COX)
          .indexOf(presences(low.receivedBy(COX), `${low.room.jid}/Cox`, "unavailable")[0]!),
      );
    expect(presences(again, `${low.room.jid}/Admiral`)).toHaveLength(1);
    expect(subjects(again, ORDERS)).toHaveLength(1);
    low.step(say(COX, low.room.jid, "Back"));
    flush();
    expect(bodies(top.receivedBy(ADMIRAL)).filter((b) => b === "Back")).toHaveLength(1);
  });

  // The ship passes the refusal down at once, and its <left/> through the link's outbox: either
  // may reach the boat first.
  for (const refusalFirst of [false, true]) {
    it(`a user below whose nickname the top holds gets its conflict, node by node (${refusalFirst ? "the refusal" : "<left/>"} first)`, () => {
      const { top, mid, low, flush, COX } = relay();
      const GALLEY_COX = "cox@fleet.example/galley";
      top.step(join(GALLEY_COX, top.room.jid, "Cox"));
      low.step(join(COX, low.room.jid, "Cox"));
      deliver(low, mid);
      deliver(mid, top);
      deliver(top, mid); // the fleet refuses the ship's Cox
      const [left, refusal] = mid.outbox.slice(-2);
      expect(left!.getChild("fmuc", NS.fmuc)?.getChild("left")).toBeDefined();
      expect(refusal!.attrs).toMatchObject({ type: "error", to: `${low.room.jid}/Cox` });
      if (refusalFirst) mid.outbox.splice(-2, 2, refusal!, left!);
      flush();
      const errors = low.receivedBy(COX).filter((el) => el.attrs.type === "error");
      expect(errors).toHaveLength(1);
      expect(errors[0]!.attrs.from).toBe(`${low.room.jid}/Cox`);
      expect(errors[0]!.getChild("error")!.getChild("conflict", NS.stanzas)).toBeDefined();
      // Nobody merged, and nobody left to relay for: the ship's deck and the boat's are gone.
      expect(top.room.occupants.Cox).toMatchObject({ jid: GALLEY_COX });
      expect(top.room.links).toEqual({});
      expect(mid.room.exists).toBe(false);
      expect(low.room.exists).toBe(false);
      mid.fireTimers();
      expect(mid.outbox).toEqual([]);
    });
  }

  it("a later change of subject or configuration at the top reaches the bottom", () => {
    const { top, low, flush, ADMIRAL, COX } = relay();
    low.step(join(COX, low.room.jid, "Cox"));
    flush();
    top.step(subject(ADMIRAL, top.room.jid, "Make for port"));
    top.step(
      `<iq from="${ADMIRAL}" to="${top.room.jid}" type="set" id="n"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="submit"><field var="muc#roomconfig_roomname"><value>Fleet deck</value></field></x></query></iq>`,
    );
    flush();
    expect(subjects(low.receivedBy(COX), "Make for port")).toHaveLength(1);
    expect(low.room.subject?.text).toBe("Make for port");
    expect(low.room.config.name).toBe("Fleet deck");
  });
});

describe("XEP-0289 chains: what a middle service does not relay", () => {
  it("with no upstream for the room, refuses the join from below (item-not-found) and creates nothing", () => {
    const MID = "deck@muc.ship.example";
    const LOW = "deck@muc.boat.example";
    const mid = new Node(MID, { allows: (p) => p === LOW, upstream: () => null, replica: false });
    const low = new Node(LOW, { allows: () => false, upstream: () => MID, replica: false });
    const flush = network(mid, low);
    const COX = "cox@boat.example/tiller";
    low.step(join(COX, LOW, "Cox"));
    flush();
    expect(mid.room.exists).toBe(false);
    expect(low.room.links).toEqual({});
    expect(low.logs.join("\n")).toContain(`${MID} refused the link (item-not-found)`);
    low.step(say(COX, LOW, "alone"));
    expect(bodies(low.receivedBy(COX))).toEqual(["alone"]);
  });

  it("a ring of services, each set to join the next, is cut where a join would close it", () => {
    const [A, B, C] = ["deck@a.example", "deck@b.example", "deck@c.example"];
    const next = { [A]: B, [B]: C, [C]: A };
    const node = (jid: string) =>
      new Node(jid, { allows: () => true, upstream: (r) => next[r]!, replica: false });
    const [a, b, c] = [node(A), node(B), node(C)];
    const flush = network(a, b, c);
    const ANN = "ann@a.example/x";
    a.step(join(ANN, A, "Ann"));
    flush();
    expect(a.room.links[B]).toMatchObject({ role: "upstream", state: "up" });
    expect(b.room.links[C]).toMatchObject({ role: "upstream", state: "up" });
    expect(c.room.links[A]).toBeUndefined(); // rejected: A is on its path
    expect(c.logs.join("\n")).toContain("rejected the link");
    a.step(say(ANN, A, "round and round?"));
    flush();
    expect(bodies(a.receivedBy(ANN))).toEqual(["round and round?"]);
    expect(c.history.map((e) => e.nick)).toEqual(["Ann"]);
  });

  it("a user below and one above who take a nickname at once: the one below gives way, with an error, once", () => {
    const { top, mid, low, flush, COX } = relay();
    low.step(join(COX, low.room.jid, "Cox"));
    flush();
    const NELSON_TOP = "nelson@fleet.example/deck";
    const NELSON_LOW = "nelson@boat.example/stern";
    top.step(join(NELSON_TOP, top.room.jid, "Nelson"));
    low.step(join(NELSON_LOW, low.room.jid, "Nelson"));
    deliver(low, mid); // the boat's Nelson reaches the ship first...
    deliver(top, mid); // ...then the fleet's, which holds the nickname
    flush();
    for (const node of [top, mid, low]) {
      expect(node.room.occupants.Nelson).toMatchObject({ jid: NELSON_TOP });
    }
    const refused = low.receivedBy(NELSON_LOW).filter((el) => el.attrs.type === "error");
    expect(refused).toHaveLength(1);
    expect(refused[0]!.getChild("error")?.getChild("conflict")).toBeDefined();
  });
});
