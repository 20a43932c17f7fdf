// Room snapshots and the pure application of mutations to them.
import { nickKey } from "./nick.js";
import type { Federation, Mutation, Occupant, Room, RoomConfig } from "./types.js";

/** A service that federates with nobody. */
export const NO_FEDERATION: Federation = {
  allows: () => false,
  upstream: () => null,
  replica: false,
};

/** Defaults of a new room, as most services choose them (section 10.1.2, instant room). */
export const DEFAULT_CONFIG: RoomConfig = {
  name: "",
  description: "",
  persistent: false,
  public: true,
  membersOnly: false,
  moderated: false,
  password: "",
  maxUsers: 0,
  whois: "moderators",
  changeSubject: false,
  allowInvites: false,
  allowPm: "anyone",
  presenceBroadcast: ["moderator", "participant", "visitor"],
  maxHistory: 50,
};

export function emptyRoom(jid: string, config: RoomConfig = DEFAULT_CONFIG): Room {
  return {
    jid,
    version: 0,
    exists: false,
    salt: "",
    config,
    locked: false,
    affiliations: {},
    subject: null,
    occupants: {},
    links: {},
  };
}

/** An index of a snapshot's occupants, built once per snapshot (snapshots are immutable). */
function indexBy(key: (o: Occupant) => string) {
  const cache = new WeakMap<Room, Map<string, Occupant>>();
  return (room: Room, value: string): Occupant | undefined => {
    let index = cache.get(room);
    if (!index) {
      index = new Map(Object.values(room.occupants).map((o) => [key(o), o]));
      cache.set(room, index);
    }
    return index.get(value);
  };
}

const byJid = indexBy((o) => o.jid);
const byNickKey = indexBy((o) => nickKey(o.nick));

/** The occupant whose real full JID is `jid`, if any. */
export function occupantByJid(room: Room, jid: string): Occupant | undefined {
  return byJid(room, jid);
}

/** The occupant whose nickname compares equal to `nick` (RFC 8266), if any. */
export function occupantByNick(room: Room, nick: string): Occupant | undefined {
  return byNickKey(room, nickKey(nick));
}

export function occupantList(room: Room): Occupant[] {
  return Object.values(room.occupants);
}

/** The room after `mutations`, at `version`. History is not part of a snapshot. */
export function applyMutations(room: Room, mutations: readonly Mutation[], version: number): Room {
  let next: Room = { ...room, version };
  for (const m of mutations) {
    switch (m.op) {
      case "create":
        next = {
          ...emptyRoom(room.jid, m.config),
          version,
          exists: true,
          salt: m.salt,
          locked: true,
        };
        break;
      case "setConfig":
        next = { ...next, config: m.config };
        break;
      case "unlock":
        next = { ...next, locked: false };
        break;
      case "setAffiliation": {
        const { [m.jid]: _old, ...others } = next.affiliations;
        const affiliations =
          m.affiliation === "none" ? others : { ...others, [m.jid]: m.affiliation };
        next = { ...next, affiliations };
        break;
      }
      case "putOccupant":
        next = { ...next, occupants: { ...next.occupants, [m.occupant.nick]: m.occupant } };
        break;
      case "removeOccupant": {
        const { [m.nick]: _gone, ...rest } = next.occupants;
        next = { ...next, occupants: rest };
        break;
      }
      case "setSubject":
        next = { ...next, subject: m.subject };
        break;
      case "setLink": {
        const { [m.peer]: _old, ...others } = next.links;
        next = { ...next, links: m.link ? { ...others, [m.peer]: m.link } : others };
        // A link that ends forgets what it lost with it (its session goes too).
        if (!m.link) next = withoutLoss(next, m.peer);
        break;
      }
      case "forgetLoss":
        next = withoutLoss(next, m.peer);
        break;
      case "setHeard":
        next = { ...next, heard: m.heard };
        break;
      case "appendHistory":
      case "enqueue":
      case "enqueueHistory":
      case "dropReplaceable":
        break;
      case "destroy":
        next = { ...emptyRoom(room.jid, room.config), version };
        break;
    }
  }
  return next;
}

function withoutLoss(room: Room, peer: string): Room {
  if (!room.lost?.[peer]) return room;
  const { [peer]: _reported, ...others } = room.lost;
  const { lost: _all, ...rest } = room;
  return Object.keys(others).length > 0 ? { ...rest, lost: others } : rest;
}

/** Whether committing `mutations` changes the snapshot (and so the room version). */
export function changesSnapshot(mutations: readonly Mutation[]): boolean {
  const traffic = ["appendHistory", "enqueue", "enqueueHistory", "dropReplaceable"];
  return mutations.some((m) => !traffic.includes(m.op));
}
