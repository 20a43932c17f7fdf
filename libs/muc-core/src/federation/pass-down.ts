// XEP-0289 5.1 in a chain: what a room adopts from the room it joined (history, subject, news of
// a configuration change) goes to its own users "and in the case of chained FMUC nodes, any
// nodes joined to it". Each room below gets it once, in the order adopted, as this room's own
// state would reach it.
import type { Element } from "@fedmuc/xmpp";
import type { Mutation, Room } from "../types.js";

/** `stanza(peer)` in the outbox of each room that joined this one; a rejoin that starts over
 * carries it again with this room's state. */
export function passDown(room: Room, stanza: (peer: string) => Element | string): Mutation[] {
  return Object.entries(room.links)
    .filter(([, link]) => link.role === "downstream")
    .map(([peer]) => ({
      op: "enqueue",
      peer,
      stanza: stanza(peer).toString(),
      replaceable: true,
    }));
}
