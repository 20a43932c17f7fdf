// XEP-0289 chains through a room with no users of its own (a regional hub between spokes and a
// central hub): the ship's service relays the boat's room to the fleet's. In memory, each node
// deciding with its own rules.
import { describe, expect, it } from "vitest";
import type { Element } from "@fedmuc/xmpp";
import { Node, bodies, deliver, fleet, join, network, say } from "../testing/network.js";

const ORDERS = "Steady as she goes";
const COXSWAIN = "coxswain@boat.example/oar";

const subject = (jid: string, room: string, text: string) =>
  `<message from="${jid}" to="${room}" type="groupchat"><subject>${text}</subject></message>`;
const presences = (els: Element[], from: string, type?: string) =>
  els.filter((el) => el.is("presence") && el.attrs.from === from && el.attrs.type === type);

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
});
