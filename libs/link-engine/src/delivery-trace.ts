// A delivery round as OpenTelemetry messaging spans (libs/fmuc-core/README.md "Trace context"):
// the room's commit produced each outbox entry (a producer span), in a context kept with it. The
// round that takes entries from the outbox is one consumer span, in the trace of the first entry
// it takes and linking to each entry's context; each stanza it sends to the peer is a producer
// span continuing its own entry's trace, whose context the stanza carries to a peer that takes
// it. What a round sends again (a resync) is counted on the round's span.
import {
  SpanKind,
  contextOf,
  decodeCarrier,
  linkTo,
  startSpan,
  within,
  type Span,
  type TraceCarrier,
} from "@fedmuc/telemetry";
import { takeTrace, traceElement } from "@fedmuc/fmuc-core";
import type { Element } from "@fedmuc/xmpp";
import { LINK_QUEUE, type Link } from "./link.js";

const roundAttributes = (link: Link) => ({
  "messaging.system": "fedmuc",
  "messaging.destination.name": LINK_QUEUE,
  "messaging.operation.type": "process",
  "messaging.operation.name": "process",
  "fedmuc.room": link.room,
  "fedmuc.link.peer": link.peer,
});

const stanzaAttributes = (link: Link, queuedMs: number) => ({
  "messaging.system": "xmpp",
  "messaging.destination.name": link.peer,
  "messaging.operation.type": "send",
  "messaging.operation.name": "send",
  "fedmuc.room": link.room,
  "fedmuc.link.queued_ms": queuedMs,
});

/** The spans of one delivery round; the round's own span starts with its first stanza (a round
 * that finds nothing to send leaves no span). */
export class RoundTrace {
  #span: Span | undefined;
  #sent = 0;
  #resent = 0;
  #waited = 0;

  /** `waitedAfterMs`: a stanza queued longer ago than this waited for the link. */
  constructor(
    private readonly link: Link,
    private readonly waitedAfterMs: number,
  ) {}

  /** The round's span, started (under `parent`, if given) by the first stanza it handles. */
  #round(parent?: TraceCarrier): Span {
    this.#span ??= startSpan(`process ${LINK_QUEUE}`, {
      kind: SpanKind.CONSUMER,
      attributes: roundAttributes(this.link),
      ...(parent ? { parent: contextOf(parent) } : {}),
    });
    return this.#span;
  }

  /** The span of a stanza to the peer from an outbox entry produced in `context` (a carrier,
   * "" for none): a child of that context (of the round without one), and linked both ways. */
  stanza(context: string, queuedAt: number): Span {
    const produced = decodeCarrier(context);
    const round = this.#round(produced);
    const waitedMs = Date.now() - queuedAt;
    const span = startSpan("send xmpp", {
      kind: SpanKind.PRODUCER,
      parent: produced ? contextOf(produced) : within(round),
      attributes: stanzaAttributes(this.link, waitedMs),
      links: [{ context: round.spanContext() }],
    });
    const link = linkTo(produced);
    if (link) round.addLink(link);
    this.#sent++;
    if (waitedMs > this.waitedAfterMs) this.#waited++;
    return span;
  }

  /** A copy sent again: the round links to the context it carries, which stays on it only for
   * a peer that takes trace context. */
  resent(stanza: Element, carries: boolean): void {
    const carried = takeTrace(stanza);
    const produced = linkTo(carried);
    if (produced) this.#round().addLink(produced);
    if (carried && carries) stanza.append(traceElement(carried));
    this.#resent++;
  }

  /** Ends the round's span with what it sent: a round that sent again what the peer lacked, or
   * what waited while the link was down, is a resync. */
  end(error?: unknown): void {
    if (!this.#span) return;
    this.#span.setAttributes({
      "messaging.batch.message_count": this.#sent + this.#resent,
      "fedmuc.link.sent": this.#sent,
      "fedmuc.link.resent": this.#resent,
      "fedmuc.link.resync": this.#resent > 0 || this.#waited > 0,
    });
    if (error) this.#span.recordException(error as Error);
    this.#span.end();
  }
}
