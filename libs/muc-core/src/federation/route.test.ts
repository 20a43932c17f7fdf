import { describe, expect, it } from "vitest";
import { NS, parse } from "@fedmuc/xmpp";
import { decide } from "../decide.js";
import { applyMutations } from "../room.js";
import { OWNER, ROOM, context, oneWitch } from "../testing/fixtures.js";
import type { Decision, FederationLink, Mutation, Occupant, Room } from "../types.js";
import { federate } from "./route.js";

const SPOKE = "elsinore@talk.denmark.lit";
const HUB = "rabbithole@rooms.wonderland.lit";
const DOWN: FederationLink = { role: "downstream", state: "up", joins: 1, replica: false };
const UP: FederationLink = { role: "upstream", state: "joining", replica: false, joins: 1 };

const remote = (nick: string, jid: string, node = SPOKE): Occupant => ({
  nick,
  jid,
  role: "participant",
  affiliation: "none",
  presence: "<presence/>",
  occupantId: `oid-${nick}`,
  node,
});

function withFederation(room: Room, mutations: Mutation[]): Room {
  return applyMutations(room, mutations, room.version + 1);
}

const FEDERATING = {
  ...context(),
  federation: { allows: (peer: string) => peer === SPOKE, upstream: () => null, replica: false },
};

/** The decision, routed by federate() as decide() does it. */
function step(room: Room, stanza: string): Decision {
  return decide(room, parse(stanza), FEDERATING);
}

const enqueued = (d: Decision) =>
  d.mutations.flatMap((m) =>
    m.op === "enqueue" ? [{ peer: m.peer, stanza: parse(m.stanza) }] : [],
  );
const sentTo = (d: Decision) =>
  d.effects.flatMap((e) => (e.kind === "send" ? [e.stanza.attrs.to] : []));

/** A hub room: its owner, and Hamlet and Ophelia present through the spoke. */
function hub(): Room {
  return withFederation(oneWitch().room, [
    { op: "setLink", peer: SPOKE, link: DOWN },
    { op: "putOccupant", occupant: remote("Hamlet", "hamlet@denmark.lit/priam") },
    { op: "putOccupant", occupant: remote("Ophelia", "ophelia@denmark.lit/castle") },
  ]);
}

describe("XEP-0289 routing of room effects", () => {
  it("sends a local message once to the node, with fmuc, and never to remote real JIDs (5.2)", () => {
    const d = step(
      hub(),
      `<message from="${OWNER}" to="${ROOM}" type="groupchat"><body>Hi Hamlet</body></message>`,
    );
    expect(sentTo(d)).toEqual([OWNER]);
    const [copy, ...more] = enqueued(d);
    expect(more).toEqual([]);
    expect(copy!.peer).toBe(SPOKE);
    expect(copy!.stanza.attrs).toMatchObject({
      from: `${ROOM}/firstwitch`,
      to: SPOKE,
      type: "groupchat",
    });
    expect(copy!.stanza.getChild("fmuc", NS.fmuc)!.attrs.from).toBe(OWNER);
    expect(copy!.stanza.getChildText("body")).toBe("Hi Hamlet");
    // The peer gives the occupant its own XEP-0421 id: this room's does not cross.
    expect(copy!.stanza.getChild("occupant-id", NS.occupantId)).toBeUndefined();
  });

  it("does not send a node's own message back to it (primary-primary, 5.2)", () => {
    const d = step(
      hub(),
      `<message from="${SPOKE}/Hamlet" to="${ROOM}" type="groupchat"><body>Hi Alice</body><fmuc xmlns="${NS.fmuc}" from="hamlet@denmark.lit/priam"/></message>`,
    );
    expect(sentTo(d)).toEqual([OWNER]);
    expect(enqueued(d)).toEqual([]);
  });

  it("routes a private message to a remote occupant through its node (5.6)", () => {
    const d = step(
      hub(),
      `<message from="${OWNER}" to="${ROOM}/Hamlet" type="chat"><body>psst</body></message>`,
    );
    expect(sentTo(d)).toEqual([]);
    const [copy] = enqueued(d);
    expect(copy!.stanza.attrs).toMatchObject({
      to: `${SPOKE}/Hamlet`,
      from: `${ROOM}/firstwitch`,
      type: "chat",
    });
  });

  it("tells the node of a local join once, without self-only status codes (5.3)", () => {
    const d = step(
      hub(),
      `<presence from="hatter@wonderland.lit/tea" to="${ROOM}/Hatter"><x xmlns="${NS.muc}"/></presence>`,
    );
    // Local copies only: the newcomer and the owner; Hamlet and Ophelia hear of it via their node.
    expect(new Set(sentTo(d))).toEqual(new Set(["hatter@wonderland.lit/tea", OWNER]));
    const copies = enqueued(d);
    expect(copies.map((c) => c.stanza.attrs.from)).toEqual([`${ROOM}/Hatter`]);
    const codes = copies[0]!.stanza.getChild("x", NS.mucUser)!.getChildren("status");
    expect(codes).toEqual([]);
    expect(copies[0]!.stanza.getChild("fmuc", NS.fmuc)!.attrs.from).toBe(
      "hatter@wonderland.lit/tea",
    );
  });

  it("represents each local occupant upstream by its own presence, to room/nick, while joining (5.1)", () => {
    const spoke = withFederation(oneWitch().room, [{ op: "setLink", peer: HUB, link: UP }]);
    const d = step(
      spoke,
      `<presence from="hamlet@denmark.lit/priam" to="${ROOM}/Hamlet"><x xmlns="${NS.muc}"/></presence>`,
    );
    const [copy, ...more] = enqueued(d);
    expect(more).toEqual([]);
    expect(copy!.stanza.attrs).toMatchObject({ from: `${ROOM}/Hamlet`, to: `${HUB}/Hamlet` });
    expect(copy!.stanza.getChild("fmuc", NS.fmuc)!.attrs.from).toBe("hamlet@denmark.lit/priam");
  });

  it("changes nothing in a room without links", () => {
    const room = oneWitch().room;
    const d = decide(
      room,
      parse(`<message from="${OWNER}" to="${ROOM}" type="groupchat"><body>x</body></message>`),
      context(),
    );
    expect(federate(room, d)).toBe(d);
  });

  it("delivers a node's message to local occupants as from the room, without fmuc", () => {
    const d = step(
      hub(),
      `<message from="${SPOKE}/Hamlet" to="${ROOM}" type="groupchat"><body>Hi Alice</body><fmuc xmlns="${NS.fmuc}" from="hamlet@denmark.lit/priam"/></message>`,
    );
    const [toOwner] = d.effects.flatMap((e) => (e.kind === "send" ? [e.stanza] : []));
    expect(toOwner!.attrs).toMatchObject({ from: `${ROOM}/Hamlet`, to: OWNER });
    expect(toOwner!.getChild("fmuc", NS.fmuc)).toBeUndefined();
  });
});
