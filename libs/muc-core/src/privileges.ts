// XEP-0045 section 5: affiliations, the roles they give, and who may do what.
import { bareOf } from "@fedmuc/xmpp";
import type { Affiliation, Occupant, Role, Room } from "./types.js";

const RANK: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };

export function affiliationOf(room: Room, jid: string): Affiliation {
  return room.affiliations[bareOf(jid)] ?? "none";
}

export function outranks(a: Affiliation, b: Affiliation): boolean {
  return RANK[a] > RANK[b];
}

export function atLeast(a: Affiliation, b: Affiliation): boolean {
  return RANK[a] >= RANK[b];
}

/** Section 5.1.2: the role an affiliation gives on entering. */
export function defaultRole(room: Room, affiliation: Affiliation): Role {
  if (affiliation === "owner" || affiliation === "admin") return "moderator";
  if (affiliation === "member") return "participant";
  return room.config.moderated ? "visitor" : "participant";
}

/** Whether an occupant's presence is broadcast to the others (muc#roomconfig_presencebroadcast). */
export function presenceBroadcast(room: Room, occupant: Occupant): boolean {
  return room.config.presenceBroadcast.includes(occupant.role);
}
