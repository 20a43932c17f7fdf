// A federation link's outbox, read in order by its delivery job (entries are appended by room
// commits, see @fedmuc/room-store).
import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import { NS, xml, type Element } from "@fedmuc/xmpp";
import { entryTime, outboxKey, roomKeys } from "@fedmuc/room-store";
import { historyForLink, type HistoryEntry } from "@fedmuc/muc-core";
import type { Link } from "./link.js";

export type { Link } from "./link.js";

export interface OutboxEntry {
  readonly id: string;
  readonly stanza: string;
  /** When it was queued (ms since the epoch: its stream id's time). */
  readonly queuedAt: number;
  /** What a rejoin's state and history carry again (room presence, messages, history). */
  readonly replaceable: boolean;
  /** A history entry (`h`): what a join's answer carries. */
  readonly history: boolean;
  /** The trace context it was produced in (a carrier, see @fedmuc/telemetry), or "". */
  readonly context: string;
}

const REMOVE = readFileSync(new URL("./remove.lua", import.meta.url), "utf8");

type Scripted = (Redis | Cluster) & {
  fedmucRemove(outbox: string, ...ids: string[]): Promise<number>;
};

export class LinkOutbox {
  readonly #redis: Scripted;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {
    redis.defineCommand("fedmucRemove", { numberOfKeys: 1, lua: REMOVE });
    this.#redis = redis as Scripted;
  }

  key(link: Link): string {
    return outboxKey(this.prefix, link.room, link.peer);
  }

  /** The oldest `count` entries, in order; a history entry becomes its message for the peer. */
  async read(link: Link, count: number): Promise<OutboxEntry[]> {
    const rows = await this.redis.xrange(this.key(link), "-", "+", "COUNT", count);
    // Fields: the kind and its value, then 'c' (the context) if any and 'o' (bound.lua).
    return rows.map(([id, [field, value, ...rest]]) => ({
      id,
      stanza:
        field === "h"
          ? historyForLink(JSON.parse(value!) as HistoryEntry, link.room, link.peer)
          : value!,
      queuedAt: entryTime(id),
      replaceable: field !== "s",
      history: field === "h",
      context: rest[0] === "c" ? rest[1]! : "",
    }));
  }

  /** Forgets entries that were sent; an emptied outbox goes. */
  async remove(link: Link, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#redis.fedmucRemove(this.key(link), ...ids);
  }

  /** Whether the link's traffic may go now: only while the link is up, so that a join goes
   * ahead of what waited for it; a link that is gone sends what is left (its leave, <left/>). */
  async sendable(link: Link): Promise<boolean> {
    const json = await this.redis.hget(roomKeys(this.prefix, link.room).links, link.peer);
    return json === null || (JSON.parse(json) as { state?: string }).state === "up";
  }

  async pending(link: Link): Promise<number> {
    return this.redis.xlen(this.key(link));
  }
}

/** Whether `stanza`, queued at `queuedAt`, is a message that waited longer than `afterMs`
 * (the link was down) and so goes out with the time it was queued (XEP-0203). */
export function waited(stanza: Element, queuedAt: number, now: number, afterMs: number): boolean {
  const message = stanza.name === "message" && stanza.getChild("body") !== undefined;
  return message && now - queuedAt > afterMs && !stanza.getChild("delay", NS.delay);
}

/** The stanza with a XEP-0203 delay stamp of `queuedAt`, from the room that queued it. */
export function stamped(stanza: Element, queuedAt: number, from: string): Element {
  stanza.append(xml("delay", { xmlns: NS.delay, from, stamp: new Date(queuedAt).toISOString() }));
  return stanza;
}
