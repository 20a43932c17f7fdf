// One delivery round of a federation link: what is to be sent again, then the outbox, in order,
// until it is empty or the link is not up. On a link with a session (between nodes of this
// service) each stanza is numbered and kept until the peer acknowledges it (session.ts); without
// one, a stanza is forgotten once sent. The dispatcher runs one round per link at a time. Each
// round is traced (delivery-trace.ts); a stanza to a peer that takes trace context carries it.
// To a peer service with a rate (rate.ts), each step is paid for before it is taken, by priority
// (priority.ts); a step the rate cannot pay for yet ends the round with RateLimited, taking
// nothing (copies taken to be sent again are put back).
import { carryTrace, seqElement } from "@fedmuc/fmuc-core";
import { carrierOfSpan } from "@fedmuc/telemetry";
import { parse, type Element } from "@fedmuc/xmpp";
import type { Acknowledger } from "./acks.js";
import { superseded } from "./coalesce.js";
import { RoundTrace } from "./delivery-trace.js";
import type { Link } from "./link.js";
import { stamped, waited, type LinkOutbox, type OutboxEntry } from "./outbox.js";
import { priorityOf } from "./priority.js";
import {
  firstPayment,
  paidBytes,
  RateLimited,
  type BucketShape,
  type SharedRates,
} from "./rate.js";
import type { LinkSessions, LinkState, Numbered } from "./session.js";

export interface DeliveryOptions {
  readonly outbox: LinkOutbox;
  readonly sessions: LinkSessions;
  readonly acks: Acknowledger;
  /** Hands a stanza to the XMPP server; a rejection means: retry later. */
  readonly send: (stanza: Element) => Promise<void>;
  /** Sets the session's timeout for stanzas up to `tx` (see LinkDispatcher). */
  readonly arm: (link: Link, session: string, tx: number) => Promise<void>;
  /** Entries read from an outbox at a time. */
  readonly batch: number;
  /** A message that waited longer than this in the outbox goes out with its queued time; what
   * waited longer is backlog to a rate. */
  readonly stampAfterMs: number;
  /** The rates of peer services (FMUC_PEER_RATES), if any is set. */
  readonly rates?: SharedRates;
  readonly onResent?: (link: Link, first: number, last: number) => void;
  /** A stanza of the outbox, queued at `queuedAt` (ms), was handed to the XMPP server. */
  readonly onSent?: (link: Link, queuedAt: number) => void;
}

/** Copies taken to be sent again at a time under a rate (the quantum takes a few at most). */
const PACED_COPIES = 8;

/** A numbered stanza on its way out. */
interface Outgoing {
  readonly n: number;
  readonly queuedAt: number;
  readonly stanza: Element;
}

export class Delivery {
  constructor(private readonly options: DeliveryOptions) {}

  /** Sends what is to be sent again, then the outbox, in order, until it is empty or the link
   * is not up. A link that is gone sends what is left (its leave, <left/>) as it is. */
  async run(link: Link): Promise<void> {
    const round = new RoundTrace(link, this.options.stampAfterMs);
    try {
      await this.#rounds(link, round);
      round.end();
    } catch (err) {
      round.end(err instanceof RateLimited ? undefined : err);
      throw err;
    }
  }

