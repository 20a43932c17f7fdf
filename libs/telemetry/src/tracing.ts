// OpenTelemetry tracing. Code uses only @opentelemetry/api; without a registered provider
// (exporter "none") every span is a no-op.
import { trace, SpanStatusCode, type Attributes, type Span } from "@opentelemetry/api";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  detectResources,
  envDetector,
  resourceFromAttributes,
  type Resource,
} from "@opentelemetry/resources";

export type TracesExporter = "none" | "console" | "otlp";

const tracer = trace.getTracer("fedmuc");

/** Who exports the spans: `serviceName`, unless the standard OTEL_SERVICE_NAME says otherwise,
 * with the attributes of OTEL_RESOURCE_ATTRIBUTES (e.g. the site, the deployment). */
export function tracingResource(serviceName: string): Resource {
  const fromEnv = detectResources({ detectors: [envDetector] });
  return resourceFromAttributes({ "service.name": serviceName }).merge(fromEnv);
}

/** Registers a tracer provider for the chosen exporter; returns how to flush and stop it. */
export function startTracing(exporter: TracesExporter, serviceName: string): () => Promise<void> {
  if (exporter === "none") return async () => {};
  const spanExporter: SpanExporter =
    exporter === "console" ? new ConsoleSpanExporter() : new OTLPTraceExporter();
  const provider = new NodeTracerProvider({
    resource: tracingResource(serviceName),
    spanProcessors: [new BatchSpanProcessor(spanExporter)],
  });
  provider.register();
  return () => provider.shutdown();
}

/** Runs `fn` inside an active span named `name`; records an exception and error status. */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
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
