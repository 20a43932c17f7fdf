// XEP-0289 path health (this service's design, libs/fmuc-core/README.md "Link health"): the rooms
// this node joined at one peer service share one S2S path, so the path is watched once, not each
// link: one XEP-0199 ping from this service to the peer service each FMUC_PING_INTERVAL_MS, and,
// while it does not answer, again after a growing pause. When a check goes unanswered every link
// to that service goes down at once; when the service answers again they all rejoin. What is about
// one room (its peer room gone, a refusal) stays that room's own.
import { NS, xml, type Element } from "@fedmuc/xmpp";
import { NOTHING, decision } from "../decision.js";
import type { Context, Decision, Room } from "../types.js";
import { linkDown } from "./health.js";
import { rejoin } from "./join.js";

export const PATH_PING_ID = "fmuc-path";

/** What is known of the path to a peer service. */
export interface PathState {
  readonly state: "up" | "down";
  /** When the latest check was sent, and when the service last answered one. */
  readonly pingSent?: string;
  readonly pongAt?: string;
  /** Checks gone unanswered in a row. */
  readonly failures: number;
}

/** A check of the path is due: its new state, the check to send, when to look again, and whether
 * the path just went down or came back. */
export interface PathStep {
  readonly next: PathState;
  readonly afterMs: number;
  readonly changed?: "down" | "up";
}

const answered = (p: PathState | undefined) =>
  !p?.pingSent || (p.pongAt !== undefined && p.pongAt >= p.pingSent);

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

/** Errors the XMPP server gives on a peer's behalf when the path to it fails (RFC 6120 8.3.3);
 * any other error comes from the peer service itself, which so answers. */
const PATH_FAILURES = new Set(["remote-server-not-found", "remote-server-timeout"]);

/** What a stanza to this service is for the checks: an answer, the check's bounce, or neither. */
export function pathAnswer(stanza: Element): "answered" | "failed" | undefined {
  const { type, id, from = "" } = stanza.attrs;
  if (stanza.name !== "iq" || id !== PATH_PING_ID || from.includes("@")) return undefined;
  if (type === "result") return "answered";
  if (type !== "error") return undefined;
  const condition = stanza.getChild("error")?.getChildElements()[0]?.name ?? "";
  return PATH_FAILURES.has(condition) ? "failed" : "answered";
}

/** The check itself: a ping from this service to the peer service. */
export function pathPing(from: string, service: string): Element {
  return xml(
    "iq",
    { type: "get", from, to: service, id: PATH_PING_ID },
    xml("ping", { xmlns: NS.ping }),
  );
}

/** A link to the service whose path went down or came back: down with it, or joined again. */
export function pathChanged(
  room: Room,
  peer: string,
  changed: "down" | "up",
  ctx: Context,
): Decision {
  const link = room.links[peer];
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
