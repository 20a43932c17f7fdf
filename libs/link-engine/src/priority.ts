// What goes first on a shared, constrained path (libs/fmuc-core/README.md "Rate and priority on
// a shared path"): live messages, then live presences, then what waited. What waited is the
// backlog of a resync: history entries (`h`) the outbox carries for a join, entries queued
// longer ago than the live threshold (they waited while the link was down, or behind their own
// link's backlog), and copies sent again on a numbered link.
import type { Element } from "@fedmuc/xmpp";

/** In the order they go: a higher one waits while a lower one can pay. */
export const PRIORITIES = ["message", "presence", "backlog"] as const;
export type Priority = (typeof PRIORITIES)[number];

/** What an outbox entry says of its own priority. */
export interface Queued {
  /** A history entry of the outbox (`h`): what a join's answer carries. */
  readonly history: boolean;
  /** When it was queued (ms since the epoch). */
  readonly queuedAt: number;
}

/** The priority of an outbox entry holding `stanza`, at `now`: live if it was queued no longer
 * than `liveMs` ago and is not history; a live message goes ahead of a live presence (or any
 * other live stanza). */
export function priorityOf(entry: Queued, stanza: Element, now: number, liveMs: number): Priority {
  if (entry.history || now - entry.queuedAt > liveMs) return "backlog";
  return stanza.name === "message" ? "message" : "presence";
}
