// XEP-0289 nick collisions (libs/fmuc-core/README.md): the joined (upper) node holds nicknames.
// It refuses a node's occupant whose nickname one of its occupants holds with <conflict/>; the
// node takes its user out with that error, as if its own join had been refused, and its other
// occupants see the user leave. When both took the nickname at once, the joined node's occupant
// reaches the node first or after that refusal: either way the node's user gives way, once. In a
// chain the refusal goes down node by node to the user's own.
import { StanzaError, clone, errorReply, xml, type Element } from "@fedmuc/xmpp";
import { NOTHING, decision, send } from "../decision.js";
import { removeOccupant } from "../removal.js";
import { occupantByNick } from "../room.js";
import type { Decision, Occupant, Room } from "../types.js";
import { leave } from "./departure.js";

/** The joined node refused an occupant's presence (conflict, forbidden...): the occupant gets
 * that error, and the others see it leave. Nobody vanishes without a word. In a chain, the
 * occupant of a room below gets it from that room, node by node, and that room leaves the set
 * here if it was its last. */
export function refusedAbove(room: Room, error: Element, peer: string, nick: string): Decision {
  const occupant = occupantByNick(room, nick);
  // The joined node's own occupant under that nickname by now: the refused one gave way.
  if (!occupant || occupant.node === peer) return NOTHING;
  const out = takenOut(room, occupant, clone(error));
  return occupant.node ? leave(room, occupant.node, out) : out;
}

/** The joined node `peer` shows an occupant under the nickname that `holder` took meanwhile,
 * a local user or, in a chain, one of a room below (which passes the refusal down). */
export function nickTakenAbove(room: Room, holder: Occupant, peer: string): Decision {
  const conflict = new StanzaError("conflict", `${peer} has an occupant called ${holder.nick}`);
  const join = xml("presence", { from: holder.jid, to: `${room.jid}/${holder.nick}` });
  const out = takenOut(room, holder, errorReply(join, conflict));
  return holder.node ? leave(room, holder.node, out) : out;
}

function takenOut(room: Room, occupant: Occupant, notice: Element): Decision {
  const removal = removeOccupant(room, occupant, { codes: [] });
  notice.attrs.from = `${room.jid}/${occupant.nick}`;
  notice.attrs.to = occupant.node ? `${occupant.node}/${occupant.nick}` : occupant.jid;
  const others = removal.effects.filter(
    (e) => e.kind !== "send" || e.stanza.attrs.to !== occupant.jid,
  );
  return decision(removal.mutations, [...others, send(notice)]);
}
