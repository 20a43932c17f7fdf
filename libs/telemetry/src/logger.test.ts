import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { withSpan } from "./tracing.js";

describe("createLogger", () => {
  it("puts the active span's trace_id and span_id on each line written inside it", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const provider = new NodeTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
    });
    provider.register();
    const log = createLogger("info", "test", sink);
    log.info("outside");
    const ids = await withSpan("s", {}, async (span) => {
      log.child({ module: "m" }).info("inside");
      return span.spanContext();
    });
    await provider.shutdown();
    trace.disable();
    expect(lines[0]).not.toHaveProperty("trace_id");
    expect(lines[1]).toMatchObject({
      msg: "inside",
      module: "m",
      trace_id: ids.traceId,
      span_id: ids.spanId,
      trace_flags: "01",
    });
  });
});
