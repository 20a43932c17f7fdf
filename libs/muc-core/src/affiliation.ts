// XEP-0045 sections 9.1 to 9.7 and 10.3 to 10.7: changing a real JID's affiliation.
import { StanzaError } from "@fedmuc/xmpp";
import { send } from "./decision.js";
import { occupantPresence } from "./occupant-presence.js";
import { atLeast, defaultRole } from "./privileges.js";
import { removeOccupant } from "./removal.js";
import { occupantList } from "./room.js";
import type { Affiliation, Effect, Mutation, Room } from "./types.js";

export const CODES = { banned: 301, kicked: 307, affiliationChanged: 321, membersOnly: 322 };

/** Section 5.2's table: may `actor` give `target` (now `from`) the affiliation `to`? */
export function mayChangeAffiliation(actor: Affiliation, from: Affiliation, to: Affiliation) {
  if (actor === "owner") return true;
  // Admins manage members and outcasts, never admins or owners (9.x, 10.6).
  return actor === "admin" && !atLeast(from, "admin") && !atLeast(to, "admin");
}

export interface AffiliationChange {
  readonly jid: string;
  readonly affiliation: Affiliation;
  readonly reason?: string;
}

/** The mutations and presences of one affiliation change, checked against the actor's rights. */
export function changeAffiliation(
  room: Room,
  actor: { affiliation: Affiliation; nick?: string },
  change: AffiliationChange,
): { mutations: Mutation[]; effects: Effect[] } {
  const from = room.affiliations[change.jid] ?? "none";
  if (!mayChangeAffiliation(actor.affiliation, from, change.affiliation)) {
    throw new StanzaError("not-allowed", `You may not make ${change.jid} ${change.affiliation}`);
  }
  const owners = Object.values(room.affiliations).filter((a) => a === "owner").length;
  if (from === "owner" && change.affiliation !== "owner" && owners === 1) {
    // 10.7: the last owner cannot step down.
    throw new StanzaError("conflict", "A room needs at least one owner");
  }
  const mutations: Mutation[] = [{ op: "setAffiliation", ...change }];
  const effects: Effect[] = [];
  const removal = { actorNick: actor.nick, reason: change.reason };
  for (const occupant of occupantList(room).filter((o) => isOf(o.jid, change.jid))) {
    if (
      change.affiliation === "outcast" ||
      (room.config.membersOnly && change.affiliation === "none")
    ) {
      const code = change.affiliation === "outcast" ? CODES.banned : CODES.affiliationChanged;
      const removed = removeOccupant(
        room,
        occupant,
        { ...removal, codes: [code] },
        change.affiliation,
      );
      mutations.push(...removed.mutations);
      effects.push(...removed.effects);
      continue;
    }
    // The role follows the new affiliation (5.1.2), as in the examples of 9.3 to 10.7.
    const role = defaultRole(room, change.affiliation);
    const updated = { ...occupant, affiliation: change.affiliation, role };
    mutations.push({ op: "putOccupant", occupant: updated });
    effects.push(...occupantList(room).map((v) => send(occupantPresence(room, updated, v))));
  }
  return { mutations, effects };
}

function isOf(fullJid: string, bare: string): boolean {
  return fullJid === bare || fullJid.startsWith(`${bare}/`);
}
