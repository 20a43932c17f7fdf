// XEP-0289 5.1 on the joining node: the join, sent when the first occupant it represents there
// arrives (its own, or in a chain one of a room below) and sent again until the joined node
// completes it (its subject) or refuses it. A join carries the presence of every occupant it
// represents, the first with the muc element, its <history/> limit and the list of those
// occupants, so a rejoin after an outage is the same step as the first join and asks only for
// the history this room has not heard.
import { NS, xml } from "@fedmuc/xmpp";
import { occupantsElement, sessionElement } from "@fedmuc/fmuc-core";
import { NOTHING, decision, send } from "../decision.js";
import { occupantPresence } from "../occupant-presence.js";
import { exit } from "../exit.js";
import { applyMutations, occupantByJid, occupantList } from "../room.js";
import { inSteps } from "../steps.js";
import type {
  Context,
  Decision,
  Effect,
  FederationLink,
  Mutation,
  Occupant,
  Room,
} from "../types.js";
import { forNode, roomsBelow } from "./copy.js";
import { linkTimer } from "./timer.js";
import { sessionId } from "./offer.js";
import { lossOf } from "./loss.js";
import { upstreamOf } from "./upstream-of.js";

function afterElement(id: string | undefined) {
  return id ? xml("after", { xmlns: NS.fedmuc, id }) : undefined;
}

/** The occupants this room represents at `peer`: its own, and in a chain those of the rooms
 * that joined it. */
function representedAt(room: Room, peer: string) {
  return occupantList(room).filter((o) => o.node !== peer);
}

/** The join's stanzas: the presence for the peer of each occupant this room represents there,
 * the first one asking for the history since the last message heard (all of it on a first join)
 * and listing them all. They go out at once, ahead of the link's outbox, which waits until the
 * join completes; a lost join is sent again on the link's timer. A peer of this service that
 * numbered its traffic (a session that was up) has the others already: a rejoin carries the
 * first presence only, and the peer asks for any it lacks (`<missing/>`). */
function joinStanzas(room: Room, peer: string, link: FederationLink, ctx: Context): Effect[] {
  const locals = representedAt(room, peer);
  const sent = (link.rx ?? 0) > 0 ? locals.slice(0, 1) : locals;
  return presencesFor(room, peer, link, sent).map((presence, i) => {
    if (i === 0) {
      // All the history on a first join; after a failure, what came since the latest message
      // heard (by its id for a peer of this service, by its time for any other).
      const history = link.heard
        ? xml("history", { since: link.heard }, afterElement(link.heardId))
        : xml("history", { maxstanzas: String(room.config.maxHistory) });
      presence.getChild("x", NS.muc)?.append(history);
      presence.append(occupantsElement(locals.map((l) => l.jid)));
      // Between nodes of this service: the link's session, to start or resume, and whether
      // this node takes trace context on it.
      const offer = {
        id: link.session,
        rx: link.rx ?? 0,
        state: link.needState ?? false,
        trace: ctx.federation.traces ?? false,
      };
      presence.append(sessionElement(offer));
    }
    return send(presence);
  });
}

/** The presences that represent `occupants` at `peer`, as a join sends them. */
function presencesFor(room: Room, peer: string, link: FederationLink, occupants: Occupant[]) {
  const below = roomsBelow(room);
  return occupants.map((o) => forNode(occupantPresence(room, o, o), peer, link, o, below));
}

/** The joined node lacks some of the occupants a rejoin listed: their presences go. */
export function announceMissing(room: Room, peer: string, jids: readonly string[]): Decision {
  const link = room.links[peer];
  if (link?.role !== "upstream") return NOTHING;
  const lacking = representedAt(room, peer).filter((o) => jids.includes(o.jid));
  return decision([], presencesFor(room, peer, link, lacking).map(send));
}

/** Removes the link to `peer`, remembering the latest message heard there for the next join. */
export function forgetLink(room: Room, peer: string): Mutation[] {
  const link = room.links[peer];
  const heard: Mutation[] = link?.heard
    ? [{ op: "setHeard", heard: { peer, at: link.heard, id: link.heardId } }]
    : [];
  return [...heard, { op: "setLink", peer, link: null }];
}

/** 5.1: the first occupant this room represents there (its own, or in a chain one of a room
 * below it: a relay with no users of its own) opens the link to the room it federates with. */
export function openUpstream(room: Room, d: Decision, ctx: Context): Decision {
  const after = applyMutations(room, d.mutations, room.version);
  const peer = upstreamOf(after, ctx);
  // A peer service the operator detached is not joined until it is attached again.
  if (!peer || room.links[peer] || after.links[peer] || ctx.federation.detached?.(peer)) return d;
  const arrives = d.mutations.some(
    (m) =>
      m.op === "putOccupant" && m.occupant.node !== peer && !occupantByJid(room, m.occupant.jid),
  );
  const pointed = upstreamOf(room, ctx) !== peer && representedAt(after, peer).length > 0;
  if (!arrives && !pointed) return d;
  return openLink(after, peer, d, ctx);
}

