// XEP-0045 section 7.4: sending a message to all occupants, with a XEP-0359 stanza id.
import { NS, StanzaError, clone, xml, type Element } from "@fedmuc/xmpp";
import { occupantJid } from "./address.js";
import { decision, send } from "./decision.js";
import { occupantList } from "./room.js";
import type { Context, Decision, HistoryEntry, Occupant, Room } from "./types.js";

/** Children a client may not set itself: ids the room vouches for (XEP-0359 section 3). */
function isRoomAssigned(child: Element, room: string): boolean {
  if (child.attrs.xmlns === NS.sid && child.name === "stanza-id") return child.attrs.by === room;
  return child.attrs.xmlns === NS.occupantId || child.attrs.xmlns === NS.mucUser;
}

export function groupchat(room: Room, sender: Occupant, stanza: Element, ctx: Context): Decision {
  // 7.4: "only occupants with a role of participant or higher" may send to all occupants.
  if (sender.role === "visitor") {
    throw new StanzaError("forbidden", "Visitors may not speak in this room");
  }
  // 8.1: moderators may change the subject; participants too if muc#roomconfig_changesubject.
  const subject = stanza.getChild("subject");
  if (subject && sender.role !== "moderator" && !room.config.changeSubject) {
    throw new StanzaError("forbidden", "Only moderators may change the subject");
  }

  const stanzaId = ctx.newId();
  const payload = stanza.getChildElements().filter((c) => !isRoomAssigned(c, room.jid));
  const broadcast = (to: string | undefined): Element =>
    xml(
      "message",
      { from: occupantJid(room.jid, sender.nick), to, type: "groupchat", id: stanza.attrs.id },
      ...payload.map(clone),
      xml("stanza-id", { xmlns: NS.sid, id: stanzaId, by: room.jid }),
      xml("occupant-id", { xmlns: NS.occupantId, id: sender.occupantId }),
    );
  const stamp = ctx.now.toISOString();
  const entry: HistoryEntry = {
    nick: sender.nick,
    jid: sender.jid,
    stamp,
    id: stanzaId,
    stanza: broadcast(undefined).toString(),
  };
  const mutations = subject
    ? [
        {
          op: "setSubject",
          subject: { text: subject.getText(), nick: sender.nick, stamp },
        } as const,
      ]
    : [{ op: "appendHistory", entry, max: room.config.maxHistory } as const];
  return decision(
    mutations,
    occupantList(room).map((o) => send(broadcast(o.jid))),
  );
}