  async #rounds(link: Link, round: RoundTrace): Promise<void> {
    const { batch } = this.options;
    const shape = this.options.rates?.shapeOf(link);
    for (;;) {
      const count = shape ? PACED_COPIES : batch;
      const { link: state, resend, run } = await this.options.sessions.prepare(link, count);
      if (state && state.state !== "up") return;
      if (resend.length > 0) {
        const paid = shape ? await this.#payCopies(link, state!, shape, resend) : resend;
        const again = paid.map((r) => ({ ...r, stanza: parse(r.stanza) }));
        for (const { stanza } of again) round.resent(stanza, state?.traces === true);
        await this.#sendNumbered(link, state!, again, run);
        this.options.onResent?.(link, again[0]!.n, again.at(-1)!.n);
        continue;
      }
      const read = await this.options.outbox.read(link, batch);
      if (read.length === 0) return;
      const parsed = read.map((e) => parse(e.stanza));
      // What a later presence in the batch supersedes need not cross (it is done with, too).
      const skip = superseded(parsed);
      const taken = shape ? await this.#payEntries(link, shape, read, parsed, skip) : read.length;
      const entries = read.slice(0, taken);
      const stanzas = parsed.slice(0, taken);
      if (state?.session) await this.#sendBatch(link, state, entries, stanzas, skip, round);
      else await this.#sendPlain(link, entries, stanzas, skip, round);
    }
  }

  /** Pays for the first copies of `copies` that one turn of the backlog covers; the others,
   * and all of them if the rate cannot pay yet, are put back to be sent again later. */
  async #payCopies(
    link: Link,
    state: LinkState,
    shape: BucketShape,
    copies: Numbered[],
  ): Promise<Numbered[]> {
    const items = copies.map((c) => ({ priority: "backlog" as const, bytes: paidBytes(c.stanza) }));
    const { count, bytes } = firstPayment(items, shape.quantum);
    try {
      await this.options.rates!.pay(link, shape, "backlog", bytes);
    } catch (err) {
      await this.options.sessions.putBack(link, state.session!, copies[0]!.n);
      throw err;
    }
    if (count < copies.length) {
      await this.options.sessions.putBack(link, state.session!, copies[count]!.n);
    }
    return copies.slice(0, count);
  }

  /** Pays for the first entries of the outbox that go in one payment (of one priority, a
   * quantum at most): how many they are. */
  async #payEntries(
    link: Link,
    shape: BucketShape,
    entries: OutboxEntry[],
    stanzas: Element[],
    skip: Set<number>,
  ): Promise<number> {
    const now = Date.now();
    const items = entries.map((e, i) => ({
      priority: priorityOf(e, stanzas[i]!, now, this.options.stampAfterMs),
      bytes: skip.has(i) ? 0 : paidBytes(e.stanza),
    }));
    const { count, priority, bytes } = firstPayment(items, shape.quantum);
    if (bytes > 0) await this.options.rates!.pay(link, shape, priority, bytes);
    return count;
  }

  /** Numbers entries of the outbox (parsed as `stanzas`; `skip`: those a later presence
   * supersedes) and sends them; a stanza carries its trace context in the copy kept for
   * sending again too. */
  async #sendBatch(
    link: Link,
    state: LinkState,
    entries: OutboxEntry[],
    stanzas: Element[],
    skip: Set<number>,
    round: RoundTrace,
  ): Promise<void> {
    const spans = entries.map((e, i) =>
      skip.has(i) ? undefined : round.stanza(e.context, e.queuedAt),
    );
    const toNumber = entries.map((e, i) => {
      const span = spans[i];
      if (!span) return { ...e, stanza: "" };
      return state.traces
        ? { ...e, stanza: carryTrace(stanzas[i]!, carrierOfSpan(span)).toString() }
        : e;
    });
    const outbox = this.options.outbox.key(link);
    try {
      const numbers = await this.options.sessions.number(link, outbox, state.session!, toNumber);
      if (!numbers) return; // the session changed: the next round renumbers
      const numbered = numbers.flatMap((n, i) =>
        n > 0 ? [{ n, queuedAt: entries[i]!.queuedAt, stanza: stanzas[i]! }] : [],
      );
      await this.#sendNumbered(link, state, numbered);
    } finally {
      for (const span of spans) span?.end();
    }
  }

  /** Stanzas of the session, in order, each naming the session, with the
   * acknowledgement owed to the peer, if any, the time it was queued if it waited, and the run
   * of copies (`re`) if it goes again. The timeout is set first: what a worker numbered and
   * could not send goes again. */
  async #sendNumbered(link: Link, state: LinkState, numbered: Outgoing[], re = 0): Promise<void> {
    if (numbered.length === 0) return;
    await this.options.arm(link, state.session!, numbered.at(-1)!.n);
    const stampAfter = this.options.stampAfterMs;
    for (const { n, queuedAt, stanza } of numbered) {
      const late = waited(stanza, queuedAt, Date.now(), stampAfter);
      const ack = this.options.acks.piggyback(link, state.session!, state.rx);
      const seq = {
        s: state.session!,
        n,
        ...(ack !== undefined ? { ack } : {}),
        ...(late ? { at: queuedAt } : {}),
        ...(re > 0 ? { re } : {}),
      };
      stanza.append(seqElement(seq));
      await this.options.send(stanza);
      if (re === 0) this.options.onSent?.(link, queuedAt);
    }
  }

  /** Sends entries of a link without a session; what was sent is removed even on failure. */
  async #sendPlain(
    link: Link,
    entries: OutboxEntry[],
    stanzas: Element[],
    skip: Set<number>,
    round: RoundTrace,
  ): Promise<void> {
    const sent: string[] = [];
    const late = this.options.stampAfterMs;
    try {
      for (const [i, entry] of entries.entries()) {
        const stanza = stanzas[i]!;
        if (!skip.has(i)) {
          const span = round.stanza(entry.context, entry.queuedAt);
          const due = waited(stanza, entry.queuedAt, Date.now(), late);
          await this.options
            .send(due ? stamped(stanza, entry.queuedAt, link.room) : stanza)
            .finally(() => span.end());
          this.options.onSent?.(link, entry.queuedAt);
        }
        sent.push(entry.id);
      }
    } finally {
      await this.options.outbox.remove(link, sent);
    }
  }
}
