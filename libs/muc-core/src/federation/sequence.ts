// XEP-0289 link sessions, on the receiving side (this service's design, libs/fmuc-core/README.md
// "Link sessions"): each numbered stanza of a peer is applied once, in order, in the same commit
// that records it as applied; a duplicate is dropped and acknowledged again; a gap is dropped
// and the peer asked to send again. Acknowledgements from the peer are passed on to the
// link's sender.
import { NS, clone, xml, type Element } from "@fedmuc/xmpp";
import {
  MalformedFmucError,
  ackMessage,
  readAck,
  readSeq,
  type Ack,
  type Seq,
} from "@fedmuc/fmuc-core";
import { NOTHING, decision, send } from "../decision.js";
import { applyMutations } from "../room.js";
import type { Decision, Effect, FederationLink, Room } from "../types.js";

/** How long a gap may stay before the peer is asked again for what fills it. */
export const ASK_AGAIN_MS = 10_000;

/** `stanza` from `peer` through the link's session; `apply` decides on it once it is its turn. */
export function inSequence(
  room: Room,
  stanza: Element,
  peer: string,
  now: Date,
  apply: (stanza: Element) => Decision,
): Decision {
  // A bounce carries this room's own numbering, not the peer's.
  if (stanza.attrs.type === "error") return apply(stanza);
  let seq: Seq | undefined, ack;
  try {
    seq = readSeq(stanza);
    ack = readAck(stanza);
  } catch (err) {
    if (!(err instanceof MalformedFmucError)) throw err;
    return decision(
      [],
      [{ kind: "log", level: "warn", message: `ignored ${peer}: ${err.message}` }],
    );
  }
  const link = room.links[peer];
  if (!link) return seq || ack ? NOTHING : apply(stanza);
  // The peer's acknowledgement, alone or riding on its stanza: of this room's stanzas.
  const acked: Effect[] = [];
  const told: Ack | undefined =
    ack ?? (seq?.ack !== undefined ? { s: seq.s, n: seq.ack, resend: false } : undefined);
  if (told && told.s === link.session) {
    const { n, resend, run } = told;
    acked.push({ kind: "peerAcked", peer, session: told.s, n, resend, run });
  }
  if (ack) return decision([], acked);
  if (!seq) return apply(stanza); // unnumbered: joins and their answers, other peers
  const current = sessionOf(link, seq);
  if (!current) return NOTHING; // a stanza of a session that is over, or not yet taken up
  const rx = current.rx ?? 0;
  // A copy of a run newer than any seen here: every run starts at or before rx + 1.
  const newRun = (seq.re ?? 0) > (current.run ?? 0);
  const seen = newRun ? { ...current, run: seq.re } : current;
  const owed: Effect = { kind: "ackDue", peer, session: seq.s, rx };
  if (seq.n <= rx) {
    return decision(newRun ? [{ op: "setLink", peer, link: seen }] : [], [...acked, owed]);
  }
  if (seq.n > rx + 1) return gap(room, peer, seen, seq, { newRun, now, acked });
  const d = apply(seq.at === undefined ? stanza : delayed(stanza, peer, seq.at));
  const after = applyMutations(room, d.mutations, room.version).links[peer];
  if (!after) return decision(d.mutations, [...d.effects, ...acked]); // the link ended with it
  const applied: FederationLink = {
    ...after,
    session: seq.s,
    rx: seq.n,
    nak: undefined,
    run: seen.run,
  };
  return decision(
    [...d.mutations, { op: "setLink", peer, link: applied }],
    [...d.effects, ...acked, { ...owed, rx: seq.n }],
  );
}

/** Stanza `seq` came after a gap: it is dropped, and the peer asked for what follows rx (it
 * sends that again, and what comes after). Asked once; again at once if a new run of copies
 * comes without what fills the gap (the copy was lost: the run started no later); again a
 * while later if the gap stays (the ask was lost; the peer ignores an ask a run it started
 * since answers). */
function gap(
  room: Room,
  peer: string,
  link: FederationLink,
  seq: Seq,
  { newRun, now, acked }: { newRun: boolean; now: Date; acked: Effect[] },
): Decision {
  const rx = link.rx ?? 0;
  const asked =
    link.nak?.rx === rx && now.getTime() - Date.parse(link.nak.at) < ASK_AGAIN_MS && !newRun;
  if (asked) return decision([], acked);
  const nak = { rx, at: now.toISOString() };
  const run = link.run ?? 0; // 0: no run seen yet, so any run on its way answers
  const note = `link session ${seq.s}: ${peer} sent ${seq.n} after ${rx}; asked for what follows ${rx}`;
  return decision(
    [{ op: "setLink", peer, link: { ...link, nak } }],
    [
      ...acked,
      send(ackMessage(room.jid, peer, { s: seq.s, n: rx, resend: true, run })),
      { kind: "log", level: "info", message: note },
    ],
  );
}

/** The link in the stanza's session. The joined node chooses sessions; the joining node takes
 * up the one the joined node numbers in (it only ever moves on to a newer one). A stanza of
 * another session reaching the joined node is from before the joining node took its current
 * one up: it comes again, numbered anew. */
function sessionOf(link: FederationLink, seq: Seq): FederationLink | undefined {
  if (seq.s === link.session) return link;
  if (link.role !== "upstream") return undefined;
  return { ...link, session: seq.s, rx: 0, nak: undefined, run: undefined };
}

/** A stanza that waited on the way keeps its time (XEP-0203), as its clients will see it. */
function delayed(stanza: Element, peer: string, at: number): Element {
  if (stanza.getChild("delay", NS.delay)) return stanza;
  const copy = clone(stanza);
  copy.append(xml("delay", { xmlns: NS.delay, from: peer, stamp: new Date(at).toISOString() }));
  return copy;
}
