// XEP-0421 occupant ids: the same real bare JID gets the same id within a room, and ids of
// different rooms cannot be correlated (section 4: a salted hash).
import { createHmac } from "node:crypto";
import { bareOf } from "@fedmuc/xmpp";

export function occupantIdOf(salt: string, realJid: string): string {
  return createHmac("sha256", salt).update(bareOf(realJid)).digest("base64url").slice(0, 22);
}
