// Small helpers on the stanzas that cross between FMUC nodes.
import { NS, clone, type Element } from "@fedmuc/xmpp";
import { withoutFmuc } from "@fedmuc/fmuc-core";
import type { Standing } from "../enter.js";
import type { Affiliation, Role } from "../types.js";

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

const AFFILIATIONS = ["owner", "admin", "member", "outcast", "none"];
const ROLES = ["moderator", "participant", "visitor", "none"];

/** The affiliation and role a node's presence shows its occupant with (muc#user item). */
export function shownStanding(stanza: Element): Standing {
  const item = stanza.getChild("x", NS.mucUser)?.getChild("item");
  const { affiliation, role } = item?.attrs ?? {};
  return {
    ...(affiliation && AFFILIATIONS.includes(affiliation)
      ? { affiliation: affiliation as Affiliation }
      : {}),
    ...(role && ROLES.includes(role) && role !== "none" ? { role: role as Role } : {}),
  };
}
