// Spans, on @opentelemetry/api only: the SDK is registered at the process's edge (sdk.ts).
// Without a registered provider (exporter "none") every span is a no-op, yet a context that came
// from elsewhere still passes through (propagation.ts).
import {
  trace,
  context as contexts,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from "@opentelemetry/api";

export { SpanKind, type Context, type Link, type Span };

// Asked for each time: the provider registered now (a test may register another later).
const tracer = () => trace.getTracer("fedmuc");

export interface SpanSettings {
  readonly attributes?: Attributes;
  readonly kind?: SpanKind;
  readonly links?: Link[];
  /** The parent (a context carried from elsewhere); the active context by default. */
  readonly parent?: Context;
}

/** The active span, when a span made under it would be its child in a trace the sampler dropped:
 * none is made then (parent-based sampling drops the child too), the active one serves. So an
 * unsampled stanza costs one span, not one per step. */
function unsampledParent(settings: SpanSettings): Span | undefined {
  if (settings.parent) return undefined;
  const active = trace.getActiveSpan();
  const flags = active?.spanContext().traceFlags ?? TraceFlags.SAMPLED;
  return (flags & TraceFlags.SAMPLED) === 0 ? active : undefined;
}

/** Runs `fn` inside an active span named `name`; records an exception and error status. */
export function withSpan<T>(
  name: string,
  settings: SpanSettings,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const unsampled = unsampledParent(settings);
  if (unsampled) return fn(unsampled);
  const { parent = contexts.active(), ...options } = settings;
  return tracer().startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A span that is not made active (its end is the caller's), e.g. one per stanza of a batch.
 * Under an unsampled active span, that one (ending it changes nothing: it does not record). */
export function startSpan(name: string, settings: SpanSettings): Span {
  const unsampled = unsampledParent(settings);
  if (unsampled) return unsampled;
  const { parent = contexts.active(), ...options } = settings;
  return tracer().startSpan(name, options, parent);
}

/** The active context with `span` as its span: a parent for spans started outside it. */
export function within(span: Span): Context {
  return trace.setSpan(contexts.active(), span);
}

/** Whether the active span records (is sampled): what only it would show need not be worked out. */
export function recording(): boolean {
  return trace.getActiveSpan()?.isRecording() ?? false;
}

/** Attributes for the active span, if any records. */
export function spanAttributes(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** The event on the active span, if any records. */
export function spanEvent(name: string, attributes: Attributes): void {
  trace.getActiveSpan()?.addEvent(name, attributes);
}
