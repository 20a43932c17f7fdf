// XEP-0045 section 7.14: exiting a room, and 7.7: changing availability status.
import type { Element } from "@fedmuc/xmpp";
import { NOTHING, decision, send } from "./decision.js";
import { occupantPresence, presencePayload } from "./occupant-presence.js";
import { presenceBroadcast } from "./privileges.js";
import { occupantList } from "./room.js";
import type { Decision, Occupant, Room } from "./types.js";

function othersThan(room: Room, occupant: Occupant): Occupant[] {
  return occupantList(room).filter((o) => o.jid !== occupant.jid);
}

export function exit(room: Room, occupant: Occupant, stanza?: Element): Decision {
  // The leaver's own presence comes last, with status 110 (7.14 example 80).
  const others = presenceBroadcast(room, occupant) ? othersThan(room, occupant) : [];
  // 7.14: the occupant's <status/> is its custom exit message, passed on to everyone.
  const options = { unavailable: true, exitPayload: stanza?.getChildren("status") ?? [] };
  return decision(
    [{ op: "removeOccupant", nick: occupant.nick }],
    [
      ...others.map((o) => send(occupantPresence(room, occupant, o, options))),
      send(occupantPresence(room, occupant, occupant, options)),
    ],
  );
}

export function changeAvailability(room: Room, occupant: Occupant, stanza: Element): Decision {
  const presence = presencePayload(stanza);
  if (presence === occupant.presence) return NOTHING;
  const updated: Occupant = { ...occupant, presence };
  const others = presenceBroadcast(room, occupant) ? othersThan(room, occupant) : [];
  return decision(
    [{ op: "putOccupant", occupant: updated }],
    [
      ...others.map((o) => send(occupantPresence(room, updated, o))),
      send(occupantPresence(room, updated, updated)),
    ],
  );
}
