// XEP-0289 path health (this service's design, libs/fmuc-core/README.md "Link health"): the links
// to one peer service share one S2S path, so the path is watched once, not each link: one XEP-0199
// ping from this service to the peer service each FMUC_PING_INTERVAL_MS, and, while it does not
// answer, again after a growing pause. Both sides watch: the joining side while it has links
// there; the joined side while a link the peer joined is down because its stanzas bounced about
// the path (checked at once then). When a check goes unanswered every link this node joined
// there goes down at once; when the service answers again they all rejoin, and the links the peer
// joined that the path took down come back up as they were. What is about one room (its peer
// room gone, a refusal) stays that room's own.
import { NS, xml, type Element } from "@fedmuc/xmpp";
import { NOTHING, decision } from "../decision.js";
import type { Context, Decision, FederationLink, Room } from "../types.js";
import { isPathFailure, linkDown } from "./health.js";
import { rejoin } from "./join.js";
import { lossOf } from "./loss.js";
import { resumedAt } from "./offer.js";
import { serviceOf } from "./service.js";

export const PATH_PING_ID = "fmuc-path";

/** What is known of the path to a peer service. */
export interface PathState {
  readonly state: "up" | "down";
  /** When the latest check was sent, and when the service last answered one. */
  readonly pingSent?: string;
  readonly pongAt?: string;
  /** Checks gone unanswered in a row. */
  readonly failures: number;
  /** When a link's stanza to the service last bounced because the path failed, if the service
   * has not answered since (its answer clears it): until then the path counts as not answering. */
  readonly bouncedAt?: string;
}

/** A check of the path is due: its new state, the check to send, when to look again, and whether
 * the path just went down or came back. */
export interface PathStep {
  readonly next: PathState;
  readonly afterMs: number;
  readonly changed?: "down" | "up";
}

/** Whether a link's stanza bounced about the path since the service last answered. */
const inDoubt = (p: PathState | undefined): boolean => p?.bouncedAt !== undefined;

const answered = (p: PathState | undefined) =>
  !inDoubt(p) && (!p?.pingSent || (p.pongAt !== undefined && p.pongAt >= p.pingSent));

/** The pause before the next check: the interval while up; doubling while down, up to `maxMs`. */
function pause(failures: number, intervalMs: number, maxMs: number): number {
  return failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** (failures - 1), maxMs);
}

export function pathDue(
  path: PathState | undefined,
  now: Date,
  intervalMs: number,
  maxMs: number,
): PathStep {
  const failures = answered(path) ? 0 : (path?.failures ?? 0) + 1;
  const state = failures > 0 ? "down" : "up";
  const next: PathState = { ...path, state, failures, pingSent: now.toISOString() };
  const changed = path && path.state !== state ? state : undefined;
  return { next, afterMs: pause(failures, intervalMs, maxMs), ...(changed ? { changed } : {}) };
}

/** What a stanza to this service is for the checks: an answer, the check's bounce, or neither. */
export function pathAnswer(stanza: Element): "answered" | "failed" | undefined {
  const { type, id, from = "" } = stanza.attrs;
  if (stanza.name !== "iq" || id !== PATH_PING_ID || from.includes("@")) return undefined;
  if (type === "result") return "answered";
  if (type !== "error") return undefined;
  const condition = stanza.getChild("error")?.getChildElements()[0]?.name ?? "";
  return isPathFailure(condition) ? "failed" : "answered";
}

/** The peer service a stanza from it shows the path to carry: anything from the service or its
 * rooms but a bounce about the path (which the local server makes). Under a resync's load a
 * check's own answer may queue behind the traffic that proves the path: that traffic answers it. */
export function heardFrom(stanza: Element): string | undefined {
  const from = stanza.attrs.from;
  if (!from) return undefined;
  const condition = stanza.getChild("error")?.getChildElements()[0]?.name ?? "";
  if (stanza.attrs.type === "error" && isPathFailure(condition)) return undefined;
  return serviceOf(from);
}

/** The check itself: a ping from this service to the peer service. */
export function pathPing(from: string, service: string): Element {
  return xml(
    "iq",
    { type: "get", from, to: service, id: PATH_PING_ID },
    xml("ping", { xmlns: NS.ping }),
  );
}

/** Which links the watch of their service's path covers: every link this room joined there, and
 * a link the peer joined while the path keeps it down (so an idle joined side checks nothing). */
export function watchedByPath(link: FederationLink | undefined): boolean {
  return link?.role === "upstream" || (link?.state === "down" && link.pathDown === true);
}

/** A link to the service whose path went down or came back: down with it, or joined again; or,
 * a link the peer joined, up again. */
export function pathChanged(
  room: Room,
  peer: string,
  changed: "down" | "up",
  ctx: Context,
): Decision {
  const link = room.links[peer];
  if (link?.role === "downstream") return changed === "up" ? pathReturned(room, peer) : NOTHING;
  if (link?.role !== "upstream") return NOTHING;
  if (changed === "down") {
    return link.state === "up" ? linkDown(room, peer, "its service does not answer", ctx) : NOTHING;
  }
  if (link.state !== "down") return NOTHING;
  const again = rejoin(room, peer, link.joins, ctx);
  return decision(again.mutations, [
    ...again.effects,
    { kind: "log", level: "info", message: `the service of ${peer} answers again` },
  ]);
}

/** The joined side: a link the path took down is up again once the service answers, without the
 * peer having to join again (it may never have noticed a short cut): what waited for it goes now.
 * In a session, first everything the peer has not acknowledged, as for a join sent again (what
 * bounced is among it): the numbering makes a copy it has harmless, and it asks for any gap; a
 * rejoin meanwhile is answered as any. A peer without a session gets what waited, stamped with
 * its time (XEP-0203): it has no other way to it if it never rejoins. A link whose grace period
 * ended (the peer's occupants left) or whose backlog lost traffic waits for the peer's rejoin:
 * only that brings back its occupants, or starts the fresh session a loss needs (loss.ts). */
function pathReturned(room: Room, peer: string): Decision {
  const link = room.links[peer]!;
  if (link.state !== "down" || !link.pathDown || lossOf(room, peer)) return NOTHING;
  const up: FederationLink = {
    ...link,
    state: "up",
    downSince: undefined,
    pathDown: undefined,
    ...(link.session ? { resumed: resumedAt(link, 0) } : {}),
  };
  const note = `the service of ${peer} answers again: its link is up without a rejoin`;
  return decision(
    [{ op: "setLink", peer, link: up }],
    [{ kind: "log", level: "info", message: note }],
  );
}
