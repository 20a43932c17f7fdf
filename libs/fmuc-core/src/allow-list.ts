// FMUC_ALLOW: which rooms may join rooms here as FMUC nodes. Entries are room addresses
// (room@service), service domains (service), or domain wildcards (*.example.org, which matches
// example.org's subdomains but not example.org itself). Empty allows nobody.
import { parseJid } from "@fedmuc/xmpp";

export type AllowList = readonly string[];

export function parseAllowList(text: string): AllowList {
  const entries = text
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "");
  for (const entry of entries) {
    const rest = entry.startsWith("*.") ? entry.slice(2) : entry;
    const jid = parseJid(rest); // throws jid-malformed for nonsense
    if (jid.resource || (entry.startsWith("*.") && jid.local)) {
      throw new Error(`"${entry}" is not a room address, a domain or *.domain`);
    }
  }
  return entries;
}

/** Whether the room `peer` (room@service) may join here. */
export function allows(list: AllowList, peer: string): boolean {
  const room = peer.toLowerCase();
  const domain = room.slice(room.indexOf("@") + 1);
  return list.some((entry) =>
    entry.startsWith("*.") ? domain.endsWith(entry.slice(1)) : entry === room || entry === domain,
  );
}

/** Whether `pattern` (an entry of FMUC_ALLOW, or * for everything) covers the room `peer`: what
 * the per-link settings (FMUC_STRIP, FMUC_PEER_RATES) match their entries with. */
export function allowsLinks(pattern: string, peer: string): boolean {
  return pattern === "*" || allows([pattern], peer);
}

/** The `links=value` entries of a per-link setting, split by `separator` (blanks ignored): each
 * one's links (validated as an FMUC_ALLOW entry, or *) lower-cased and its value, trimmed. `form`
 * names the entries' form in the error for one that has no links. */
export function linkEntries(text: string, separator: string, form: string) {
  return text
    .split(separator)
    .map((e) => e.trim())
    .filter((e) => e !== "")
    .map((entry) => {
      const eq = entry.indexOf("=");
      if (eq <= 0) throw new Error(`"${entry}" is not ${form}`);
      const links = entry.slice(0, eq).trim().toLowerCase();
      if (links !== "*") parseAllowList(links);
      return { links, value: entry.slice(eq + 1).trim() };
    });
}
