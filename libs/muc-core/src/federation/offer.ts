// XEP-0289 link sessions on the joined node (libs/fmuc-core/README.md, "Link sessions"): what a
// join gets for the session it offers.
import { missingPresence, resumedPresence, type SessionOffer } from "@fedmuc/fmuc-core";
import { decision, send } from "../decision.js";
import { applyMutations, occupantByJid } from "../room.js";
import type { Context, Decision, Effect, FederationLink, Room } from "../types.js";

export type Answer =
  /** No offer: the plain specification, unnumbered. */
  | { readonly kind: "plain" }
  /** The link's session: resumed, with the room's occupants again if the node asks. */
  | { readonly kind: "resume"; readonly withState: boolean }
  /** The offer that started the link's session, again (the node has not heard the answer yet,
   * which is on its way or lost): what the node has not acknowledged goes again. */
  | { readonly kind: "repeat" }
  /** A new session: the one the node proposes when it has applied nothing of it yet, else a
   * new one, which the node takes up from the stanzas numbered in it. */
  | { readonly kind: "fresh"; readonly session: string; readonly offered?: string };

export function answerTo(
  link: FederationLink | undefined,
  offer: SessionOffer | undefined,
  ctx: Context,
  lost = false,
): Answer {
  if (!offer) return { kind: "plain" };
  // A link whose backlog dropped traffic neither resumes nor repeats its session, nor takes it
  // up again: the peer would wait for what was dropped (loss.ts).
  const current = offer.id !== undefined && offer.id === link?.session;
  if (current && !lost) return { kind: "resume", withState: offer.state };
  if (offer.id && offer.id === link?.offered && !lost) return { kind: "repeat" };
  const session = offer.id && offer.rx === 0 && !current ? offer.id : sessionId(ctx);
  return { kind: "fresh", session, ...(offer.id ? { offered: offer.id } : {}) };
}

/** The link resumed once more, by a peer that has applied `rx` of this room's stanzas. */
export function resumedAt(link: FederationLink, rx: number): FederationLink["resumed"] {
  return { count: (link.resumed?.count ?? 0) + 1, rx };
}

/** The link's session fields after a fresh start (none for a plain peer). */
export function started(answer: Answer): Partial<FederationLink> {
  if (answer.kind !== "fresh") return { session: undefined, offered: undefined };
  const fresh = { rx: 0, nak: undefined, run: undefined, resumed: undefined };
  return { session: answer.session, offered: answer.offered, ...fresh };
}

/** A short session id (the end of a fresh id: random hex for a UUID): every numbered stanza
 * names its session. */
export function sessionId(ctx: Context): string {
  return ctx.newId().replaceAll("-", "").slice(-8);
}

/** The link after a node's join (first or again), or after another presence of the node. */
export function joinedLink(
  link: FederationLink | undefined,
  answer: Answer,
  below: readonly string[],
  replica: boolean,
  offer: SessionOffer | undefined,
  isJoin: boolean,
): FederationLink {
  // Each join says again whether the node takes trace context.
  const back = { below, state: "up", downSince: undefined, traces: offer?.trace } as const;
  if (!link) return { role: "downstream", replica, joins: 1, ...back, ...started(answer) };
  if (!isJoin) return { ...link, below };
  // A join sent again before its answer arrived: everything unacknowledged goes again.
  if (answer.kind === "repeat") return { ...link, ...back, resumed: resumedAt(link, 0) };
  if (answer.kind === "resume") {
    const joins = link.joins + (answer.withState ? 1 : 0);
    return { ...link, ...back, joins, resumed: resumedAt(link, offer?.rx ?? 0) };
  }
  return { ...link, ...back, joins: link.joins + 1, ...started(answer) };
}

/** The node resumes the session: it learns how far this room got (and this room how far the
 * node got: joinedLink), so each sends again only what the other has not applied. */
export function resumption(room: string, peer: string, link: FederationLink): Effect[] {
  return [
    send(resumedPresence(room, peer, link.rx ?? 0)),
    { kind: "log", level: "info", message: `${peer} resumed its session` },
  ];
}

/** A rejoin in a session (the node has applied some of it) carries one presence and the list of
 * all the node's occupants: the node is asked for those this room does not have (its grace
 * period ended, or it lost them). */
export function askMissing(
  room: Room,
  d: Decision,
  peer: string,
  offer: SessionOffer | undefined,
  listed: readonly string[] | undefined,
): Decision {
  if (!offer || offer.rx === 0 || !listed) return d;
  const after = applyMutations(room, d.mutations, room.version);
  const lacking = listed.filter((jid) => occupantByJid(after, jid)?.node !== peer);
  if (lacking.length === 0 || !after.links[peer]) return d;
  return decision(d.mutations, [...d.effects, send(missingPresence(room.jid, peer, lacking))]);
}
