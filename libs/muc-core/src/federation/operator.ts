// XEP-0289 operator commands (this service's design, libs/fmuc-core/README.md "Operator
// commands"): which links a command names, and what it does to each room's link. Run over
// XEP-0050 ad-hoc commands by a service administrator (services/muc-node/src/commands).
import { NOTHING, decision } from "../decision.js";
import { occupantList } from "../room.js";
import { inSteps } from "../steps.js";
import type { Context, Decision, Mutation, Room } from "../types.js";
import { nodeLeaves } from "./health.js";
import { joinAgain, leaveUpstream, openLink } from "./join.js";
import { rejectPresence } from "@fedmuc/fmuc-core";
import { sessionId } from "./offer.js";
import { serviceOf } from "./service.js";
import { upstreamOf } from "./upstream-of.js";

/** What an operator command names: every link to a peer service, or the links of one room (a
 * room of this service, or a peer room). */
export type LinkTarget = { readonly service: string } | { readonly room: string };

/** `resync`: join again afresh; `detach`: leave the link; `attach`: join again after a detach. */
export type OperatorAction = "resync" | "detach" | "attach";

/** Whether the link from `room` to `peer` is one `target` names. */
export function targets(link: { room: string; peer: string }, target: LinkTarget): boolean {
  if ("service" in target) return serviceOf(link.peer) === target.service;
  return link.room === target.room || link.peer === target.room;
}

/** What the operator's `action` does to the room's link with `peer` (for attach, to the room:
 * `peer` is the attached service). NOTHING when it does not apply. */
export function operatorAction(
  room: Room,
  peer: string,
  action: OperatorAction,
  ctx: Context,
): Decision {
  if (action === "resync") return resync(room, peer, ctx);
  if (action === "detach") return detach(room, peer);
  return attach(room, peer, ctx);
}

/**
 * The link is treated as returned afresh: a new join proposing a new session, asking for the
 * history since the latest message heard, and announcing every occupant this room represents;
 * the peer's occupants are announced anew by its answer, and those it does not announce leave.
 * Only a link this room joined (the joining node joins); one with a join on its way already is
 * left to that join.
 */
function resync(room: Room, peer: string, ctx: Context): Decision {
  const link = room.links[peer];
  if (link?.role !== "upstream" || (link.state !== "up" && link.state !== "down")) return NOTHING;
  const fresh = { session: sessionId(ctx), rx: 0, nak: undefined, run: undefined };
  const again = joinAgain(room, peer, { ...fresh, resumed: undefined }, true, ctx);
  const note = `the operator resyncs the link to ${peer}`;
  return decision(again.mutations, [
    { kind: "log", level: "info", message: note },
    ...again.effects,
  ]);
}

const DETACHED = "The service's operator detached the link";

/**
 * The link ends as the specification's leave flows end it. A room that joined the peer leaves
 * it (its occupants' unavailable presences, 5.4; the peer confirms with <left/>); a room the peer
 * joined takes the peer's occupants out (the others see them leave) and tells the peer with
 * <reject/> (5.1) after what waited for it. Either way the peer's occupants leave this room's
 * view, saying why.
 */
function detach(room: Room, peer: string): Decision {
  const link = room.links[peer];
  if (!link) return NOTHING;
  const note = { kind: "log", level: "info", message: `the operator detached ${peer}` } as const;
  if (link.role === "upstream") {
    const left = leaveUpstream(room, peer, `${DETACHED} to ${peer}`);
    return decision(left.mutations, [note, ...left.effects]);
  }
  const reject = rejectPresence(room.jid, peer, `${DETACHED} from ${room.jid}`).toString();
  const ended: Mutation[] = [
    { op: "setLink", peer, link: null },
    { op: "enqueue", peer, stanza: reject },
  ];
  return inSteps(
    room,
    [(r) => nodeLeaves(r, peer, `${DETACHED} from ${peer}`), () => decision(ended, [])],
    [note],
  );
}

/** The peer's service is attached again: a room that federates with a room there and has
 * occupants to represent joins it, as its next occupant's arrival would make it. */
function attach(room: Room, service: string, ctx: Context): Decision {
  const peer = upstreamOf(room, ctx);
  if (!peer || serviceOf(peer) !== service || room.links[peer]) return NOTHING;
  if (ctx.federation.detached?.(peer)) return NOTHING;
  const represented = occupantList(room).some((o) => o.node !== peer);
  return represented ? openLink(room, peer, NOTHING, ctx) : NOTHING;
}
