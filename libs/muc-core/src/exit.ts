// XEP-0045 section 7.14: exiting a room, and 7.7: changing availability status.
import type { Element } from "@fedmuc/xmpp";
import { NOTHING, decision, send } from "./decision.js";
import { occupantPresence, presencePayload } from "./occupant-presence.js";
import { occupantList } from "./room.js";
import type { Decision, Mutation, Occupant, Room } from "./types.js";

export function exit(room: Room, occupant: Occupant): Decision {
  const everyone = occupantList(room);
  const last = everyone.length === 1;
  const mutations: Mutation[] = [{ op: "removeOccupant", nick: occupant.nick }];
  // 10.9 (implicitly): a temporary room is destroyed when its last occupant leaves.
  if (last && !room.config.persistent) mutations.push({ op: "destroy" });
  // The leaver's own presence comes last, with status 110 (7.14 example 80).
  const others = everyone.filter((o) => o.jid !== occupant.jid);
  return decision(mutations, [
    ...others.map((o) => send(occupantPresence(room, occupant, o, { unavailable: true }))),
    send(occupantPresence(room, occupant, occupant, { unavailable: true })),
  ]);
}

export function changeAvailability(room: Room, occupant: Occupant, stanza: Element): Decision {
  const presence = presencePayload(stanza);
  if (presence === occupant.presence) return NOTHING;
  const updated: Occupant = { ...occupant, presence };
  const others = occupantList(room).filter((o) => o.jid !== occupant.jid);
  return decision(
    [{ op: "putOccupant", occupant: updated }],
    [
      ...others.map((o) => send(occupantPresence(room, updated, o))),
      send(occupantPresence(room, updated, updated)),
    ],
  );
}
