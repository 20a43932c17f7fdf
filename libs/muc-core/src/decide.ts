// The room's rules as one pure function: (room snapshot, stanza, context) -> decision.
// Like a MUC room object with one method per use case, routed by stanza kind.
import { StanzaError, errorReply, type Element } from "@fedmuc/xmpp";
import { addressOf } from "./address.js";
import { NOTHING, decision, send } from "./decision.js";
import { enter } from "./enter.js";
import { fromNode, peerOf } from "./federation/from-node.js";
import { heldForEcho } from "./federation/replica.js";
import { federate } from "./federation/route.js";
import { inSequence } from "./federation/sequence.js";
import { linkDue } from "./federation/health.js";
import { pathChanged } from "./federation/path.js";
import { operatorAction, type OperatorAction } from "./federation/operator.js";
import { closeUpstream, openUpstream } from "./federation/join.js";
import { changeAvailability, exit } from "./exit.js";
import { bounced } from "./ghost.js";
import { groupchat } from "./groupchat.js";
import { roomMessage } from "./room-message.js";
import { roomQuery } from "./iq.js";
import { changeNick } from "./nick-change.js";
import { privateMessage } from "./private-message.js";
import { applyMutations, occupantByJid } from "./room.js";
import type { Context, Decision, LinkTimerPurpose, Room } from "./types.js";

export function decide(room: Room, stanza: Element, ctx: Context): Decision {
  // XEP-0289: a stanza from another node goes through its own rules, in its link's order;
  // either way federate() routes the effects between local occupants and the links.
  const peer = peerOf(room, stanza, ctx);
  if (peer) {
    const nick = addressOf(stanza.attrs.to).nick;
    // In a chain, a room below may bring this room its first occupant: it joins upstream then.
    const fromPeer = (s: Element) =>
      guarded(s, () => {
        const routed = federate(room, fromNode(room, s, peer, nick, ctx), peer, ctx.now);
        return openUpstream(room, routed, ctx);
      });
    return withTemporaryRoomsCleared(room, inSequence(room, stanza, peer, ctx.now, fromPeer));
  }
  const decided = guarded(stanza, () => {
    const local = closeUpstream(room, route(room, stanza, ctx), ctx);
    const routed = federate(room, local, undefined, ctx.now);
    return openUpstream(room, heldForEcho(room, routed), ctx);
  });
  return withTemporaryRoomsCleared(room, decided);
}

/** A refusal of the stanza becomes its error reply (RFC 6120 8.3.1: never to an error). */
function guarded(stanza: Element, decideIt: () => Decision): Decision {
  try {
    return decideIt();
  } catch (err) {
    if (!(err instanceof StanzaError)) throw err;
    if (stanza.attrs.type === "error") return NOTHING;
    return decision([], [send(errorReply(stanza, err))]);
  }
}

/** XEP-0289: a timer of the link to `peer`, set when its join `joins` was the latest. */
export function decideLinkTimer(
  room: Room,
  peer: string,
  purpose: LinkTimerPurpose,
  joins: number,
  ctx: Context,
): Decision {
  const routed = federate(room, linkDue(room, peer, purpose, joins, ctx), undefined, ctx.now);
  return withTemporaryRoomsCleared(room, routed);
}

/** XEP-0289: the path to the service of the peer of the room's link to `peer` went down or came
 * back (federation/path.ts). */
export function decidePathChange(
  room: Room,
  peer: string,
  changed: "down" | "up",
  ctx: Context,
): Decision {
  const routed = federate(room, pathChanged(room, peer, changed, ctx), undefined, ctx.now);
  return withTemporaryRoomsCleared(room, routed);
}

/** XEP-0289: a service administrator's command about the room's link with `peer` (for attach,
 * `peer` is the service attached again): federation/operator.ts. */
export function decideOperatorAction(
  room: Room,
  peer: string,
  action: OperatorAction,
  ctx: Context,
): Decision {
  const routed = federate(room, operatorAction(room, peer, action, ctx), undefined, ctx.now);
  return withTemporaryRoomsCleared(room, routed);
}

/** A temporary room is destroyed once its last occupant is gone (10.1.3, muc_temporary). */
function withTemporaryRoomsCleared(room: Room, d: Decision): Decision {
  if (d.mutations.length === 0) return d;
  const after = applyMutations(room, d.mutations, room.version);
  const empty = Object.keys(after.occupants).length === 0;
  if (!after.exists || after.config.persistent || !empty) return d;
  return decision([...d.mutations, { op: "destroy" }], d.effects);
}

/** Whether `text` has more than `max` characters (code points, not UTF-16 code units). */
function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false; // never more code points than code units
  let count = 0;
  for (const _ of text) if (++count > max) return true;
  return false;
}

function route(room: Room, stanza: Element, ctx: Context): Decision {
  const { nick } = addressOf(stanza.attrs.to);
  const from = stanza.attrs.from;
  if (!from) throw new StanzaError("bad-request", "The stanza has no 'from' address");
  const occupant = occupantByJid(room, from);
  const type = stanza.attrs.type;

  // A bounce of what the room sent to an occupant: its client is gone.
  if (type === "error") return bounced(room, occupant, stanza);

  if (stanza.name === "presence") {
    if (type === "unavailable") return occupant ? exit(room, occupant, stanza) : NOTHING;
    if (type !== undefined)
      throw new StanzaError("bad-request", `Unexpected presence type ${type}`);
    if (!occupant) return enter(room, stanza, nick, ctx);
    if (occupant.nick === nick) return changeAvailability(room, occupant, stanza);
    return changeNick(room, occupant, nick);
  }

  if (stanza.name === "message") {
    const body = stanza.getChildText("body");
    if (body !== null && longerThan(body, ctx.maxBodyChars)) {
      throw new StanzaError(
        "policy-violation",
        `Messages are limited to ${ctx.maxBodyChars} characters`,
      );
    }
    if (type === "groupchat") {
      if (nick) throw new StanzaError("bad-request", "Groupchat messages go to the room itself");
      // 7.4: a non-occupant's message to all occupants is refused.
      if (!occupant) throw new StanzaError("not-acceptable", "You are not in the room");
      return groupchat(room, occupant, stanza, ctx);
    }
    if (nick) return privateMessage(room, occupant, stanza, nick);
    return roomMessage(room, occupant, stanza);
  }

  if (stanza.name === "iq") {
    if (type === "result") return NOTHING;
    if (type !== "get" && type !== "set") throw new StanzaError("bad-request", "Unknown iq type");
    return roomQuery(room, stanza, nick, ctx);
  }
  throw new StanzaError("bad-request", `Unknown stanza ${stanza.name}`);
}
