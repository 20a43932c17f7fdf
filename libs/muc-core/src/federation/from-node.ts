// XEP-0289: stanzas from another FMUC node. The node's occupants are occupants of this room
// (with `node` set); what they do goes through the XEP-0045 rules like a local occupant's, on a
// copy of the stanza addressed as if from their real JID. Relaying is federate()'s job.
import { NS, StanzaError, bareOf, errorCondition, xml, type Element } from "@fedmuc/xmpp";
import {
  MalformedFmucError,
  readFmuc,
  readLost,
  readOccupants,
  readSession,
} from "@fedmuc/fmuc-core";
import { NOTHING, decision } from "../decision.js";
import { creation, enter, welcome } from "../enter.js";
import { changeAvailability, exit } from "../exit.js";
import { historyLimits } from "../history.js";
import { roomQuery } from "../iq.js";
import { inSteps } from "../steps.js";
import { groupchat } from "../groupchat.js";
import { privateMessage } from "../private-message.js";
import { occupantByJid, occupantList } from "../room.js";
import type { Context, Decision, Mutation, Occupant, Role, Room } from "../types.js";
import { asOccupant, resourceOf, shownStanding } from "./stanza.js";
import { departure, leave } from "./departure.js";
import { localRemovedElsewhere } from "./removal.js";
import { roleChangedElsewhere } from "./role.js";
import { isLinkFailure, isPathFailure, linkDown } from "./health.js";
import { adoptState } from "./upstream.js";
import { upstreamOf } from "./upstream-of.js";
import { isJoin, joinFromAbove, pathOf, rejected } from "./loop.js";
import { answerTo, askMissing, joinedLink, resumption } from "./offer.js";
import { heardOfLoss, lossOf, reportLoss } from "./loss.js";

/** Whether a stanza comes from another FMUC node: it carries fmuc, or comes from a linked room
 * or the room this one federates with (in a chain, its refusal of a user may come after its
 * <left/>). */
export function peerOf(room: Room, stanza: Element, ctx: Context): string | undefined {
  const from = stanza.attrs.from;
  if (!from) return undefined;
  const peer = bareOf(from);
  const linked =
    room.links[peer] !== undefined ||
    stanza.getChild("fmuc", NS.fmuc) !== undefined ||
    upstreamOf(room, ctx) === peer;
  return linked && peer !== room.jid ? peer : undefined;
}

