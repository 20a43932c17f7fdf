// A federation link: a local room and the peer room at the other end.
import { createHash } from "node:crypto";

/** The BullMQ queue of the links' jobs, and the messaging destination of their spans. */
export const LINK_QUEUE = "fmuc-links";

/** The links' jobs are spread over this many BullMQ queues (shards), each under a hash tag of
 * its own: on Redis Cluster they spread over the masters, and no one sorted set holds the timers
 * of every link. Every worker serves every shard. A link always lands in the same shard, so its
 * jobs never overtake each other: the number is part of the data layout, and changing it would
 * move links to other queues while their jobs wait in the old ones. */
export const LINK_SHARDS = 8;

export interface Link {
  /** The local room (bare JID). */
  readonly room: string;
  /** The peer room at the other end (bare JID). */
  readonly peer: string;
}

/** A name for the link in BullMQ job ids and maps; JIDs contain no space and BullMQ ids no ':'. */
export function linkJobId(link: Link): string {
  return `${link.room} ${link.peer}`;
}

/** The shard of a link's jobs: from a digest of its name, so the same in every process. */
export function shardOf(link: Link): number {
  return createHash("sha256").update(linkJobId(link)).digest().readUInt32BE(0) % LINK_SHARDS;
}

/** The key prefix of shard `shard` given the queue's hash tag, e.g. `{fedmuc:links}`: shard 0
 * keeps it (what a single queue had used), shard 3 is `{fedmuc:links:3}`. */
export function shardPrefix(prefix: string, shard: number): string {
  if (shard === 0) return prefix;
  return prefix.endsWith("}") ? `${prefix.slice(0, -1)}:${shard}}` : `${prefix}:${shard}`;
}
