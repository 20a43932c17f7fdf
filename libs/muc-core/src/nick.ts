// Room nicknames (XEP-0045 section 7.2.1 and 7.6): prepared with the PRECIS Nickname profile
// (RFC 8266): spaces mapped and trimmed, NFKC; compared case-insensitively.
import { StanzaError } from "@fedmuc/xmpp";

const MAX_NICK_CHARS = 128;
// RFC 8266 section 2.1: non-ASCII spaces (Zs) map to ASCII space; other whitespace (tab, line
// breaks, U+2028) is a control or separator, refused below with the rest.
const SPACES = /\p{Zs}+/gu;
// Control and format characters, unassigned code points and surrogates are disallowed (RFC 8264 9.x).
const DISALLOWED = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]/u;

/** The enforced form of a requested nickname; throws when it cannot be a nickname. */
export function enforceNick(requested: string): string {
  const nick = requested.replace(SPACES, " ").replace(/^ | $/g, "").normalize("NFKC");
  if (nick === "") throw new StanzaError("jid-malformed", "A nickname is required");
  if (DISALLOWED.test(nick)) {
    throw new StanzaError(
      "not-acceptable",
      "The nickname contains characters that are not allowed",
    );
  }
  if ([...nick].length > MAX_NICK_CHARS) {
    throw new StanzaError("not-acceptable", `Nicknames are at most ${MAX_NICK_CHARS} characters`);
  }
  return nick;
}

/** What two nicknames are compared by (RFC 8266 section 2.4: case-mapped, NFKC). */
export function nickKey(nick: string): string {
  return nick.toLowerCase().normalize("NFKC");
}
