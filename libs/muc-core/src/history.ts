// XEP-0045 section 7.2.15: discussion history and the limits a newcomer may ask for.
import { NS, parse, xml, type Element } from "@fedmuc/xmpp";
import type { HistoryEntry, HistoryLimits } from "./types.js";

function nonNegative(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The limits in the join presence's <x xmlns='muc'><history/></x>, if any. */
export function historyLimits(join: Element): HistoryLimits {
  const h = join.getChild("x", NS.muc)?.getChild("history");
  if (!h) return {};
  return {
    maxchars: nonNegative(h.attrs.maxchars),
    maxstanzas: nonNegative(h.attrs.maxstanzas),
    seconds: nonNegative(h.attrs.seconds),
    since: h.attrs.since,
    after: h.getChild("after", NS.fedmuc)?.attrs.id,
  };
}

/**
 * The entries to send (oldest first) from `entries` (oldest first) within `limits`. `sentLength`
 * is the length of an entry as it goes out (with its 'to' and delay), which maxchars counts.
 */
export function selectHistory(
  entries: readonly HistoryEntry[],
  limits: HistoryLimits,
  now: Date,
  sentLength: (entry: HistoryEntry) => number = (e) => e.stanza.length,
): HistoryEntry[] {
  const notBefore = Math.max(
    limits.seconds === undefined ? -Infinity : now.getTime() - limits.seconds * 1000,
    limits.since === undefined ? -Infinity : Date.parse(limits.since) || -Infinity,
  );
  let chosen = entries.filter((e) => Date.parse(e.stamp) >= notBefore);
  if (limits.maxstanzas !== undefined) {
    chosen = chosen.slice(Math.max(0, chosen.length - limits.maxstanzas));
  }
  if (limits.maxchars !== undefined) {
    // maxchars counts the characters of the complete XML stanzas sent (7.2.15).
    let budget = limits.maxchars;
    const kept: HistoryEntry[] = [];
    for (const entry of [...chosen].reverse()) {
      budget -= sentLength(entry);
      if (budget < 0) break;
      kept.unshift(entry);
    }
    chosen = kept;
  }
  return chosen;
}

/** A history entry as delivered to `to`, with its original time (XEP-0203). */
export function historyMessage(entry: HistoryEntry, room: string, to: string): Element {
  const message = parse(entry.stanza);
  message.attrs.to = to;
  message.append(xml("delay", { xmlns: NS.delay, from: room, stamp: entry.stamp }));
  return message;
}
