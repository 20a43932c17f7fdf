// A federation link's outbox, read in order by its delivery job (entries are appended by room
// commits, see @fedmuc/room-store).
import type { Cluster, Redis } from "ioredis";
import { outboxKey } from "@fedmuc/room-store";
import { historyForLink, type HistoryEntry } from "@fedmuc/muc-core";

export interface Link {
  /** The local room (bare JID). */
  readonly room: string;
  /** The peer room at the other end (bare JID). */
  readonly peer: string;
}

export interface OutboxEntry {
  readonly id: string;
  readonly stanza: string;
}

export class LinkOutbox {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  #key(link: Link): string {
    return outboxKey(this.prefix, link.room, link.peer);
  }

  /** The oldest `count` entries, in order; a history entry becomes its message for the peer. */
  async read(link: Link, count: number): Promise<OutboxEntry[]> {
    const rows = await this.redis.xrange(this.#key(link), "-", "+", "COUNT", count);
    return rows.map(([id, [field, value]]) => ({
      id,
      stanza:
        field === "h"
          ? historyForLink(JSON.parse(value!) as HistoryEntry, link.room, link.peer)
          : value!,
    }));
  }

  /** Forgets entries that were sent. */
  async remove(link: Link, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.xdel(this.#key(link), ...ids);
  }

  async pending(link: Link): Promise<number> {
    return this.redis.xlen(this.#key(link));
  }
}
