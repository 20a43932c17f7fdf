// Trace context across a link between two nodes of this service (README.md "Trace context"):
// a link stanza carries the W3C traceparent (and tracestate) of the span that sent it, so the
// far node's handling continues the same trace. Only to a peer that advertised it, only honoured
// from an FMUC peer, and taken off every stanza before the rules see it, so no client gets one.
import { NS, xml, type Element } from "@fedmuc/xmpp";

/** The room feature (disco#info) of a node that carries trace context on its links. */
export const TRACE_FEATURE = `${NS.fedmuc}#trace`;

export interface CarriedTrace {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** W3C limits: a traceparent is 55 characters; a tracestate at most 512 (32 members). */
const MAX_TRACESTATE = 512;

export function traceElement(carried: CarriedTrace): Element {
  const attrs = { xmlns: NS.fedmuc, traceparent: carried.traceparent };
  return xml("trace", carried.tracestate ? { ...attrs, tracestate: carried.tracestate } : attrs);
}

/** Whether a traceparent's flags say sampled (W3C Trace Context 3.2.2.5). */
export function sampled(traceparent: string): boolean {
  return (parseInt(traceparent.slice(53, 55), 16) & 1) === 1;
}

/** The stanza carrying `carried`, if the trace is sampled: an unsampled trace is not worth its
 * bytes on a slow link (the far node decides for itself). */
export function carryTrace(stanza: Element, carried: CarriedTrace | undefined): Element {
  if (carried && sampled(carried.traceparent)) stanza.append(traceElement(carried));
  return stanza;
}

/** Takes the trace elements off `stanza` (in place) and gives the first one's context, if it is
 * of a plausible size (the propagator checks the format). */
export function takeTrace(stanza: Element): CarriedTrace | undefined {
  const found = stanza.getChildren("trace", NS.fedmuc);
  if (found.length === 0) return undefined;
  stanza.children = stanza.children.filter((c) => !found.includes(c as Element));
  const { traceparent, tracestate } = found[0]!.attrs;
  if (!traceparent || traceparent.length !== 55) return undefined;
  const state = tracestate && tracestate.length <= MAX_TRACESTATE ? { tracestate } : {};
  return { traceparent, ...state };
}
