// Redis keys of a room. One hash tag per room ({room@service}) puts all of a room's keys in one
// cluster slot, so one Lua script may change them together.
export interface RoomKeys {
  readonly meta: string;
  readonly occupants: string;
  readonly history: string;
  readonly affiliations: string;
  readonly links: string;
}

export function roomKeys(prefix: string, room: string): RoomKeys {
  const base = `${prefix}{${room}}`;
  return {
    meta: `${base}:meta`,
    occupants: `${base}:occ`,
    history: `${base}:hist`,
    affiliations: `${base}:aff`,
    links: `${base}:links`,
  };
}

/** The outbox of the federation link from `room` to `peer`: in the room's slot, so a commit can
 * append to it atomically with the room change. */
export function outboxKey(prefix: string, room: string, peer: string): string {
  return `${prefix}{${room}}:out:${peer}`;
}
