// The OpenTelemetry SDK, registered once at the process's edge (main.ts); everything else uses
// @opentelemetry/api only (tracing.ts).
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

export type TracesExporter = "none" | "console" | "otlp";
export type OtlpProtocol = "http/protobuf" | "http/json";

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
