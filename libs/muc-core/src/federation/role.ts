// XEP-0289 5.5: "Role change should be distributed across nodes and fanned out to users, but
// only cosmetically (e.g. an owner on another node cannot effect changes to the affiliation lists
// on this node)." A node that shows an occupant it does not hold with another role (one of its
// moderators changed it) gives the occupant that role here, and this room fans the change out to
// its users and its other nodes. Affiliations do not travel: the occupant keeps this room's, and
// no list changes here. This room's own admins and owners keep their role, as they keep their
// place when another node removes them.
import type { Element } from "@fedmuc/xmpp";
import { NOTHING, decision, send } from "../decision.js";
import { occupantPresence } from "../occupant-presence.js";
import { occupantList } from "../room.js";
import type { Decision, Occupant, Room } from "../types.js";
import { announceAgain, protectedHere } from "./removal.js";
import { shownStanding } from "./stanza.js";

/** `peer` shows `occupant`, not one of its own, with `presence`. */
export function roleChangedElsewhere(
  room: Room,
  peer: string,
  occupant: Occupant,
  presence: Element,
): Decision {
  const { role } = shownStanding(presence);
  if (!role || role === occupant.role) return NOTHING;
  if (protectedHere(occupant)) return announceAgain(room, peer, occupant, `change of the role`);
  const updated: Occupant = { ...occupant, role };
  return decision(
    [{ op: "putOccupant", occupant: updated }],
    occupantList(room).map((viewer) => send(occupantPresence(room, updated, viewer))),
  );
}
