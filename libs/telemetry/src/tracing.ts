// OpenTelemetry tracing. Code uses only @opentelemetry/api; the SDK is registered here, at the
// process's edge. Without a registered provider (exporter "none") every span is a no-op, yet a
// context that came from elsewhere still passes through (propagation.ts).
import {
  trace,
  context as contexts,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from "@opentelemetry/api";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { OTLPTraceExporter as OtlpJson } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OtlpProtobuf } from "@opentelemetry/exporter-trace-otlp-proto";
import {
  detectResources,
  envDetector,
  resourceFromAttributes,
  type Resource,
} from "@opentelemetry/resources";

export { SpanKind, type Context, type Link, type Span };

export type TracesExporter = "none" | "console" | "otlp";
export type OtlpProtocol = "http/protobuf" | "http/json";

const tracer = trace.getTracer("fedmuc");

/** Who exports the spans: `serviceName`, unless the standard OTEL_SERVICE_NAME says otherwise,
 * with the attributes of OTEL_RESOURCE_ATTRIBUTES (e.g. the site, the deployment). */
export function tracingResource(serviceName: string): Resource {
  const fromEnv = detectResources({ detectors: [envDetector] });
  return resourceFromAttributes({ "service.name": serviceName }).merge(fromEnv);
}

function exporterOf(exporter: TracesExporter, protocol: OtlpProtocol): SpanExporter {
  if (exporter === "console") return new ConsoleSpanExporter();
  return protocol === "http/json" ? new OtlpJson() : new OtlpProtobuf();
}

/** Registers a tracer provider for the chosen exporter; returns how to flush and stop it. The
 * SDK reads the other standard variables itself: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and
 * _HEADERS, OTEL_TRACES_SAMPLER(_ARG) (parent-based by default: a sampled trace stays sampled
 * across sites), OTEL_BSP_* for the batches. */
export function startTracing(
  exporter: TracesExporter,
  serviceName: string,
  protocol: OtlpProtocol = "http/protobuf",
): () => Promise<void> {
  if (exporter === "none") return async () => {};
  const provider = new NodeTracerProvider({
    resource: tracingResource(serviceName),
    spanProcessors: [new BatchSpanProcessor(exporterOf(exporter, protocol))],
  });
  provider.register();
  return () => provider.shutdown();
}

export interface SpanSettings {
  readonly attributes?: Attributes;
  readonly kind?: SpanKind;
  readonly links?: Link[];
  /** The parent (a context carried from elsewhere); the active context by default. */
  readonly parent?: Context;
}

/** Runs `fn` inside an active span named `name`; records an exception and error status. */
export function withSpan<T>(
  name: string,
  settings: SpanSettings,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const { parent = contexts.active(), ...options } = settings;
  return tracer.startActiveSpan(name, options, parent, async (span) => {
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

/** A span that is not made active (its end is the caller's), e.g. one per stanza of a batch. */
export function startSpan(name: string, settings: SpanSettings): Span {
  const { parent = contexts.active(), ...options } = settings;
  return tracer.startSpan(name, options, parent);
}

/** The event on the active span, if any records. */
export function spanEvent(name: string, attributes: Attributes): void {
  trace.getActiveSpan()?.addEvent(name, attributes);
}
