import { trace } from "@opentelemetry/api";
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { describe, expect, it, vi } from "vitest";
import { startTracing, tracingResource } from "./sdk.js";
import { startSpan, withSpan } from "./tracing.js";

describe("tracing", () => {
  it("is a no-op without an exporter: spans do not record", async () => {
    const stop = startTracing("none", "test");
    const recording = await withSpan("s", {}, async (span) => span.isRecording());
    expect(recording).toBe(false);
    await stop();
  });

  it("records each span with its attributes and failures once a provider is registered", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    provider.register();
    await withSpan("ok", { attributes: { "xmpp.stanza": "message" } }, async () => 1);
    await expect(
      withSpan("fails", {}, async () => Promise.reject(new Error("boom"))),
    ).rejects.toThrow("boom");
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["ok", "fails"]);
    expect(spans[0]!.attributes["xmpp.stanza"]).toBe("message");
    expect(spans[1]!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(spans[1]!.events.map((e) => e.name)).toEqual(["exception"]);
    await provider.shutdown();
    trace.disable();
  });

  it("makes no child spans under one the sampler dropped: the unsampled span serves for them", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({
      sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    provider.register();
    const same = await withSpan("root", {}, async (root) => {
      const child = await withSpan("child", {}, async (span) => span);
      const started = startSpan("step", {});
      started.end();
      return child === root && started === root;
    });
    expect(same).toBe(true);
    expect(exporter.getFinishedSpans()).toEqual([]);
    await provider.shutdown();
    trace.disable();
  });

  it("names the service as OTEL_SERVICE_NAME says, with OTEL_RESOURCE_ATTRIBUTES", () => {
    expect(tracingResource("fedmuc").attributes["service.name"]).toBe("fedmuc");
    vi.stubEnv("OTEL_SERVICE_NAME", "fedmuc-hub");
    vi.stubEnv("OTEL_RESOURCE_ATTRIBUTES", "site=wonderland,deployment.environment=prod");
    try {
      expect(tracingResource("fedmuc").attributes).toMatchObject({
        "service.name": "fedmuc-hub",
        site: "wonderland",
        "deployment.environment": "prod",
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
