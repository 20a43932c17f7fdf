// XEP-0045 sections 8.2 to 8.4 and 9.6, 9.7: kicking, voice, and moderator status.
import { StanzaError } from "@fedmuc/xmpp";
import { CODES } from "./affiliation.js";
import { send } from "./decision.js";
import { occupantPresence } from "./occupant-presence.js";
import { atLeast, outranks } from "./privileges.js";
import { removeOccupant } from "./removal.js";
import { occupantByNick, occupantList } from "./room.js";
import type { Effect, Mutation, Occupant, Role, Room } from "./types.js";

export interface RoleChange {
  readonly nick: string;
  readonly role: Role;
  readonly reason?: string;
}

/** Checks the rules of 8.2 to 9.7 for `actor` giving `target` the role `role`. */
function check(actor: Occupant, target: Occupant, role: Role): void {
  // 8.2, 8.4: an admin or owner cannot be kicked or silenced, except by someone above them; a
  // moderator of lower affiliation who tries gets not-allowed (8.2), before any other check.
  const lowering =
    role === "none" || role === "visitor" || (target.role === "moderator" && role !== "moderator");
  if (
    lowering &&
    atLeast(target.affiliation, "admin") &&
    !outranks(actor.affiliation, target.affiliation)
  ) {
    throw new StanzaError("not-allowed", `You may not make ${target.nick} ${role}`);
  }
  const granting = role === "moderator" || target.role === "moderator";
  if (granting && !atLeast(actor.affiliation, "admin")) {
    // 9.6, 9.7: only admins and owners grant or revoke moderator status.
    throw new StanzaError("forbidden", "Only admins and owners may change moderators");
  }
  if (!granting && actor.role !== "moderator") {
    throw new StanzaError("forbidden", "Only moderators may do that");
  }
}

export function changeRole(
  room: Room,
  actor: Occupant,
  change: RoleChange,
): { mutations: Mutation[]; effects: Effect[] } {
  const target = occupantByNick(room, change.nick);
  if (!target) throw new StanzaError("item-not-found", `No occupant is called ${change.nick}`);
  check(actor, target, change.role);
  if (change.role === "none") {
    // 8.2: kicked, status 307, with the actor and the reason.
    return removeOccupant(room, target, {
      codes: [CODES.kicked],
      actorNick: actor.nick,
      reason: change.reason,
    });
  }
  const updated: Occupant = { ...target, role: change.role };
  return {
    mutations: [{ op: "putOccupant", occupant: updated }],
    effects: occupantList(room).map((v) => send(occupantPresence(room, updated, v))),
  };
}
