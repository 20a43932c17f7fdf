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

/** 7.7; `shown`: XEP-0289, a remote occupant's standing as the room this one joined shows it. */
export function changeAvailability(
  room: Room,
  occupant: Occupant,
  stanza: Element,
  shown: Pick<Occupant, "affiliation" | "role"> | object = {},
): Decision {
  const presence = presencePayload(stanza);
  const updated: Occupant = { ...occupant, presence, ...shown };
  const same = (["presence", "affiliation", "role"] as const).every(
    (k) => updated[k] === occupant[k],
  );
  if (same) return NOTHING;
  const others = presenceBroadcast(room, occupant) ? othersThan(room, occupant) : [];
  return decision(
    [{ op: "putOccupant", occupant: updated }],
    [
      ...others.map((o) => send(occupantPresence(room, updated, o))),
      send(occupantPresence(room, updated, updated)),
    ],
  );
}
