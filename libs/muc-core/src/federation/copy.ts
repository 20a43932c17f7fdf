// The copy of a stanza that goes over a federation link: addressed for the peer, with fmuc,
// without the status codes meant for the occupant itself nor this room's occupant ids, and,
// toward the room this one joined, with what a join carries (XEP-0289 5.1, and this service's
// path and replica request).
import { pathElement } from "@fedmuc/fmuc-core";
import { NS, clone, xml, type Element } from "@fedmuc/xmpp";
import { STATUS } from "../occupant-presence.js";
import type { FederationLink, Occupant, Room } from "../types.js";
import { resourceOf } from "./stanza.js";

/** Status codes meant only for the occupant itself, meaningless to another node. */
const SELF_CODES = new Set<number>([STATUS.self, STATUS.created, STATUS.nickRewritten]);

/** Where a copy for the link to `peer` goes: to the occupant it is for when it is for one
 * (a private message or an error, 5.6), to a node's occupant's own nick toward the room it
 * joined (5.1), else to the peer room. */
function addressFor(stanza: Element, peer: string, link: FederationLink, only?: Occupant): string {
  if (
    only &&
    (stanza.attrs.type === "chat" ||
      stanza.attrs.type === "error" ||
      stanza.attrs.type === "normal")
  ) {
    return `${peer}/${only.nick}`;
  }
  const nick = resourceOf(stanza.attrs.from);
  return link.role === "upstream" && stanza.name === "presence" && nick ? `${peer}/${nick}` : peer;
}

/** The copy of `stanza` for the link to `peer`, about `subject`, for `only` if it is a unicast. */
export function forNode(
  stanza: Element,
  peer: string,
  link: FederationLink,
  subject: Occupant | undefined,
  below: readonly string[],
  only?: Occupant,
) {
  const copy = clone(stanza);
  copy.attrs.to = addressFor(stanza, peer, link, only);
  // XEP-0421 occupant ids are each room's own: the peer gives its own, so this one need not cross.
  copy.children = copy.children.filter(
    (c) => typeof c === "string" || c.attrs.xmlns !== NS.occupantId,
  );
  const x = copy.getChild("x", NS.mucUser);
  if (x)
    x.children = x.children.filter(
      (c) => typeof c === "string" || !SELF_CODES.has(Number(c.attrs.code)),
    );
  if (subject) copy.append(xml("fmuc", { xmlns: NS.fmuc, from: subject.jid }));
  // The node's own occupant, shown back to it (5.1): if it left meanwhile, it stays gone there.
  // Only a node of this service, which runs a session on the link, is told so: a plain peer
  // gets nothing of this service's namespace.
  if (subject?.node === peer && link.session) copy.append(xml("own", { xmlns: NS.fedmuc }));
  if (link.role === "upstream" && stanza.name === "presence" && stanza.attrs.type === undefined) {
    copy.append(xml("x", { xmlns: NS.muc }), pathElement(below));
    // Primary-replica: the joined node is asked to echo this node's messages back.
    if (link.replica) copy.append(xml("replica", { xmlns: NS.fedmuc }));
  }
  return copy;
}

/** This room and every room whose traffic comes up through it (loop detection). */
export function roomsBelow(room: Room): string[] {
  const links = Object.values(room.links).filter((l) => l.role === "downstream");
  return [...new Set([room.jid, ...links.flatMap((l) => l.below ?? [])])];
}

/** A groupchat message with a body (not a subject change). */
export function isMessage(stanza: Element): boolean {
  return (
    stanza.name === "message" &&
    stanza.attrs.type === "groupchat" &&
    stanza.getChild("body") !== undefined
  );
}