export function fromNode(
  room: Room,
  stanza: Element,
  peer: string,
  nick: string,
  ctx: Context,
): Decision {
  let payload, lost;
  try {
    payload = readFmuc(stanza);
    lost = readLost(stanza);
  } catch (err) {
    if (!(err instanceof MalformedFmucError)) throw err;
    return ignored(`${peer}: ${err.message}`);
  }
  // The peer dropped traffic for this room while the link was down (loss.ts).
  if (lost) return heardOfLoss(room, peer, lost);
  const link = room.links[peer];
  // A peer whose service the operator detached (operator.ts): refused until it is attached.
  if (!link && ctx.federation.detached?.(peer)) {
    if (!isJoin(stanza)) return ignored(`${stanza.name} from ${peer}, whose service is detached`);
    return rejected(room, peer, `${room.jid} is detached from the service of ${peer}`, "info");
  }
  if (link?.role === "upstream" || upstreamOf(room, ctx) === peer) {
    // The room this one joins would join it in turn: a cycle of two, refused.
    if (payload?.kind === "from" && isJoin(stanza)) return joinFromAbove(room, peer);
    return adoptState(room, stanza, peer, payload, ctx);
  }
  const type = stanza.attrs.type;
  // A node asks about the room (its configuration, to mirror it) as anyone may.
  if (stanza.name === "iq") {
    return type === "get" && !nick ? roomQuery(room, stanza, nick, ctx) : NOTHING;
  }
  // What this room sent the node bounced: the link failed (the node rejoins when it can, or,
  // when the path failed, the path's return brings it back: path.ts).
  if (type === "error") {
    const condition = errorCondition(stanza);
    if (!isLinkFailure(condition)) return NOTHING;
    return linkDown(room, peer, condition!, ctx, isPathFailure(condition));
  }
  if (payload?.kind !== "from") return NOTHING; // <reject/> and <left/> are for joining nodes
  if (!ctx.federation.allows(peer)) {
    // 5.1: refused, from the room's bare JID to the joining room's bare JID, with a reason.
    if (stanza.name !== "presence" || type === "unavailable") {
      return ignored(`fmuc ${stanza.name} from ${peer}, which FMUC_ALLOW does not list`);
    }
    return rejected(room, peer, `${room.jid} does not federate with ${peer}`, "info");
  }
  const occupant = occupantByJid(room, payload.jid);
  const mine = occupant?.node === peer ? occupant : undefined;
  const own = asOccupant(stanza, payload.jid);
  if (stanza.name === "presence") {
    if (type === "unavailable") {
      if (mine) return leave(room, peer, departure(room, mine, own));
      return occupant ? localRemovedElsewhere(room, peer, occupant, stanza) : NOTHING;
    }
    // Loops: a join that comes through this room already would close a cycle (in a ring, it
    // brings this room's own occupants back).
    const below = pathOf(room, stanza, peer);
    if ("loop" in below) return rejected(room, peer, below.loop);
    // Not the node's own occupant: the node's moderator changed its role (5.5).
    if (occupant && !mine) return roleChangedElsewhere(room, peer, occupant, stanza);
    // A join (first or again) carries the muc element (5.1); from a node of this service (a
    // link with a session) only its first presence, which lists the node's occupants, is the
    // join. Any other presence is a change, shown with the role the node gives its occupant
    // (5.5). A node of another implementation joins again after an outage with the muc element
    // only: it gets the room's state again, as any rejoin.
    const listed = readOccupants(stanza);
    const joining = listed !== undefined || (isJoin(stanza) && link?.session === undefined);
    const shown = roleShown(stanza);
    if (mine && !joining) return changeAvailability(room, mine, own, shown);
    // A room here that would mirror a room above is made on demand, as a relay (a regional hub
    // with no users of its own); one that would not must exist already.
    if (!room.exists && !upstreamOf(room, ctx))
      throw new StanzaError("item-not-found", `No room ${room.jid} here to federate with`);
    // A join offering the link's session resumes it: only what the node has not applied goes
    // again; a join without one, or with another, starts over with the room's state.
    const offer = listed ? readSession(stanza) : undefined;
    const answer = answerTo(link, offer, ctx, lossOf(room, peer) !== undefined);
    const resumed = answer.kind === "resume" || answer.kind === "repeat";
    const joined = joinedLink(link, answer, below, wantsEcho(stanza), offer, joining);
    const requested = nick || resourceOf(stanza.attrs.from);
    // A rejoin that starts over gets the room's state and history again: what waited for the
    // node and is carried by them goes (its private messages stay, and go after).
    const replaced: Mutation[] =
      link && joining && !resumed ? [{ op: "dropReplaceable", peer }] : [];
    const join = inSteps(room, [
      // Made first: making a room starts it afresh, without links.
      () => decision(room.exists ? [] : creation(room, ctx), []),
      () =>
        decision(
          [...replaced, { op: "setLink", peer, link: joined }],
          link && answer.kind === "resume" ? resumption(room.jid, peer, link) : [],
        ),
      // A rejoin: the node's occupants it no longer lists left while the link was down.
      ...occupantList(room)
        .filter((o) => o.node === peer && listed && !listed.includes(o.jid))
        .map((o) => (r: Room) => withoutSelf(exit(r, o), o)),
      (r) => {
        const again = occupantByJid(r, payload.jid);
        if (!again) return enter(r, own, requested, ctx, peer, shown);
        const changed = changeAvailability(r, again, own, shown);
        // A resumed session has the history already: what it missed is on its way.
        const limits = resumed ? { maxstanzas: 0 } : historyLimits(own);
        return decision(changed.mutations, [...changed.effects, ...welcome(r, again, limits)]);
      },
      // Started over: what the backlog dropped while the node was away is reported.
      (r) => (link && listed && !resumed ? reportLoss(r, peer) : NOTHING),
    ]);
    return askMissing(room, join, peer, offer, listed);
  }
  if (stanza.name !== "message") return NOTHING;
  const said = (r: Room, sender: Occupant): Decision => {
    if (type === "groupchat") return groupchat(r, sender, own, ctx);
    return nick ? privateMessage(r, sender, own, nick) : NOTHING;
  };
  if (mine) return said(room, mine);
  // From an occupant of the node this room let go (its grace period ended while the link was
  // down) or has not heard of: what it said on the node comes first, its presence after. It is
  // back in under the nickname it speaks with, then what it said applies.
  const speaker = resourceOf(stanza.attrs.from);
  if (occupant || !speaker || !link || (type !== "groupchat" && !nick)) return NOTHING;
  const presence = xml("presence", { from: payload.jid, to: `${room.jid}/${speaker}` });
  return inSteps(room, [
    (r) => enter(r, presence, speaker, ctx, peer),
    (r) => {
      const back = occupantByJid(r, payload.jid);
      return back ? said(r, back) : NOTHING;
    },
  ]);
}

/** The role a node shows its occupant with; affiliations here are this room's own (5.5). */
function roleShown(stanza: Element): { role?: Role } {
  const { role } = shownStanding(stanza);
  return role ? { role } : {};
}

/** Primary-replica: the joining node asked for the echo of its messages. */
function wantsEcho(stanza: Element): boolean {
  return stanza.getChild("replica", NS.fedmuc) !== undefined;
}

/** An exit as the others see it: the node it was on knows already. */
function withoutSelf(d: Decision, occupant: Occupant) {
  return {
    mutations: [...d.mutations],
    effects: d.effects.filter((e) => e.kind !== "send" || e.stanza.attrs.to !== occupant.jid),
  };
}

function ignored(message: string): Decision {
  return decision([], [{ kind: "log", level: "warn", message: `ignored ${message}` }]);
}
