// XEP-0289 5.1: the history the joined node sends the joining node, entry by entry.
import { NS, parse, xml } from "@fedmuc/xmpp";
import type { HistoryEntry } from "../types.js";

/** A history entry as the joined node sends it: with fmuc, and its original time (XEP-0203). */
export function historyForLink(entry: HistoryEntry, room: string, peer: string): string {
  const message = parse(entry.stanza);
  message.attrs.to = peer;
  message.append(xml("fmuc", { xmlns: NS.fmuc, from: entry.jid }));
  message.append(xml("delay", { xmlns: NS.delay, from: room, stamp: entry.stamp }));
  return message.toString();
}
