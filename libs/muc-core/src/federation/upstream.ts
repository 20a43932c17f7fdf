// XEP-0289 on the joining node: adopt what the joined node sends (its occupants, history and
// subject, 5.1; its traffic, 5.2 to 5.4), close the link on <reject/> or <left/>, and tell a
// refused user from a failed link.
import { NS, errorCondition, type Element } from "@fedmuc/xmpp";
import { readMissing, readResumed, type FmucPayload } from "@fedmuc/fmuc-core";
import { NOTHING, decision, send } from "../decision.js";
import { enter, type Standing } from "../enter.js";
import { changeAvailability, exit } from "../exit.js";
import { groupchat } from "../groupchat.js";
import { privateMessage } from "../private-message.js";
import { occupantByJid, occupantByNick, occupantList } from "../room.js";
import { inSteps } from "../steps.js";
import { resumedAt } from "./offer.js";
import type { Context, Decision, FederationLink, Mutation, Occupant, Room } from "../types.js";
import { departure } from "./departure.js";
import { adoptHistory, adoptSubject } from "./adopt.js";
import { isLinkFailure, linkDown, nodeLeaves, watchPath } from "./health.js";
import { announceMissing, forgetLink } from "./join.js";
import { lossOf } from "./loss.js";
import { CONFIG_QUERY_ID, adoptConfig, configQuery } from "./mirror.js";
import { localRemovedElsewhere } from "./removal.js";
import { nickTakenAbove, refusedAbove } from "./collision.js";
import { roleChangedElsewhere } from "./role.js";
import { asOccupant, resourceOf, shownStanding, stanzaIdBy } from "./stanza.js";

const CONFIG_CHANGED = 104;

function statusCodes(stanza: Element): number[] {
  const x = stanza.getChild("x", NS.mucUser);
  return (x?.getChildren("status") ?? []).map((s) => Number(s.attrs.code));
}

/** The link is gone: its occupants leave this room's view without a word (5.1, 5.4). */
function unlink(room: Room, peer: string): Decision {
  const gone: Mutation[] = occupantList(room)
    .filter((o) => o.node === peer)
    .map((o) => ({ op: "removeOccupant", nick: o.nick }));
  return decision([...forgetLink(room, peer), ...gone], []);
}

export function adoptState(
  room: Room,
  stanza: Element,
  peer: string,
  payload: FmucPayload | undefined,
  ctx: Context,
): Decision {
  if (payload?.kind === "left") {
    const note = `left the set of ${peer}`;
    return decision(unlink(room, peer).mutations, [{ kind: "log", level: "info", message: note }]);
  }
  if (payload?.kind === "reject") {
    // 5.1: refused; local chat goes on, and the next occupant's arrival tries again. A link
    // refused once up (the peer's operator detached it) takes the peer's occupants out of the
    // local users' view, saying why.
    const note = `${peer} rejected the link: ${payload.reason}`;
    const gone = nodeLeaves(room, peer, `${peer} closed the link: ${payload.reason}`);
    return decision(
      [...gone.mutations, ...forgetLink(room, peer)],
      [...gone.effects, { kind: "log", level: "warn", message: note }],
    );
  }
  const resumed = readResumed(stanza);
  if (resumed !== undefined) return resume(room, peer, resumed);
  const missing = readMissing(stanza);
  if (missing) return announceMissing(room, peer, missing);
  const nick = resourceOf(stanza.attrs.from);
  const type = stanza.attrs.type;
  if (stanza.name === "message" && type === "groupchat" && stanza.getChild("subject")) {
    return adoptSubject(room, stanza, peer, nick, ctx);
  }
  if (type === "error") return failed(room, stanza, peer, nick, ctx);
  if (stanza.name === "iq") {
    if (type !== "result") return NOTHING;
    return stanza.attrs.id === CONFIG_QUERY_ID ? adoptConfig(room, peer, stanza) : NOTHING;
  }
  // 10.2.1: the upstream room's configuration changed; ask for it.
  if (!nick && statusCodes(stanza).includes(CONFIG_CHANGED)) {
    return decision([], [send(configQuery(room, peer))]);
  }
  if (payload?.kind !== "from") return NOTHING;
  const occupant = occupantByJid(room, payload.jid);
  // Not one of the peer's occupants: one of this node's own, or in a chain another node's.
  if (occupant && occupant.node !== peer) {
    if (stanza.name === "presence") return heldElsewhere(room, peer, occupant, stanza);
    // Primary-replica: the echo of a local occupant's message is when it is delivered here.
    const echo = stanza.name === "message" && type === "groupchat" && room.links[peer]?.replica;
    return echo && !occupant.node
      ? heard(room, peer, stanza, groupchat(room, occupant, asOccupant(stanza, payload.jid), ctx))
      : NOTHING;
  }
  const own = asOccupant(stanza, payload.jid);
  if (stanza.name === "presence") {
    // One of this node's own occupants shown back, who left here meanwhile: not a remote one.
    if (!occupant && stanza.getChild("own", NS.fedmuc)) return NOTHING;
    if (!occupant) {
      if (type === "unavailable" || !nick) return NOTHING;
      const entered = (r: Room) => enter(r, own, nick, ctx, peer, shownStanding(stanza));
      // Nick collisions: the joined node holds the nick; a user here or below who took it
      // meanwhile gives way (the joined node refuses that user's presence too, which then finds
      // nobody).
      const holder = occupantByNick(room, nick);
      if (holder && holder.node !== peer)
        return inSteps(room, [(r) => nickTakenAbove(r, holder, peer), entered]);
      return entered(room);
    }
    return type === "unavailable"
      ? departure(room, occupant, own)
      : announcedAgain(room, occupant, own, nick, shownStanding(stanza), ctx);
  }
  if (stanza.name !== "message") return NOTHING;
  if (type === "groupchat" && stanza.getChild("subject"))
    return adoptSubject(room, stanza, peer, nick, ctx);
  // A message that went through this room already (a resync's history holds this room's own
  // messages, relayed before the outage): its clients have it.
  if (type === "groupchat" && stanzaIdBy(stanza, room.jid)) return NOTHING;
  const delay = stanza.getChild("delay", NS.delay) ?? stanza.getChild("x", NS.delay);
  if (type === "groupchat" && delay) {
    // History from `since` the latest message heard starts with that message itself (a peer
    // that answers by time alone): it is here already.
    const id = stanzaIdBy(stanza, peer);
    if (id && id === room.links[peer]?.heardId) return NOTHING;
    return heard(room, peer, stanza, adoptHistory(room, own, nick, delay, ctx));
  }
  if (!occupant || occupant.node !== peer) return NOTHING;
  if (type === "groupchat") return heard(room, peer, stanza, groupchat(room, occupant, own, ctx));
  return privateMessage(room, occupant, own, resourceOf(stanza.attrs.to));
}

