// XEP-0289 loops (libs/fmuc-core/README.md): a room never joins a room that joins it, directly
// or through others. A join carries the path of rooms it comes through; the joined room refuses a
// join whose path holds it, a join from the room it joins itself, and an owner's choice of an
// upstream room that already joins it.
import { NS, StanzaError, type Element } from "@fedmuc/xmpp";
import { readPath, rejectPresence } from "@fedmuc/fmuc-core";
import { decision, send } from "../decision.js";
import type { Decision, Room } from "../types.js";
import { roomsBelow } from "./copy.js";

/** A joining node's presence (5.1): it carries the muc element; the joined node's never do. */
export function isJoin(stanza: Element): boolean {
  return (
    stanza.name === "presence" &&
    stanza.attrs.type === undefined &&
    stanza.getChild("x", NS.muc) !== undefined
  );
}

/** The rooms a join from `peer` comes through, or the reason it would close a cycle here. */
export function pathOf(room: Room, stanza: Element, peer: string): string[] | { loop: string } {
  const below = readPath(stanza) ?? [peer];
  return below.includes(room.jid)
    ? { loop: `Joining ${room.jid} from ${peer} would make a loop` }
    : below;
}

/** `peer`, the room this one joins or is set to join, joins it in turn: a cycle of two. */
export function joinFromAbove(room: Room, peer: string): Decision {
  return rejected(
    room,
    peer,
    `Joining ${room.jid} from ${peer} would make a loop: ${room.jid} federates with ${peer}`,
  );
}

/** 5.1's <reject/>, from bare JID to bare JID, with the reason, also for the operator. */
export function rejected(
  room: Room,
  peer: string,
  reason: string,
  level: "info" | "warn" = "warn",
): Decision {
  return decision(
    [],
    [
      send(rejectPresence(room.jid, peer, reason)),
      { kind: "log", level, message: `rejected ${peer}: ${reason}` },
    ],
  );
}

/** An owner's choice of upstream room: never this room, nor a room whose traffic comes here. */
export function checkUpstreamChoice(room: Room, upstream: string): void {
  if (roomsBelow(room).includes(upstream)) {
    throw new StanzaError(
      "not-acceptable",
      `${upstream} federates with ${room.jid} already: joining it would make a loop`,
    );
  }
}
