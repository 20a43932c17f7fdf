// W3C Trace Context (traceparent, tracestate) as one string, to store beside a stanza (a link's
// outbox entry) or carry in one (the link's trace element, see libs/fmuc-core trace.ts). The
// propagator is used directly, not the global one: a process without an SDK passes on what it
// was given.
import {
  ROOT_CONTEXT,
  context as contexts,
  trace,
  type Context,
  type Link,
  type Span,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

const w3c = new W3CTraceContextPropagator();

export interface TraceCarrier {
  readonly traceparent: string;
  readonly tracestate?: string;
}

const getter = {
  get: (carrier: TraceCarrier, key: string) => (carrier as unknown as Record<string, string>)[key],
  keys: (carrier: TraceCarrier) => Object.keys(carrier),
};

/** The carrier of `ctx` (the active context by default), none without a valid span context. */
export function carrierOf(ctx: Context = contexts.active()): TraceCarrier | undefined {
  const out: Record<string, string> = {};
  w3c.inject(ctx, out, { set: (c, k, v) => (c[k] = v) });
  return out.traceparent
    ? { traceparent: out.traceparent, ...(out.tracestate ? { tracestate: out.tracestate } : {}) }
    : undefined;
}

/** The carrier naming `span` (what a stanza it sends carries). */
export function carrierOfSpan(span: Span): TraceCarrier | undefined {
  return carrierOf(trace.setSpan(ROOT_CONTEXT, span));
}

/** A span link to the span a carrier names, if it names one. */
export function linkTo(carrier: TraceCarrier | undefined): Link | undefined {
  const named = trace.getSpanContext(contextOf(carrier));
  return named && { context: named };
}

/** The context a carrier names (a remote parent); `base` when there is none or it is invalid. */
export function contextOf(carrier: TraceCarrier | undefined, base = ROOT_CONTEXT): Context {
  if (!carrier) return base;
  const ctx = w3c.extract(base, carrier, getter);
  return trace.getSpanContext(ctx) ? ctx : base;
}

// tracestate never holds a line break: it separates the two.
export function encodeCarrier(carrier: TraceCarrier | undefined): string {
  if (!carrier) return "";
  return carrier.tracestate ? `${carrier.traceparent}\n${carrier.tracestate}` : carrier.traceparent;
}

export function decodeCarrier(text: string | undefined): TraceCarrier | undefined {
  if (!text) return undefined;
  const [traceparent = "", tracestate] = text.split("\n");
  return tracestate ? { traceparent, tracestate } : { traceparent };
}