/**
 * The peer's presence about an occupant it does not hold: a removal (5.5) or a role change by
 * one of its moderators. The joined node's occupant list names this node's own occupants (5.1):
 * only once the link is up does such a presence say that something changed.
 */
function heldElsewhere(room: Room, peer: string, occupant: Occupant, presence: Element): Decision {
  const type = presence.attrs.type;
  if (type === "unavailable") return localRemovedElsewhere(room, peer, occupant, presence);
  if (type !== undefined || room.links[peer]?.state !== "up") return NOTHING;
  return roleChangedElsewhere(room, peer, occupant, presence);
}

/** An occupant of the peer announced again: a presence change, or (during a rejoin) no longer
 * stale; under another nick, it left under the old one and entered under the new one. */
function announcedAgain(
  room: Room,
  occupant: Occupant,
  own: Element,
  nick: string,
  shown: Standing,
  ctx: Context,
): Decision {
  const fresh: Occupant = { ...occupant, stale: undefined };
  if (nick && nick !== occupant.nick) {
    return inSteps(room, [
      (r) => exit(r, occupant),
      (r) => enter(r, own, nick, ctx, occupant.node, shown),
    ]);
  }
  return inSteps(room, [
    () => ({
      mutations: occupant.stale ? [{ op: "putOccupant", occupant: fresh }] : [],
      effects: [],
    }),
    (r) => changeAvailability(r, fresh, own, shown),
  ]);
}

/** The latest message heard from the peer: where a rejoin's history starts. */
function heard(room: Room, peer: string, stanza: Element, d: Decision): Decision {
  const link = room.links[peer];
  const appended = d.mutations.find((m) => m.op === "appendHistory");
  if (!link || appended?.op !== "appendHistory") return d;
  const at = appended.entry.stamp;
  const id = stanzaIdBy(stanza, peer);
  const latest = { ...link, heard: !link.heard || link.heard < at ? at : link.heard };
  return decision(
    [...d.mutations, { op: "setLink", peer, link: id ? { ...latest, heardId: id } : latest }],
    d.effects,
  );
}

/** Errors about one user: the joined node refused that occupant, not the link. */
const USER_REFUSALS = new Set(["conflict", "forbidden", "not-authorized", "registration-required"]);
/** An error from the peer: a refused user, a failed link, or a refused link. */
function failed(room: Room, error: Element, peer: string, nick: string, ctx: Context): Decision {
  const condition = errorCondition(error) ?? "undefined-condition";
  if (isLinkFailure(condition)) return linkDown(room, peer, condition, ctx);
  if (error.name === "iq") return NOTHING; // the room itself answered a query
  if (error.name !== "presence") {
    return decision([], [{ kind: "log", level: "info", message: `${peer}: ${condition}` }]);
  }
  if (USER_REFUSALS.has(condition)) return refusedAbove(room, error, peer, nick);
  // Not about this user (the room is missing there, the link is not allowed): the link is
  // refused, local chat goes on; the next occupant's arrival tries again.
  const gone = unlink(room, peer);
  const note = `${peer} refused the link (${condition})`;
  return decision(gone.mutations, [{ kind: "log", level: "warn", message: note }]);
}

/** The joined node resumed the link's session (it has applied `rx` of this room's stanzas):
 * the link is up again, the peer's occupants are all still there, and what the peer has not
 * applied goes again. */
function resume(room: Room, peer: string, rx: number): Decision {
  const link = room.links[peer];
  // Only a session that was up before resumes: a first join completes with the room's state.
  const back = link?.state === "resyncing" || link?.state === "down";
  if (link?.role !== "upstream" || !link.session || !back) return NOTHING;
  // The link dropped traffic since that join went: its next join starts afresh (loss.ts).
  if (lossOf(room, peer)) return NOTHING;
  const up: FederationLink = {
    ...link,
    state: "up",
    downSince: undefined,
    needState: undefined,
    resumed: resumedAt(link, rx),
  };
  const kept: Mutation[] = occupantList(room)
    .filter((o) => o.node === peer && o.stale)
    .map((o) => ({ op: "putOccupant", occupant: { ...o, stale: undefined } }));
  return decision(
    [{ op: "setLink", peer, link: up }, ...kept],
    [watchPath(peer), { kind: "log", level: "info", message: `resumed the session with ${peer}` }],
  );
}
