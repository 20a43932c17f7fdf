// A federation link's outbox, read in order by its delivery job (entries are appended by room
// commits, see @fedmuc/room-store).
import type { Cluster, Redis } from "ioredis";
import { NS, xml, type Element } from "@fedmuc/xmpp";
import { outboxKey, roomKeys } from "@fedmuc/room-store";
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

  /** Whether the link's traffic may go now: only while the link is up, so that a join goes
   * ahead of what waited for it; a link that is gone sends what is left (its leave, <left/>). */
  async sendable(link: Link): Promise<boolean> {
    const json = await this.redis.hget(roomKeys(this.prefix, link.room).links, link.peer);
    return json === null || (JSON.parse(json) as { state?: string }).state === "up";
  }

  async pending(link: Link): Promise<number> {
    return this.redis.xlen(this.#key(link));
  }
}

/**
 * Traffic that waited (the link was down) keeps its time: a message queued longer than
 * `afterMs` goes out with a XEP-0203 delay stamp of when it was queued. `id` is its outbox
 * entry's Redis stream id (milliseconds-sequence).
 */
export function stampedIfLate(
  stanza: Element,
  id: string,
  from: string,
  now: number,
  afterMs: number,
): Element {
  const queuedAt = Number(id.slice(0, id.indexOf("-")));
  const late = now - queuedAt > afterMs;
  const message = stanza.name === "message" && stanza.getChild("body") !== undefined;
  if (!late || !message || stanza.getChild("delay", NS.delay)) return stanza;
  stanza.append(xml("delay", { xmlns: NS.delay, from, stamp: new Date(queuedAt).toISOString() }));
  return stanza;
}
