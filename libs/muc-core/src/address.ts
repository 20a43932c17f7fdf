// Room and occupant addresses (XEP-0045 section 4.1: room@service/nick).
import { parseJid, bareJid, StanzaError } from "@fedmuc/xmpp";

export interface Address {
  /** The room's bare JID. */
  readonly room: string;
  /** The occupant nick, "" when the stanza is addressed to the room itself. */
  readonly nick: string;
}

/** Where a stanza addressed to the service goes; throws jid-malformed if nowhere. */
export function addressOf(to: string | undefined): Address {
  if (!to) throw new StanzaError("jid-malformed", "The stanza has no 'to' address");
  const jid = parseJid(to);
  if (!jid.local) throw new StanzaError("jid-malformed", "No room in the address");
  // Room addresses compare case-insensitively (RFC 7622 3.3, the localpart is case-mapped).
  return { room: bareJid({ ...jid, local: jid.local.toLowerCase() }), nick: jid.resource };
}

export function occupantJid(room: string, nick: string): string {
  return `${room}/${nick}`;
}
