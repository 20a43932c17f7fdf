// XEP-0045 section 7.5: sending a private message to one occupant.
import { NS, StanzaError, clone, xml, type Element } from "@fedmuc/xmpp";
import { occupantJid } from "./address.js";
import { decision, send } from "./decision.js";
import { occupantByNick } from "./room.js";
import type { Decision, Occupant, Room } from "./types.js";

export function privateMessage(
  room: Room,
  sender: Occupant | undefined,
  stanza: Element,
  nick: string,
): Decision {
  // 7.5: only occupants may send private messages through the room.
  if (!sender) throw new StanzaError("not-acceptable", "You are not in the room");
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
