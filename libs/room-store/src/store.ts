// The Redis room store: consistent snapshots, atomic versioned commits, history reads.
import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import type { FederationLink, HistoryEntry, Mutation, Room, RoomConfig } from "@fedmuc/muc-core";
import { decodeRoom, encodeMutations, linkPeers, versionToken } from "./codec.js";
import { entryTime, outboxKey, roomKeys, sessionKeys } from "./keys.js";

const script = (name: string): string => readFileSync(new URL(name, import.meta.url), "utf8");
/** Functions for reading stream entries, for a script to read ahead of its own. */
export const STREAM_LUA = script("./stream.lua");
// bound.lua's functions are read ahead of the commit that calls them.
const COMMIT = STREAM_LUA + script("./bound.lua") + script("./commit.lua");
const LOAD = script("./load.lua");

type Scripted = (Redis | Cluster) & {
  fedmucCommit(keyCount: number, ...keysThenArgv: string[]): Promise<unknown[]>;
  fedmucLoad(...keys: string[]): Promise<[string[], string[], string[], string[], string[]]>;
};

/** What a commit dropped from a link's bounded backlog (libs/fmuc-core/README.md, "Bounded
 * backlogs"). */
export interface Dropped {
  readonly peer: string;
  readonly stanzas: number;
  readonly messages: number;
  /** The link had lost nothing before (since its last return). */
  readonly first: boolean;
}

export type CommitResult =
  | {
      readonly committed: true;
      readonly version: number;
      readonly lastHistoryId: string;
      /** Links whose backlog went over its bounds (the room's losses changed). */
      readonly dropped: readonly Dropped[];
    }
  | { readonly committed: false };

/** A federation link as the service's index of links has it. */
export interface IndexedLink {
  readonly room: string;
  readonly peer: string;
  readonly state: string;
}

export interface LinkHealth extends IndexedLink {
  /** Entries waiting in the link's outbox. */
  readonly backlog: number;
  /** What they take in Redis (MEMORY USAGE of the outbox; 0 when empty). */
  readonly backlogBytes: number;
  /** When the oldest of them was queued (ms since the epoch), if any waits. */
  readonly oldestQueuedAt?: number;
  /** While the link is down: since when (ms since the epoch). */
  readonly downSince?: number;
}

/** How much a link's outbox keeps while its peer is away: bytes of its entries, and their age. */
export interface OutboxBound {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

/** FMUC_OUTBOX_MAX_BYTES and FMUC_OUTBOX_MAX_AGE_MS by default (README.md). */
export const DEFAULT_OUTBOX_BOUND: OutboxBound = { maxBytes: 262_144, maxAgeMs: 604_800_000 };

export interface RoomStoreOptions {
  readonly prefix: string;
  readonly defaults: RoomConfig;
  readonly outboxBound?: OutboxBound;
}

export class RoomStore {
  readonly #redis: Scripted;

  /** On a cluster, each script touches one room's keys only: they share its hash tag. */
  constructor(
    redis: Redis | Cluster,
    readonly options: RoomStoreOptions,
  ) {
    redis.defineCommand("fedmucCommit", { lua: COMMIT }); // key count varies: link outboxes
    redis.defineCommand("fedmucLoad", { numberOfKeys: 5, lua: LOAD });
    this.#redis = redis as Scripted;
  }

  async load(room: string): Promise<Room> {
    const k = roomKeys(this.options.prefix, room);
    const [meta, occupants, affiliations, links, lost] = await this.#redis.fedmucLoad(
      k.meta,
      k.occupants,
      k.affiliations,
      k.links,
      k.lost,
    );
    return decodeRoom(room, this.options.defaults, meta, occupants, affiliations, links, lost);
  }

