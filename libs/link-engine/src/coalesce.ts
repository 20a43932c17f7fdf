// Coalescing of rapid presence changes on a federation link: when traffic waits (a slow or
// returning link), an occupant's available presence is superseded by a later one in the same
// batch, to the same address, and need not cross. Unavailable presences, errors and everything
// else cross as they are, in order.
import type { Element } from "@fedmuc/xmpp";

/** The positions in `batch` (in outbox order) of the presences a later one supersedes. */
export function superseded(batch: readonly Element[]): Set<number> {
  const latest = new Map<string, number>();
  const dropped = new Set<number>();
  batch.forEach((stanza, i) => {
    if (stanza.name !== "presence") return;
    const key = `${stanza.attrs.from}|${stanza.attrs.to}`;
    const before = latest.get(key);
    if (stanza.attrs.type === undefined && before !== undefined) dropped.add(before);
    if (stanza.attrs.type === undefined) latest.set(key, i);
    else latest.delete(key); // an unavailable presence (or an error) ends the run
  });
  return dropped;
}
