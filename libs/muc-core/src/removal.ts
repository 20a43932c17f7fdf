// Removing an occupant by a decision of the room (kick 8.2, ban 9.1, loss of membership 9.4,
// members-only 10.2, destruction 10.9): everyone sees the same unavailable presence.
import { NS, xml } from "@fedmuc/xmpp";
import { send } from "./decision.js";
import { occupantPresence } from "./occupant-presence.js";
import { occupantList } from "./room.js";
import type { Effect, Mutation, Occupant, Room } from "./types.js";

export interface Removal {
  readonly codes: readonly number[];
  readonly actorNick?: string;
  readonly reason?: string;
}

export function removeOccupant(
  room: Room,
  occupant: Occupant,
  removal: Removal,
  affiliation = occupant.affiliation,
): { mutations: Mutation[]; effects: Effect[] } {
  const shown: Occupant = { ...occupant, affiliation };
  const details = [
    ...(removal.actorNick ? [xml("actor", { nick: removal.actorNick })] : []),
    ...(removal.reason ? [xml("reason", {}, removal.reason)] : []),
  ];
  const effects = occupantList(room).map((viewer) => {
    const presence = occupantPresence(room, shown, viewer, {
      unavailable: true,
      codes: removal.codes,
    });
    presence
      .getChild("x", NS.mucUser)!
      .getChild("item")!
      .append(...details);
    return send(presence);
  });
  return { mutations: [{ op: "removeOccupant", nick: occupant.nick }], effects };
}
