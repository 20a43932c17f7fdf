// Removing an occupant whose client is gone: the room's stanzas to it bounce (XEP-0045 section
// 15.6 status 333; conditions as Prosody's MUC treats them).
import { errorCondition, type Element } from "@fedmuc/xmpp";
import { NOTHING, decision } from "./decision.js";
import { removeOccupant } from "./removal.js";
import type { Decision, Occupant, Room } from "./types.js";

const GONE = new Set([
  "gone",
  "internal-server-error",
  "item-not-found",
  "jid-malformed",
  "recipient-unavailable",
  "redirect",
  "remote-server-not-found",
  "remote-server-timeout",
  "service-unavailable",
]);

export const REMOVED_FOR_ERROR = 333;

export function bounced(room: Room, occupant: Occupant | undefined, error: Element): Decision {
  const condition = errorCondition(error);
  if (!occupant || !condition || !GONE.has(condition)) return NOTHING;
  const removed = removeOccupant(room, occupant, {
    codes: [REMOVED_FOR_ERROR],
    reason: `Your client stopped answering (${condition})`,
  });
  return decision(removed.mutations, removed.effects);
}
