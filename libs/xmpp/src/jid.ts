// JIDs (RFC 7622): parsing with the length limits of section 3, no stringprep here.
import { StanzaError } from "./stanza-error.js";

export interface Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
}

const MAX_PART_BYTES = 1023; // RFC 7622 section 3.1

/** Parses a JID; throws StanzaError jid-malformed when it is not one. */
export function parseJid(text: string): Jid {
  const slash = text.indexOf("/");
  const bareText = slash < 0 ? text : text.slice(0, slash);
  const resource = slash < 0 ? "" : text.slice(slash + 1);
  const at = bareText.indexOf("@");
  const local = at < 0 ? "" : bareText.slice(0, at);
  const domain = (at < 0 ? bareText : bareText.slice(at + 1)).toLowerCase();
  const malformed =
    domain === "" ||
    /[@/\s]/.test(domain) ||
    (at >= 0 && local === "") ||
    (slash >= 0 && resource === "") ||
    [local, domain, resource].some((p) => Buffer.byteLength(p) > MAX_PART_BYTES);
  if (malformed) throw new StanzaError("jid-malformed", `Not a valid JID: ${text}`);
  return { local, domain, resource };
}

export function bareJid(jid: Jid): string {
  return jid.local ? `${jid.local}@${jid.domain}` : jid.domain;
}

export function fullJid(jid: Jid): string {
  return jid.resource ? `${bareJid(jid)}/${jid.resource}` : bareJid(jid);
}

/** The bare form of a JID given as text. */
export function bareOf(text: string): string {
  return bareJid(parseJid(text));
}
