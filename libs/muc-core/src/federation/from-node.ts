// XEP-0289: stanzas from another FMUC node. The node's occupants are occupants of this room
// (with `node` set); what they do goes through the XEP-0045 rules like a local occupant's, on a
// copy of the stanza addressed as if from their real JID. Relaying is federate()'s job.
import { NS, StanzaError, bareOf, errorCondition, type Element } from "@fedmuc/xmpp";
import {
  MalformedFmucError,
  leftPresence,
  readFmuc,
  readOccupants,
  readPath,
  readSession,
  rejectPresence,
  resumedPresence,
  type SessionOffer,
} from "@fedmuc/fmuc-core";
import { NOTHING, decision, send } from "../decision.js";
import { enter, welcome } from "../enter.js";
import { changeAvailability, exit } from "../exit.js";
import { historyLimits } from "../history.js";
import { roomQuery } from "../iq.js";
import { inSteps } from "../steps.js";
import { groupchat } from "../groupchat.js";
import { privateMessage } from "../private-message.js";
import { occupantByJid, occupantList } from "../room.js";
import type {
  Context,
  Decision,
  Effect,
  FederationLink,
  Mutation,
  Occupant,
  Room,
} from "../types.js";
import { answerTo, started, type Answer } from "./offer.js";
import { asOccupant, resourceOf } from "./stanza.js";
import { departure } from "./departure.js";
import { localRemovedElsewhere } from "./removal.js";
import { isLinkFailure, linkDown } from "./health.js";
import { adoptState } from "./upstream.js";
import { upstreamOf } from "./upstream-of.js";

/** Whether a stanza comes from another FMUC node: it carries fmuc, or comes from a linked room. */
export function peerOf(room: Room, stanza: Element): string | undefined {
  const from = stanza.attrs.from;
  if (!from) return undefined;
  const peer = bareOf(from);
  const linked = room.links[peer] !== undefined || stanza.getChild("fmuc", NS.fmuc) !== undefined;
  return linked && peer !== room.jid ? peer : undefined;
}

