// XEP-0289 primary-replica on the joining node (see the design in libs/fmuc-core/README.md).
import { StanzaError } from "@fedmuc/xmpp";
import { decision } from "../decision.js";
import type { Decision, Room } from "../types.js";
import { isMessage } from "./copy.js";

/**
 * Primary-replica, on the joining node: a local message is only sent up; it is delivered here,
 * put in the history and passed down when the joined node's echo comes back (5.2). While the
 * link is not up, local messages are refused.
 */
export function heldForEcho(room: Room, d: Decision): Decision {
  const up = Object.entries(room.links).find(([, l]) => l.role === "upstream" && l.replica);
  if (!up || !d.mutations.some((m) => m.op === "appendHistory")) return d;
  const [peer, link] = up;
  if (link.state !== "up") {
    throw new StanzaError(
      "resource-constraint",
      `The link to ${peer} is not up: messages cannot be sent now`,
    );
  }
  return decision(
    d.mutations.filter((m) => m.op !== "appendHistory" && (m.op !== "enqueue" || m.peer === peer)),
    d.effects.filter((e) => e.kind !== "send" || !isMessage(e.stanza)),
  );
}
