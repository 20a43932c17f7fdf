// Redis keys of a room. One hash tag per room ({room@service}) puts all of a room's keys in one
// cluster slot, so one Lua script may change them together.
export interface RoomKeys {
  readonly meta: string;
  readonly occupants: string;
  readonly history: string;
  readonly affiliations: string;
  readonly links: string;
  /** What each link's bounded backlog dropped, by peer (bound.lua). */
  readonly lost: string;
}

export function roomKeys(prefix: string, room: string): RoomKeys {
  const base = `${prefix}{${room}}`;
  return {
    meta: `${base}:meta`,
    occupants: `${base}:occ`,
    history: `${base}:hist`,
    affiliations: `${base}:aff`,
    links: `${base}:links`,
    lost: `${base}:lost`,
  };
}

/** The outbox of the federation link from `room` to `peer`: in the room's slot, so a commit can
 * append to it atomically with the room change. */
export function outboxKey(prefix: string, room: string, peer: string): string {
  return `${prefix}{${room}}:out:${peer}`;
}

/** When a stream entry was added (ms since the epoch): the time part of its id. */
export function entryTime(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** A federation link's numbered traffic (libs/fmuc-core/README.md, "Link sessions"): what was
 * sent and not yet acknowledged (a stream whose ids are 0-n for stanza n), and the session's
 * counters. In the room's slot, beside the outbox. */
export function sessionKeys(prefix: string, room: string, peer: string) {
  return { sent: `${prefix}{${room}}:sent:${peer}`, seq: `${prefix}{${room}}:seq:${peer}` };
}
