// Link sessions between two nodes of this service (namespace urn:fedmuc:fmuc:0, see README.md
// "Link sessions"): the traffic of a link is numbered, acknowledged cumulatively and sent again
// until acknowledged, so that it crosses exactly once even when S2S drops stanzas in flight; a
// session outlives outages, so a rejoin resumes it instead of starting over.
import { NS, xml, type Element } from "@fedmuc/xmpp";
import { MalformedFmucError } from "./payload.js";

/** A join's offer: session `id`, of which the joining node has applied `rx` stanzas (0: it
 * proposes the session). `state`: the joining node no longer shows the joined node's
 * occupants (its grace period ended) and asks for them again. */
export interface SessionOffer {
  readonly id?: string;
  readonly rx: number;
  readonly state: boolean;
  /** The joining node takes trace context on the link's stanzas (see trace.ts). */
  readonly trace?: boolean;
}

/** The numbering of one stanza of a session. */
export interface Seq {
  /** The session (a short id: every stanza names it, so none is read in another's numbering). */
  readonly s: string;
  readonly n: number;
  /** Cumulative acknowledgement: the sender has applied this many of the receiver's stanzas. */
  readonly ack?: number;
  /** When the stanza was queued (milliseconds since the epoch), if it waited. */
  readonly at?: number;
  /** A copy sent again: the sender's run of copies it belongs to (runs are counted per session;
   * each starts no later than the receiver's next stanza when it was asked for). */
  readonly re?: number;
}

/** A standalone acknowledgement in session `s`; `resend`: a stanza is missing, send again
 * after `n`, unless a run of copies newer than `run` (the latest the asker has seen) is on its
 * way from no later than that. */
export interface Ack {
  readonly s: string;
  readonly n: number;
  readonly resend: boolean;
  readonly run?: number;
}

function count(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new MalformedFmucError(`${what} is not a count: ${value}`);
  return Number(value);
}

function attrsOf(fields: Record<string, string | number | boolean | undefined>) {
  const attrs: Record<string, string> = { xmlns: NS.fedmuc };
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== false) attrs[name] = String(value);
  }
  return attrs;
}

export function sessionElement(offer: SessionOffer): Element {
  return xml(
    "session",
    attrsOf({
      id: offer.id,
      rx: offer.id ? offer.rx : undefined,
      state: offer.state,
      trace: offer.trace,
    }),
  );
}

export function readSession(stanza: Element): SessionOffer | undefined {
  const el = stanza.getChild("session", NS.fedmuc);
  if (!el) return undefined;
  const { id, rx, state, trace } = el.attrs;
  return {
    ...(id ? { id } : {}),
    rx: count(rx, "session rx") ?? 0,
    state: state === "true",
    ...(trace === "true" ? { trace: true } : {}),
  };
}

export function seqElement(seq: Seq): Element {
  return xml("seq", attrsOf({ s: seq.s, n: seq.n, ack: seq.ack, at: seq.at, re: seq.re }));
}

/** The stanza's numbering, undefined if it has none; throws MalformedFmucError if unreadable. */
export function readSeq(stanza: Element): Seq | undefined {
  const el = stanza.getChild("seq", NS.fedmuc);
  if (!el) return undefined;
  const n = count(el.attrs.n, "seq n");
  const { s } = el.attrs;
  if (!s || !n) throw new MalformedFmucError(`seq without a session or a number: ${el}`);
  const ack = count(el.attrs.ack, "seq ack");
  const at = count(el.attrs.at, "seq at");
  const re = count(el.attrs.re, "seq re");
  return {
    s,
    n,
    ...(ack !== undefined ? { ack } : {}),
    ...(at !== undefined ? { at } : {}),
    ...(re !== undefined ? { re } : {}),
  };
}

export function ackMessage(from: string, to: string, ack: Ack): Element {
  return xml(
    "message",
    { from, to, type: "normal" },
    xml("ack", attrsOf({ s: ack.s, n: ack.n, resend: ack.resend, run: ack.run })),
  );
}

export function readAck(stanza: Element): Ack | undefined {
  const el = stanza.getChild("ack", NS.fedmuc);
  if (!el) return undefined;
  const { s } = el.attrs;
  if (!s) throw new MalformedFmucError(`ack without a session: ${el}`);
  const run = count(el.attrs.run, "ack run");
  const resend = el.attrs.resend === "true";
  return { s, n: count(el.attrs.n, "ack n") ?? 0, resend, ...(run !== undefined ? { run } : {}) };
}

/** The joined node resumes the session a join offered; it has applied `rx` of the joining
 * node's stanzas. From bare JID to bare JID, like <reject/> and <left/>. */
export function resumedPresence(from: string, to: string, rx: number): Element {
  return xml("presence", { from, to }, xml("resumed", attrsOf({ rx })));
}

export function readResumed(stanza: Element): number | undefined {
  const el = stanza.getChild("resumed", NS.fedmuc);
  return el ? (count(el.attrs.rx, "resumed rx") ?? 0) : undefined;
}

/** The joined node lacks these occupants of a joining node whose join (a rejoin of a session,
 * which carries one presence and the list of all) named them: their presences are to follow. */
export function missingPresence(from: string, to: string, jids: readonly string[]): Element {
  const list = jids.map((jid) => xml("occupant", { jid }));
  return xml("presence", { from, to }, xml("missing", { xmlns: NS.fedmuc }, ...list));
}

export function readMissing(stanza: Element): string[] | undefined {
  const el = stanza.getChild("missing", NS.fedmuc);
  return el?.getChildren("occupant").flatMap((o) => (o.attrs.jid ? [o.attrs.jid] : []));
}

/** What a link's bounded backlog dropped while its peer was away (README.md "Bounded
 * backlogs"): its outbox beyond the bound in bytes or age, or copies the peer never
 * acknowledged. Kept until the link's return reports it. */
export interface LinkLoss {
  /** Stanzas dropped, messages among them. */
  readonly stanzas: number;
  readonly messages: number;
  /** When the oldest of them was queued (ms since the epoch). */
  readonly since: number;
}

/** The node that dropped traffic for the peer tells it so on the link's return, in the fresh
 * session, from bare JID to bare JID. */
export function lostMessage(from: string, to: string, loss: LinkLoss): Element {
  const { stanzas, messages, since } = loss;
  return xml(
    "message",
    { from, to, type: "normal" },
    xml("lost", attrsOf({ stanzas, messages, since })),
  );
}

export function readLost(stanza: Element): LinkLoss | undefined {
  const el = stanza.getChild("lost", NS.fedmuc);
  if (!el) return undefined;
  return {
    stanzas: count(el.attrs.stanzas, "lost stanzas") ?? 0,
    messages: count(el.attrs.messages, "lost messages") ?? 0,
    since: count(el.attrs.since, "lost since") ?? 0,
  };
}
