// XEP-0289 5.5: kicks and bans travel as the presence that carries them out. A node shows its
// users the removal of a remote occupant with the codes, actor and reason it came with; a node
// told that one of its own users was kicked or banned elsewhere kicks the user too, unless the
// user is an admin or owner here: a remote room cannot remove those, so the node announces the
// occupant again to the room that removed it.
import { NS, xml, type Element } from "@fedmuc/xmpp";
import { NOTHING, decision } from "../decision.js";
import { occupantPresence } from "../occupant-presence.js";
import { atLeast } from "../privileges.js";
import { removeOccupant } from "../removal.js";
import type { Decision, Occupant, Room } from "../types.js";

const KICKED = 307;
const BANNED = 301;

interface Notice {
  readonly codes: number[];
  readonly actorNick?: string;
  readonly reason?: string;
}

function noticeOf(presence: Element): Notice {
  const x = presence.getChild("x", NS.mucUser);
  const item = x?.getChild("item");
  return {
    codes: (x?.getChildren("status") ?? [])
      .map((s) => Number(s.attrs.code))
      .filter((c) => c !== 110),
    actorNick: item?.getChild("actor")?.attrs.nick,
    reason: item?.getChildText("reason") ?? undefined,
  };
}

/** A remote occupant leaves this room's view, as its own node announced it. */
export function remoteLeaves(room: Room, occupant: Occupant, presence: Element): Decision {
  const removed = removeOccupant(room, occupant, noticeOf(presence));
  return decision(removed.mutations, removed.effects);
}

/** Another node removed one of this node's own users from its view. */
export function localRemovedElsewhere(
  room: Room,
  peer: string,
  occupant: Occupant,
  presence: Element,
): Decision {
  const notice = noticeOf(presence);
  if (!notice.codes.includes(KICKED) && !notice.codes.includes(BANNED)) return NOTHING;
  if (protectedHere(occupant)) return announceAgain(room, peer, occupant, "removal");
  const removed = removeOccupant(room, occupant, notice);
  return decision(removed.mutations, removed.effects);
}

/** This room's own admins and owners: another node can neither remove nor demote them. */
export function protectedHere(occupant: Occupant): boolean {
  return !occupant.node && atLeast(occupant.affiliation, "admin");
}

/** Refuses `peer`'s `change` of a protected occupant: the peer is told again how the occupant
 * stands here, and the operator why. */
export function announceAgain(room: Room, peer: string, occupant: Occupant, change: string) {
  const again = occupantPresence(room, occupant, { ...occupant, jid: peer, role: "none" });
  again.attrs.to = peer;
  again.append(xml("fmuc", { xmlns: NS.fmuc, from: occupant.jid }));
  const message = `refused ${peer}'s ${change} of ${occupant.nick}, an ${occupant.affiliation} here`;
  return decision(
    [{ op: "enqueue", peer, stanza: again.toString() }],
    [{ kind: "log", level: "warn", message }],
  );
}
