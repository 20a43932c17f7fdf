// The fmuc element of XEP-0289 0.2 (namespace http://isode.com/protocol/fmuc): who a relayed
// stanza is from, and the joined node's answers <reject/> (5.1) and <left/> (5.4).
import { NS, xml, type Element } from "@fedmuc/xmpp";

export type FmucPayload =
  | { readonly kind: "from"; readonly jid: string }
  | { readonly kind: "reject"; readonly reason: string }
  | { readonly kind: "left" };

export class MalformedFmucError extends Error {
  readonly code = "FMUC_MALFORMED";
  override readonly name = "MalformedFmucError";
}

/** The stanza's fmuc payload, undefined without one; throws MalformedFmucError when unreadable. */
export function readFmuc(stanza: Element): FmucPayload | undefined {
  const fmuc = stanza.getChild("fmuc", NS.fmuc);
  if (!fmuc) return undefined;
  const reject = fmuc.getChild("reject");
  if (reject) return { kind: "reject", reason: reject.getText() };
  if (fmuc.getChild("left")) return { kind: "left" };
  const from = fmuc.attrs.from;
  if (!from || !from.includes("@")) {
    throw new MalformedFmucError(`fmuc payload without a real JID: ${fmuc.toString()}`);
  }
  return { kind: "from", jid: from };
}

export function fmucFrom(jid: string): Element {
  return xml("fmuc", { xmlns: NS.fmuc, from: jid });
}

/** 5.1: the joined node refuses a join, from its bare JID to the joining node's bare JID. */
export function rejectPresence(from: string, to: string, reason: string): Element {
  return xml("presence", { from, to }, xml("fmuc", { xmlns: NS.fmuc }, xml("reject", {}, reason)));
}

/** 5.4: the joined node confirms that the joining node left the set. */
export function leftPresence(from: string, to: string): Element {
  return xml("presence", { from, to }, xml("fmuc", { xmlns: NS.fmuc }, xml("left")));
}

/** A copy of `stanza` for local clients: fmuc payloads never reach them (5.1). */
export function withoutFmuc(stanza: Element): Element {
  stanza.children = stanza.children.filter(
    (c) => typeof c === "string" || !(c.name === "fmuc" && c.attrs.xmlns === NS.fmuc),
  );
  return stanza;
}

/** The rooms a join comes through, itself first (this service's loop detection). */
export function readPath(stanza: Element): string[] | undefined {
  const path = stanza.getChild("path", NS.fedmuc);
  return path?.getChildren("node").flatMap((n) => (n.attrs.jid ? [n.attrs.jid] : []));
}

export function pathElement(rooms: readonly string[]): Element {
  return xml("path", { xmlns: NS.fedmuc }, ...rooms.map((jid) => xml("node", { jid })));
}

/** A (re)join's list of the joining node's own occupants (this service's resync): the joined
 * node drops that node's occupants it still has and the list does not name. */
export function occupantsElement(jids: readonly string[]): Element {
  return xml("occupants", { xmlns: NS.fedmuc }, ...jids.map((jid) => xml("occupant", { jid })));
}

export function readOccupants(stanza: Element): string[] | undefined {
  const list = stanza.getChild("occupants", NS.fedmuc);
  return list?.getChildren("occupant").flatMap((o) => (o.attrs.jid ? [o.attrs.jid] : []));
}
