// XEP-0289 operator commands (this service's design, libs/fmuc-core/README.md "Operator
// commands"): which links a command names; a resync joins afresh (a new session, the history
// since the latest message heard, the peer's occupants announced anew); a detach ends a link as
// the leave flows do, and nothing joins again until the service is attached.
import { describe, expect, it } from "vitest";
import { NS, type Element } from "@fedmuc/xmpp";
import { readSession } from "@fedmuc/fmuc-core";
import {
  ALICE,
  HAMLET,
  HATTER,
  HUB,
  SPOKE,
  join,
  presencesFrom,
  say,
  world,
  type Node,
} from "../testing/network.js";
import { targets, type OperatorAction } from "./operator.js";

const OPHELIA = "ophelia@denmark.lit/castle";

/** A hub room with Alice and the Hatter, the spoke room with Hamlet, federated; `detached`:
 * the services each node's operator detached. */
function federated(detached: { hub?: Set<string>; spoke?: Set<string> } = {}) {
  const hubOff = detached.hub ?? new Set<string>();
  const spokeOff = detached.spoke ?? new Set<string>();
  const serviceIn = (set: Set<string>) => (peer: string) => set.has(peer.split("@")[1]!);
  const w = world({
    hub: { detached: serviceIn(hubOff) },
    spoke: { detached: serviceIn(spokeOff) },
  });
  w.hub.step(join(HATTER, HUB, "Hatter"));
  w.spoke.step(join(HAMLET, SPOKE, "Hamlet"));
  w.flush();
  return { ...w, hubOff, spokeOff };
}

const run = (node: Node, peer: string, action: OperatorAction) => node.operator(peer, action);

const sent = (node: Node) => node.outbox.slice();
const statusText = (el: Element) => el.getChildText("status");
const unavailableTo = (node: Node, jid: string) =>
  node.receivedBy(jid).filter((el) => el.is("presence") && el.attrs.type === "unavailable");

describe("operator commands: the links a command names", () => {
  const link = { room: SPOKE, peer: HUB };
  it("names every link to a peer service, or one room's links by either end", () => {
    expect(targets(link, { service: "rooms.wonderland.lit" })).toBe(true);
    expect(targets(link, { service: "wonderland.lit" })).toBe(false);
    expect(targets(link, { room: SPOKE })).toBe(true);
    expect(targets(link, { room: HUB })).toBe(true);
    expect(targets(link, { room: "other@talk.denmark.lit" })).toBe(false);
  });
});

describe("operator commands: resync", () => {
  it("joins the peer afresh: a new session proposed, every occupant announced, the history since the latest message heard", () => {
    const { hub, spoke, flush } = federated();
    hub.step(say(ALICE, HUB, "before"));
    flush();
    const session = spoke.room.links[HUB]!.session;
    spoke.step(join(OPHELIA, SPOKE, "Ophelia"));
    flush();
    run(spoke, HUB, "resync");
    const joins = sent(spoke).filter((el) => el.is("presence"));
    expect(joins.map((el) => el.attrs.to)).toEqual([`${HUB}/Hamlet`, `${HUB}/Ophelia`]);
    const offer = readSession(joins[0]!)!;
    expect(offer.id).not.toBe(session);
    expect(offer.rx).toBe(0);
    const history = joins[0]!.getChild("x", NS.muc)!.getChild("history")!;
    expect(history.attrs.since).toBe(spoke.room.links[HUB]!.heard);
    expect(spoke.room.links[HUB]!.state).toBe("resyncing");
    expect(
      Object.values(spoke.room.occupants)
        .filter((o) => o.stale)
        .map((o) => o.nick),
    ).toEqual(["Alice", "Hatter"].sort());
    flush();
    // The hub took the new session up; its occupants came again, nobody left, nothing twice.
    expect(spoke.room.links[HUB]).toMatchObject({ state: "up", session: offer.id });
    expect(hub.room.links[SPOKE]!.session).toBe(offer.id);
    expect(Object.values(spoke.room.occupants).some((o) => o.stale)).toBe(false);
    expect(Object.keys(spoke.room.occupants).sort()).toEqual([
      "Alice",
      "Hamlet",
      "Hatter",
      "Ophelia",
    ]);
    expect(unavailableTo(spoke, HAMLET)).toEqual([]);
    expect(
      spoke.receivedBy(HAMLET).filter((el) => el.getChildText("body") === "before"),
    ).toHaveLength(1);
  });

  it("leaves alone a link the peer joined, and one whose join is on its way", () => {
    const { hub, spoke, flush } = federated();
    expect(run(hub, SPOKE, "resync").mutations).toEqual([]);
    spoke.pathChange(HUB, "down");
    spoke.pathChange(HUB, "up"); // a rejoin on its way
    expect(run(spoke, HUB, "resync").mutations).toEqual([]);
    flush();
    expect(spoke.room.links[HUB]!.state).toBe("up");
  });
});

