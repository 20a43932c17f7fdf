// Questions asked of the spans a service exported (otlp-receiver.ts): the handling of a stanza,
// its whole trace once it holds what the test waits for, a span's children.
import type { OtlpReceiver, ReceivedSpan } from "./otlp-receiver.js";

export type SpanTest = (span: ReceivedSpan) => boolean;

/** The server span of the stanza with id `id`, handled by the service named `service`. */
export const stanzaSpan =
  (service: string, id: string): SpanTest =>
  (s) =>
    s.name === "fedmuc.stanza" && s.service === service && s.attributes["xmpp.id"] === id;

/** The first span that passes `test`, once one has arrived. */
export function spanWhere(receiver: OtlpReceiver, test: SpanTest, timeoutMs?: number) {
  return receiver.waitFor((spans) => spans.find(test), timeoutMs);
}

/** The spans of trace `traceId`, once they hold a span passing each of `tests`. */
export function traceWith(
  receiver: OtlpReceiver,
  traceId: string,
  tests: readonly SpanTest[],
  timeoutMs?: number,
): Promise<ReceivedSpan[]> {
  return receiver.waitFor((spans) => {
    const trace = spans.filter((s) => s.traceId === traceId);
    return tests.every((t) => trace.some(t)) ? trace : undefined;
  }, timeoutMs);
}

export const childrenOf = (trace: readonly ReceivedSpan[], parent: ReceivedSpan) =>
  trace.filter((s) => s.parentSpanId === parent.spanId);

/** A span of `service` named `name` (and passing `also`, if given). */
export const named =
  (service: string, name: string, also: SpanTest = () => true): SpanTest =>
  (s) =>
    s.service === service && s.name === name && also(s);

/** Whether the span records an event `name` whose attributes include `attributes`. */
export const hasEvent =
  (name: string, attributes: Record<string, unknown> = {}): SpanTest =>
  (s) =>
    s.events.some(
      (e) => e.name === name && Object.entries(attributes).every(([k, v]) => e.attributes[k] === v),
    );
