// XEP-0045 section 7.5: sending a private message to one occupant.
import { NS, StanzaError, clone, xml, type Element } from "@fedmuc/xmpp";
import { occupantJid } from "./address.js";
import { decision, send } from "./decision.js";
import { occupantByNick } from "./room.js";
import type { Decision, Occupant, PmPolicy, Role, Room } from "./types.js";

/** muc#roomconfig_allowpm: who may send private messages. */
function mayPrivateMessage(policy: PmPolicy, role: Role): boolean {
  if (policy === "anyone") return true;
  if (policy === "participants") return role === "participant" || role === "moderator";
  return policy === "moderators" && role === "moderator";
}

export function privateMessage(
  room: Room,
  sender: Occupant | undefined,
  stanza: Element,
  nick: string,
): Decision {
  // 7.5: only occupants may send private messages through the room.
  if (!sender) throw new StanzaError("not-acceptable", "You are not in the room");
  if (!mayPrivateMessage(room.config.allowPm, sender.role)) {
    throw new StanzaError("forbidden", "Private messages are not allowed to you in this room");
  }
  const target = occupantByNick(room, nick);
  if (!target) throw new StanzaError("item-not-found", "No such occupant in the room");
  const payload = stanza.getChildElements().filter((c) => c.attrs.xmlns !== NS.mucUser);
  const forwarded = xml(
    "message",
    {
      from: occupantJid(room.jid, sender.nick),
      to: target.jid,
      type: stanza.attrs.type,
      id: stanza.attrs.id,
    },
    ...payload.map(clone),
    // 7.5 example 48: marked as coming through the room.
    xml("x", { xmlns: NS.mucUser }),
  );
  return decision([], [send(forwarded)]);
}
