// XEP-0045 section 7.6: changing nickname.
import { StanzaError } from "@fedmuc/xmpp";
import { decision, send } from "./decision.js";
import { enforceNick } from "./nick.js";
import { STATUS, occupantPresence } from "./occupant-presence.js";
import { occupantByNick, occupantList } from "./room.js";
import type { Decision, Occupant, Room } from "./types.js";

export function changeNick(room: Room, occupant: Occupant, requested: string): Decision {
  const nick = enforceNick(requested);
  const holder = occupantByNick(room, nick);
  // 7.6 example 89: a nickname in use by someone else is a conflict.
  if (holder && holder.jid !== occupant.jid) {
    throw new StanzaError("conflict", "That nickname is already in use");
  }
  const renamed: Occupant = { ...occupant, nick };
  const after: Room = { ...room, occupants: { ...room.occupants, [nick]: renamed } };
  const everyone = occupantList(room);
  const rewritten = nick !== requested ? [STATUS.nickRewritten] : [];
  // 7.6.3: unavailable from the old nick with 303 and the new nick, then available from the new.
  return decision(
    [
      { op: "removeOccupant", nick: occupant.nick },
      { op: "putOccupant", occupant: renamed },
    ],
    [
      ...everyone.map((viewer) =>
        send(
          occupantPresence(room, occupant, viewer, {
            unavailable: true,
            codes: [STATUS.nickChanged, ...(viewer.jid === occupant.jid ? rewritten : [])],
            newNick: nick,
          }),
        ),
      ),
      ...everyone.map((viewer) => send(occupantPresence(after, renamed, viewer))),
    ],
  );
}
