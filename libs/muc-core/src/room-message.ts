// Messages to the room that are not groupchat: invitations and declines (7.8.2) and voice
// requests (7.13, 8.6).
import { NS, StanzaError, type Element } from "@fedmuc/xmpp";
import { decline, invite } from "./invitation.js";
import { requestForm, voiceRequest } from "./voice-request.js";
import type { Decision, Occupant, Room } from "./types.js";

export function roomMessage(room: Room, sender: Occupant | undefined, message: Element): Decision {
  const x = message.getChild("x", NS.mucUser);
  const invitations = x?.getChildren("invite") ?? [];
  if (invitations.length > 0) return invite(room, sender, invitations);
  const declined = x?.getChild("decline");
  if (declined) return decline(room, message.attrs.from!, declined);
  const form = requestForm(message);
  if (form) return voiceRequest(room, sender, form);
  throw new StanzaError(
    "bad-request",
    "Messages to the room are groupchat, invitations or requests",
  );
}
