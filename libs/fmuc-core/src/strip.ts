// FMUC_STRIP: what a link does not carry, to spend less of a slow link. Each entry names the
// links it applies to, as FMUC_ALLOW does (a room, a service, *.domain, or * for every link),
// and what to strip from the presences sent there; the first entry that matches a link
// applies. Occupants still see each other; only these extras stay on their own site.
import type { Element } from "@fedmuc/xmpp";
import { allowsLinks, linkEntries } from "./allow-list.js";

/** What can be stripped: XEP-0115 caps, XEP-0153 avatar hashes, status text, XEP-0319 idle. */
export const STRIPPABLE = {
  caps: (el: Element) => el.name === "c" && el.attrs.xmlns === "http://jabber.org/protocol/caps",
  avatar: (el: Element) => el.name === "x" && el.attrs.xmlns === "vcard-temp:x:update",
  status: (el: Element) => el.name === "status" && el.attrs.xmlns === undefined,
  idle: (el: Element) => el.name === "idle" && el.attrs.xmlns === "urn:xmpp:idle:1",
} as const;

export type Strippable = keyof typeof STRIPPABLE;

export interface StripRule {
  readonly links: string;
  readonly strip: readonly Strippable[];
}

/** `pattern=item,item;pattern=item`, e.g. `*=caps,avatar;rooms.hq.example=caps`. */
export function parseStripRules(text: string): readonly StripRule[] {
  return linkEntries(text, ";", "links=item,item").map(({ links, value }) => {
    const strip = value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    for (const item of strip) {
      if (!(item in STRIPPABLE)) {
        throw new Error(`"${item}" is not one of ${Object.keys(STRIPPABLE).join(", ")}`);
      }
    }
    return { links, strip: strip as Strippable[] };
  });
}

/** What the link to `peer` does not carry. */
export function strippedFor(rules: readonly StripRule[], peer: string): readonly Strippable[] {
  const rule = rules.find((r) => allowsLinks(r.links, peer));
  return rule?.strip ?? [];
}

/** `stanza` without what the link does not carry (presences only; a status text that says why
 * an occupant left, on an unavailable presence, is kept). */
export function stripped(stanza: Element, strip: readonly Strippable[]): Element {
  if (stanza.name !== "presence" || strip.length === 0) return stanza;
  const drop = strip.filter((s) => !(s === "status" && stanza.attrs.type === "unavailable"));
  stanza.children = stanza.children.filter(
    (c) => typeof c === "string" || !drop.some((s) => STRIPPABLE[s](c)),
  );
  return stanza;
}