/** Opens the link from `after` (the room once `d` is applied) to `peer`, its upstream room. */
export function openLink(after: Room, peer: string, d: Decision, ctx: Context): Decision {
  // A room that was in the set before asks only for what it missed since.
  const before = after.heard?.peer === peer ? after.heard : undefined;
  const link: FederationLink = {
    role: "upstream",
    state: "joining",
    replica: ctx.federation.replica,
    joins: 1,
    session: sessionId(ctx), // proposed; the joined node settles it
    rx: 0,
    ...(before ? { heard: before.at, heardId: before.id } : {}),
  };
  return decision(
    [...d.mutations, { op: "setLink", peer, link }],
    [...d.effects, ...joinStanzas(after, peer, link, ctx), linkTimer(peer, link)],
  );
}

/**
 * The link's timer: a join that has not completed (or a link that went down) is sent again.
 * After an outage, what the peer announced before is marked stale; what it does not announce
 * again by the end of the join has left meanwhile (see adoptSubject). A room left without
 * occupants to represent
 * there has nothing to join for.
 */
export function rejoin(room: Room, peer: string, joins: number, ctx: Context): Decision {
  const link = room.links[peer];
  if (link?.role !== "upstream" || link.joins !== joins || link.state === "up") return NOTHING;
  if (representedAt(room, peer).length === 0) {
    return decision([{ op: "setLink", peer, link: null }], []);
  }
  // A link that dropped traffic proposes a fresh session (the same one until the link is up),
  // so the peer starts over with the room's state and history (loss.ts).
  const restart = lossOf(room, peer) ? (link.restart ?? sessionId(ctx)) : undefined;
  const fresh = restart ? { session: restart, rx: 0, restart } : {};
  // Only the first join after an outage marks them: a join sent again while an answer may be on
  // its way must not mark what that answer announced, which the answer's end would then remove.
  return joinAgain(room, peer, fresh, link.state === "down", ctx);
}

/** The link to `peer` joined again, with `changes` to it (a fresh session, for the operator's
 * resync); `markStale`: the peer's occupants are announced anew by the answer, and those it
 * does not announce have left (see adoptSubject). */
export function joinAgain(
  room: Room,
  peer: string,
  changes: Partial<FederationLink>,
  markStale: boolean,
  ctx: Context,
): Decision {
  const link = room.links[peer]!;
  const state = link.heard ? "resyncing" : "joining";
  const next: FederationLink = { ...link, ...changes, state, joins: link.joins + 1 };
  const stale: Mutation[] = occupantList(room)
    .filter((o) => o.node === peer && markStale)
    .map((o) => ({ op: "putOccupant", occupant: { ...o, stale: true } }));
  return decision(
    [{ op: "setLink", peer, link: next }, ...stale],
    [
      ...joinStanzas(room, peer, next, ctx),
      linkTimer(peer, next),
      { kind: "log", level: "info", message: `joining ${peer} again (attempt ${next.joins})` },
    ],
  );
}

/**
 * The owner pointed the room at another upstream room, or at none: the local occupants leave
 * the old one (which confirms with <left/>), and its occupants leave this room's view. Runs
 * before the effects are routed, so rooms below this one see them leave too.
 */
export function closeUpstream(room: Room, d: Decision, ctx: Context): Decision {
  const old = Object.keys(room.links).find((p) => room.links[p]!.role === "upstream");
  if (!old || !d.mutations.some((m) => m.op === "setConfig")) return d;
  const after = applyMutations(room, d.mutations, room.version);
  if (upstreamOf(after, ctx) === old) return d;
  const left = leaveUpstream(after, old);
  return decision([...d.mutations, ...left.mutations], [...d.effects, ...left.effects]);
}

/** The room leaves the room it joined, `peer` (as its last occupant's leaving would: each
 * occupant it represents there leaves, 5.4), and the peer's occupants leave its view, each with
 * `why` as its status if given; the link is forgotten but for the latest message heard. */
export function leaveUpstream(room: Room, peer: string, why?: string): Decision {
  const link = room.links[peer]!;
  const below = roomsBelow(room);
  const leaving: Mutation[] = representedAt(room, peer).map((o) => {
    const gone = occupantPresence(room, o, o, { unavailable: true });
    return { op: "enqueue", peer, stanza: forNode(gone, peer, link, o, below).toString() };
  });
  const status = why === undefined ? undefined : xml("presence", {}, xml("status", {}, why));
  const theirs = occupantList(room).filter((o) => o.node === peer);
  const exits = inSteps(
    room,
    theirs.map((o) => (r: Room) => exit(r, o, status)),
  );
  const notPeer = (e: Effect) =>
    e.kind !== "send" || occupantByJid(room, e.stanza.attrs.to ?? "")?.node !== peer;
  return decision(
    [...leaving, ...exits.mutations, ...forgetLink(room, peer)],
    exits.effects.filter(notPeer),
  );
}
