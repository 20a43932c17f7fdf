// XEP-0289 link health (this service's design, libs/fmuc-core/README.md): a link goes down when
// its stanzas bounce with an error about the path or the peer, or when the peer's service stops
// answering the check of the path they share (path.ts); its remote occupants stay for a grace
// period, then leave with a status saying the link is down, and come back when the link is
// joined again.
import { xml } from "@fedmuc/xmpp";
import { NOTHING, decision } from "../decision.js";
import { exit } from "../exit.js";
import { occupantList } from "../room.js";
import { inSteps } from "../steps.js";
import type {
  Context,
  Decision,
  Effect,
  FederationLink,
  LinkTimerPurpose,
  Mutation,
  Room,
} from "../types.js";
import { rejoin } from "./join.js";
import { linkTimer } from "./timer.js";

export const DEFAULT_GRACE_MS = 300_000;
export const DEFAULT_PING_MS = 60_000;

/** Errors about the path to the peer or the peer's availability (RFC 6120 8.3.3): passing. */
const LINK_FAILURES = new Set([
  "remote-server-not-found",
  "remote-server-timeout",
  "service-unavailable",
  "recipient-unavailable",
  "internal-server-error",
  "resource-constraint",
]);

export function isLinkFailure(condition: string | undefined): boolean {
  return condition !== undefined && LINK_FAILURES.has(condition);
}

/** Of those, the errors the XMPP server gives on a peer's behalf when the path to it fails
 * (RFC 6120 8.3.3); any other comes from the peer service itself, which so answers. */
const PATH_FAILURES = new Set(["remote-server-not-found", "remote-server-timeout"]);

export function isPathFailure(condition: string | undefined): boolean {
  return condition !== undefined && PATH_FAILURES.has(condition);
}

/** A link's timer is due. */
export function linkDue(
  room: Room,
  peer: string,
  purpose: LinkTimerPurpose,
  joins: number,
  ctx: Context,
): Decision {
  if (purpose === "join") return rejoin(room, peer, joins, ctx);
  // A check of the link itself, as an earlier version set them: the path's check does it now,
  // which this link asks for (so a link that was up before an upgrade is watched too).
  if (purpose === "ping") {
    const link = room.links[peer];
    const up = link?.role === "upstream" && link.state === "up";
    return up ? decision([], [watchPath(peer)]) : NOTHING;
  }
  return graceOver(room, peer, ctx);
}

/** The link failed: nobody leaves yet; the grace period starts, and a join follows (upstream).
 * A link the peer joined that failed because the path did (`byPath`) is the path's to bring
 * back: its service's path is checked now (path.ts). */
export function linkDown(
  room: Room,
  peer: string,
  why: string,
  ctx: Context,
  byPath = false,
): Decision {
  const link = room.links[peer];
  if (!link || link.state === "down") return NOTHING;
  const joined = link.role === "downstream";
  const down: FederationLink = {
    ...link,
    state: "down",
    downSince: ctx.now.toISOString(),
    ...(joined && byPath ? { pathDown: true } : {}),
  };
  const grace = ctx.federation.graceMs ?? DEFAULT_GRACE_MS;
  return decision(
    [{ op: "setLink", peer, link: down }],
    [
      linkTimer(peer, link, "grace", grace),
      ...(joined ? [] : [linkTimer(peer, link)]),
      ...(down.pathDown ? [{ kind: "pathFailed", peer } as const] : []),
      { kind: "log", level: "warn", message: `link to ${peer} is down (${why})` },
    ],
  );
}

/** The link is up: the path to the peer's service is watched (once for all its links). */
export function watchPath(peer: string): Effect {
  return { kind: "watchPath", peer };
}

/** The grace period is over and the link is still not up: its occupants leave, saying why. */
function graceOver(room: Room, peer: string, ctx: Context): Decision {
  const link = room.links[peer];
  if (!link || link.state === "up" || !link.downSince) return NOTHING;
  const grace = ctx.federation.graceMs ?? DEFAULT_GRACE_MS;
  const left = Date.parse(link.downSince) + grace - ctx.now.getTime();
  if (left > 0) return decision([], [linkTimer(peer, link, "grace", left)]);
  // A room that joined the peer asks for its occupants again when it next joins; a room the
  // peer joined has let them go, and only the peer's rejoin brings them back (not the path's).
  const after: FederationLink | undefined =
    link.role === "upstream"
      ? { ...link, needState: true }
      : link.pathDown
        ? { ...link, pathDown: undefined }
        : undefined;
  const asks: Mutation[] = after ? [{ op: "setLink", peer, link: after }] : [];
  return inSteps(room, [
    (r) => nodeLeaves(r, peer, `The link to ${peer} is down`),
    () => decision(asks, []),
  ]);
}

/** The occupants present through `peer` leave this room's view, with `why` as their status. Only
 * the others are told: the peer's side knows its own, and hears nothing of it. */
export function nodeLeaves(room: Room, peer: string, why: string): Decision {
  const status = xml("presence", {}, xml("status", {}, why));
  const gone = occupantList(room).filter((o) => o.node === peer);
  const told = (d: Decision): Decision =>
    decision(
      d.mutations,
      d.effects.filter((e) => e.kind !== "send" || !gone.some((o) => o.jid === e.stanza.attrs.to)),
    );
  return inSteps(
    room,
    gone.map((o) => (r: Room) => told(exit(r, o, status))),
  );
}
