// XEP-0045 section 7.2.16 (the subject sent on entering) and 8.1 (changing it).
import { xml, type Element } from "@fedmuc/xmpp";
import { occupantJid } from "./address.js";
import type { Room } from "./types.js";

/** The subject message: always sent on entering, with an empty <subject/> when none is set. */
export function subjectMessage(room: Room, to: string): Element {
  const subject = room.subject;
  const from = subject?.nick ? occupantJid(room.jid, subject.nick) : room.jid;
  return xml("message", { from, to, type: "groupchat" }, xml("subject", {}, subject?.text ?? ""));
}