describe("operator commands: detach and attach", () => {
  it("a room that joined the peer leaves it: the peer confirms, each side's users see the other's leave, saying why", () => {
    const { hub, spoke, flush, spokeOff } = federated();
    spokeOff.add("rooms.wonderland.lit");
    run(spoke, HUB, "detach");
    expect(spoke.room.links[HUB]).toBeUndefined();
    const gone = unavailableTo(spoke, HAMLET);
    expect(gone.map((el) => el.attrs.from).sort()).toEqual([`${SPOKE}/Alice`, `${SPOKE}/Hatter`]);
    expect(gone.map(statusText)).toEqual([
      `The service's operator detached the link to ${HUB}`,
      `The service's operator detached the link to ${HUB}`,
    ]);
    flush();
    expect(hub.room.links[SPOKE]).toBeUndefined();
    expect(presencesFrom(unavailableTo(hub, ALICE))).toEqual([`${HUB}/Hamlet`]);
    // Detached: a newcomer does not bring the link back.
    spoke.step(join(OPHELIA, SPOKE, "Ophelia"));
    expect(spoke.room.links[HUB]).toBeUndefined();
    expect(sent(spoke)).toEqual([]);
  });

  it("a room the peer joined takes the peer's occupants out and rejects the link; the peer's users see the hub's leave; its joins are refused while detached", () => {
    const { hub, spoke, flush, hubOff } = federated();
    hubOff.add("talk.denmark.lit");
    run(hub, SPOKE, "detach");
    expect(hub.room.links[SPOKE]).toBeUndefined();
    const gone = unavailableTo(hub, ALICE);
    expect(presencesFrom(gone)).toEqual([`${HUB}/Hamlet`]);
    expect(statusText(gone[0]!)).toBe(`The service's operator detached the link from ${SPOKE}`);
    expect(unavailableTo(hub, HAMLET)).toEqual([]); // the spoke is told by <reject/>
    flush();
    expect(spoke.room.links[HUB]).toBeUndefined();
    expect(presencesFrom(unavailableTo(spoke, HAMLET)).sort()).toEqual([
      `${SPOKE}/Alice`,
      `${SPOKE}/Hatter`,
    ]);
    spoke.step(join(OPHELIA, SPOKE, "Ophelia")); // the spoke joins again: refused
    flush();
    expect(spoke.room.links[HUB]).toBeUndefined();
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hatter"]);
    expect(hub.logs.join("\n")).toContain("is detached from the service of");
  });

  it("attach: a detached room with occupants to represent joins again; one without stays as it is", () => {
    const { hub, spoke, flush, spokeOff } = federated();
    spokeOff.add("rooms.wonderland.lit");
    run(spoke, HUB, "detach");
    flush();
    expect(run(spoke, "rooms.wonderland.lit", "attach").mutations).toEqual([]); // still detached
    spokeOff.clear();
    run(spoke, "rooms.wonderland.lit", "attach");
    flush();
    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    // Hamlet came, left with the detach, and came back.
    const hamlets = hub.receivedBy(ALICE).filter((el) => el.attrs.from === `${HUB}/Hamlet`);
    expect(hamlets.map((el) => el.attrs.type ?? "available")).toEqual([
      "available",
      "unavailable",
      "available",
    ]);
    expect(run(spoke, "rooms.wonderland.lit", "attach").mutations).toEqual([]); // linked already
    expect(run(spoke, "elsewhere.lit", "attach").mutations).toEqual([]);
  });
});