export function fromNode(
  room: Room,
  stanza: Element,
  peer: string,
  nick: string,
  ctx: Context,
): Decision {
  let payload;
  try {
    payload = readFmuc(stanza);
  } catch (err) {
    if (!(err instanceof MalformedFmucError)) throw err;
    return ignored(`${peer}: ${err.message}`);
  }
  const link = room.links[peer];
  if (link?.role === "upstream" || upstreamOf(room, ctx) === peer) {
    return adoptState(room, stanza, peer, payload, ctx);
  }
  const type = stanza.attrs.type;
  // A node asks about the room (its configuration, to mirror it) as anyone may.
  if (stanza.name === "iq") {
    return type === "get" && !nick ? roomQuery(room, stanza, nick, ctx) : NOTHING;
  }
  // What this room sent the node bounced: the link failed (the node rejoins when it can).
  if (type === "error") {
    const condition = errorCondition(stanza);
    return isLinkFailure(condition) ? linkDown(room, peer, condition!, ctx) : NOTHING;
  }
  if (payload?.kind !== "from") return NOTHING; // <reject/> and <left/> are for joining nodes
  if (!ctx.federation.allows(peer)) {
    // 5.1: refused, from the room's bare JID to the joining room's bare JID, with a reason.
    if (stanza.name !== "presence" || type === "unavailable") {
      return ignored(`fmuc ${stanza.name} from ${peer}, which FMUC_ALLOW does not list`);
    }
    const reason = `${room.jid} does not federate with ${peer}`;
    return decision(
      [],
      [
        send(rejectPresence(room.jid, peer, reason)),
        { kind: "log", level: "info", message: `rejected: ${reason}` },
      ],
    );
  }
  const occupant = occupantByJid(room, payload.jid);
  const mine = occupant?.node === peer ? occupant : undefined;
  const own = asOccupant(stanza, payload.jid);
  if (stanza.name === "presence") {
    if (type === "unavailable") {
      if (mine) return leave(room, peer, departure(room, mine, own));
      return occupant ? localRemovedElsewhere(room, peer, occupant, stanza) : NOTHING;
    }
    // A join (first or again) lists the node's occupants; any other presence is a change.
    const listed = readOccupants(stanza);
    if (mine && !listed) return changeAvailability(room, mine, own);
    if (!room.exists)
      throw new StanzaError("item-not-found", `No room ${room.jid} here to federate with`);
    // Loops: a join that comes through this room already would close a cycle.
    const below = readPath(stanza) ?? [peer];
    if (below.includes(room.jid)) {
      const reason = `Joining ${room.jid} from ${peer} would make a loop`;
      return decision(
        [],
        [
          send(rejectPresence(room.jid, peer, reason)),
          { kind: "log", level: "warn", message: reason },
        ],
      );
    }
    // A join offering the link's session resumes it: only what the node has not applied goes
    // again; a join without one, or with another, starts over with the room's state.
    const answer = answerTo(link, listed ? readSession(stanza) : undefined, ctx);
    const again = answer.kind === "resume" || answer.kind === "repeat";
    const joined = joinedLink(link, answer, below, wantsEcho(stanza), listed !== undefined);
    const requested = nick || resourceOf(stanza.attrs.from);
    // A rejoin gets the room's state and history again: what waited for the node and is carried
    // by them goes (its private messages stay, and go after).
    const replaced: Mutation[] = link && listed && !again ? [{ op: "dropReplaceable", peer }] : [];
    return inSteps(room, [
      () =>
        decision(
          [...replaced, { op: "setLink", peer, link: joined }],
          link && again ? resumption(room, peer, link, answer, readSession(stanza)!) : [],
        ),
      // A rejoin: the node's occupants it no longer lists left while the link was down.
      ...occupantList(room)
        .filter((o) => o.node === peer && listed && !listed.includes(o.jid))
        .map((o) => (r: Room) => withoutSelf(exit(r, o), o)),
      (r) => {
        const again = occupantByJid(r, payload.jid);
        if (!again) return enter(r, own, requested, ctx, peer);
        const changed = changeAvailability(r, again, own);
        // A resumed session has the history already: what it missed is on its way.
        const limits = again ? { maxstanzas: 0 } : historyLimits(own);
        return decision(changed.mutations, [...changed.effects, ...welcome(r, again, limits)]);
      },
    ]);
  }
  if (stanza.name === "message" && mine) {
    if (type === "groupchat") return groupchat(room, mine, own, ctx);
    if (nick) return privateMessage(room, mine, own, nick);
  }
  return NOTHING;
}

/** The link after a node's join (first or again), or after another presence of the node. */
function joinedLink(
  link: FederationLink | undefined,
  answer: Answer,
  below: string[],
  replica: boolean,
  isJoin: boolean,
): FederationLink {
  const back = { below, state: "up", downSince: undefined } as const;
  if (!link) return { role: "downstream", replica, joins: 1, ...back, ...started(answer) };
  if (!isJoin) return { ...link, below };
  if (answer.kind === "repeat") return { ...link, ...back };
  if (answer.kind === "resume") {
    return { ...link, ...back, joins: link.joins + (answer.withState ? 1 : 0) };
  }
  return { ...link, ...back, joins: link.joins + 1, ...started(answer) };
}

/** The node resumes the session (or repeats the join that started it): it learns how far this
 * room got, and this room how far the node got, so each sends again only what the other has
 * not applied. */
function resumption(
  room: Room,
  peer: string,
  link: FederationLink,
  answer: Answer,
  offer: SessionOffer,
): Effect[] {
  const session = link.session!;
  if (answer.kind === "repeat") return [{ kind: "peerAcked", peer, session, n: 0, resend: true }];
  return [
    send(resumedPresence(room.jid, peer, link.rx ?? 0)),
    { kind: "peerAcked", peer, session, n: offer.rx, resend: true },
    { kind: "log", level: "info", message: `${peer} resumed its session` },
  ];
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

/** 5.4: when a node's last occupant has left, the node has left the set. */
function leave(room: Room, peer: string, left: Decision): Decision {
  const remaining = occupantList(room).filter((o) => o.node === peer);
  if (remaining.length > 1) return left;
  const mutations: Mutation[] = [
    ...left.mutations,
    { op: "setLink", peer, link: null },
    { op: "enqueue", peer, stanza: leftPresence(room.jid, peer).toString() },
  ];
  return decision(mutations, left.effects);
}