  /** Commits `mutations` if `room` is still current; an empty list just checks that. The
   * outbox entries it appends keep `context` (a trace context carrier, see @fedmuc/telemetry),
   * for the link's delivery to continue the trace. Each link written to is kept within the
   * outbox bound. */
  async commit(room: Room, mutations: readonly Mutation[], context = ""): Promise<CommitResult> {
    const { prefix, outboxBound = DEFAULT_OUTBOX_BOUND } = this.options;
    const k = roomKeys(prefix, room.jid);
    const peers = linkPeers(mutations);
    const keys = [
      k.meta,
      k.occupants,
      k.history,
      k.affiliations,
      k.links,
      k.lost,
      ...peers.flatMap((peer) => {
        const { sent, seq } = sessionKeys(prefix, room.jid, peer);
        return [outboxKey(prefix, room.jid, peer), sent, seq];
      }),
    ];
    const reply = await this.#redis.fedmucCommit(
      keys.length,
      ...keys,
      versionToken(room),
      context,
      String(outboxBound.maxBytes),
      String(outboxBound.maxAgeMs),
      peers.join(" "),
      ...encodeMutations(mutations),
    );
    if (reply[0] !== 1) return { committed: false };
    const dropped: Dropped[] = [];
    for (let i = 3; i + 3 < reply.length; i += 4) {
      const [peer, stanzas, messages, first] = reply.slice(i, i + 4);
      dropped.push({
        peer: String(peer),
        stanzas: Number(stanzas),
        messages: Number(messages),
        first: first === 1,
      });
    }
    const version = Number(reply[1]);
    return { committed: true, version, lastHistoryId: String(reply[2]), dropped };
  }

  /** Lists a public room in the service's directory (XEP-0045 6.3), or removes it (null). The
   * directory is one hash of its own, so on a cluster it sits in one slot and needs no room's. */
  async list(room: string, name: string | null): Promise<void> {
    const key = `${this.options.prefix}directory`;
    await (name === null ? this.#redis.hdel(key, room) : this.#redis.hset(key, room, name));
  }

  /** The public rooms and their names, sorted by address. */
  async directory(): Promise<{ jid: string; name: string }[]> {
    const rooms = await this.#redis.hgetall(`${this.options.prefix}directory`);
    return Object.entries(rooms)
      .map(([jid, name]) => ({ jid, name }))
      .sort((a, b) => a.jid.localeCompare(b.jid));
  }

  /** Notes a federation link's state (null: gone) in the service's index of links, which the
   * operator reads; one hash of its own, like the directory. */
  async indexLink(room: string, peer: string, state: string | null): Promise<void> {
    const key = `${this.options.prefix}links`;
    const field = `${room} ${peer}`;
    await (state === null ? this.#redis.hdel(key, field) : this.#redis.hset(key, field, state));
  }

  /** Every federation link of the service and its state, sorted by room. */
  async links(): Promise<IndexedLink[]> {
    const links = await this.#redis.hgetall(`${this.options.prefix}links`);
    return Object.entries(links)
      .map(([field, state]) => {
        const [room = "", peer = ""] = field.split(" ");
        return { room, peer, state };
      })
      .sort((a, b) => a.room.localeCompare(b.room) || a.peer.localeCompare(b.peer));
  }

  /** Every federation link with what waits in its outbox (how many, how big, since when) and,
   * while it is down, since when: what the operator's alerts read. One command per link, two
   * more per link with a backlog and one per link that is down; sent at once, they share the
   * round trips. Of `links` only, when given (a page of them). */
  async linkHealth(links?: readonly IndexedLink[]): Promise<LinkHealth[]> {
    const { prefix } = this.options;
    return Promise.all(
      (links ?? (await this.links())).map(async (link) => {
        const waiting = await this.#backlog(outboxKey(prefix, link.room, link.peer));
        if (link.state !== "down") return { ...link, ...waiting };
        const json = await this.#redis.hget(roomKeys(prefix, link.room).links, link.peer);
        const since = json && (JSON.parse(json) as FederationLink).downSince;
        return { ...link, ...waiting, ...(since && { downSince: Date.parse(since) }) };
      }),
    );
  }

  async #backlog(outbox: string) {
    const backlog = await this.#redis.xlen(outbox);
    if (backlog === 0) return { backlog, backlogBytes: 0 };
    const [bytes, oldest] = await Promise.all([
      this.#redis.memory("USAGE", outbox),
      this.#redis.xrange(outbox, "-", "+", "COUNT", 1),
    ]);
    const id = oldest[0]?.[0];
    return {
      backlog,
      backlogBytes: Number(bytes ?? 0),
      ...(id ? { oldestQueuedAt: entryTime(id) } : {}),
    };
  }

  /** Up to `count` history entries up to and including `upTo`, oldest first. */
  async history(room: string, upTo: string, count: number): Promise<HistoryEntry[]> {
    if (!upTo || count <= 0) return [];
    const k = roomKeys(this.options.prefix, room);
    const rows = await this.#redis.xrevrange(k.history, upTo, "-", "COUNT", count);
    return rows.reverse().map(([, fields]) => JSON.parse(fields[1]!) as HistoryEntry);
  }
}
