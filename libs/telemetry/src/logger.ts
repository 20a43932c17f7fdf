// Structured JSON logs (pino). One root logger per process; modules take children of it. A line
// written inside a span carries its trace_id and span_id (and trace_flags: sampled or not), so
// logs lead to the trace.
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from "pino";

export type { Logger };

/** The active span's ids, as the OpenTelemetry log data model names them; none outside a span. */
export function traceFields(): { trace_id?: string; span_id?: string; trace_flags?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  const flags = context.traceFlags.toString(16).padStart(2, "0");
  return { trace_id: context.traceId, span_id: context.spanId, trace_flags: flags };
}

export function createLogger(
  level: LevelWithSilent,
  name = "fedmuc",
  destination?: DestinationStream,
): Logger {
  return pino({ name, level, base: { pid: process.pid }, mixin: traceFields }, destination);
}
