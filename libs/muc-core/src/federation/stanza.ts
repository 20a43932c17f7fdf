// Small helpers on the stanzas that cross between FMUC nodes.
import { NS, clone, type Element } from "@fedmuc/xmpp";
import { withoutFmuc } from "@fedmuc/fmuc-core";

/** The resource (nick) of a JID, "" if none. */
export function resourceOf(jid: string | undefined): string {
  const slash = jid?.indexOf("/") ?? -1;
  return slash < 0 ? "" : jid!.slice(slash + 1);
}

/** A node's stanza as its occupant sent it: from the real JID, without what nodes add. */
export function asOccupant(stanza: Element, jid: string): Element {
  const copy = withoutFmuc(clone(stanza));
  copy.children = copy.children.filter((c) => typeof c === "string" || c.attrs.xmlns !== NS.fedmuc);
  copy.attrs.from = jid;
  return copy;
}

/** The XEP-0359 stanza id that the room `by` gave the message, if it carries one. */
export function stanzaIdBy(stanza: Element, by: string): string | undefined {
  return stanza.getChildren("stanza-id", NS.sid).find((s) => s.attrs.by === by)?.attrs.id;
}
