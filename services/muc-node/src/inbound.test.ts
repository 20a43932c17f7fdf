// An inbound stanza's span, metrics and slow-stanza line (README.md "Operations"): the trace
// context it carries is continued from an FMUC peer only, and always taken off; a slow one is
// logged inside its span, so the line names the trace.
import { Writable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { loadConfig } from "@fedmuc/config";
import type { RoomStore } from "@fedmuc/room-store";
import { createLogger, createRegistry } from "@fedmuc/telemetry";
import { parse, type Element } from "@fedmuc/xmpp";
import { inboundHandler } from "./inbound.js";
import { workerMetrics } from "./metrics.js";
import type { RoomHandler } from "./room-handler.js";

const ROOM = "court@rooms.wonderland.lit";
const PEER = "court@talk.denmark.lit";
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const PARENT = "b7ad6b7169203331";
const carrying = (from: string) =>
  parse(
    `<message from="${from}" to="${ROOM}" type="groupchat" id="m1"><body>hi</body>` +
      `<trace xmlns="urn:fedmuc:fmuc:0" traceparent="00-${TRACE_ID}-${PARENT}-01"/></message>`,
  );

const exporter = new InMemorySpanExporter();
beforeAll(() => {
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
});
afterAll(() => trace.disable());
beforeEach(() => exporter.reset());

/** A handler whose room takes `tookMs` of a fake clock; what the room saw, the log lines. */
function handler(tookMs = 0) {
  let clock = 0;
  const seen: Element[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const rooms = {
    handle: async (_room: string, stanza: Element) => {
      seen.push(stanza);
      clock += tookMs;
    },
  } as unknown as RoomHandler;
  const config = loadConfig({
    XMPP_COMPONENT_URL: "xmpp://127.0.0.1:5347",
    XMPP_COMPONENT_DOMAIN: "rooms.wonderland.lit",
    XMPP_COMPONENT_SECRET: "s",
    FMUC_ALLOW: "talk.denmark.lit",
    LOG_SLOW_STANZA_MS: "100",
  });
  const registry = createRegistry();
  const handle = inboundHandler({
    config,
    rooms,
    store: {} as RoomStore,
    send: async () => {},
    metrics: workerMetrics(registry),
    log: createLogger("info", "test", sink),
    linkTraffic: () => {},
    now: () => clock,
  });
  return { handle, seen, lines, registry };
}

const span = () => exporter.getFinishedSpans().find((s) => s.name === "fedmuc.stanza")!;

describe("an inbound stanza", () => {
  it("from an FMUC peer continues the trace it carries, which the rules never see", async () => {
    const { handle, seen } = handler();
    await handle(carrying(`${PEER}/Hamlet`));
    expect(span().spanContext().traceId).toBe(TRACE_ID);
    expect(span().parentSpanContext?.spanId).toBe(PARENT);
    expect(span().attributes).toMatchObject({ "xmpp.id": "m1", "fedmuc.link": true });
    expect(seen[0]!.toString()).not.toContain("trace");
  });

  it("from a client starts a trace of its own: what it carries is dropped", async () => {
    const { handle, seen } = handler();
    await handle(carrying("hatter@wonderland.lit/tea"));
    expect(span().spanContext().traceId).not.toBe(TRACE_ID);
    expect(span().parentSpanContext).toBeUndefined();
    expect(seen[0]!.toString()).not.toContain("trace");
  });

  it("a handed-over stanza continues the trace of the worker that handed it over", async () => {
    const { handle } = handler();
    await handle(carrying("hatter@wonderland.lit/tea"), true);
    expect(span().parentSpanContext?.spanId).toBe(PARENT);
  });

  it("taking longer than LOG_SLOW_STANZA_MS is logged with its trace, and timed by name and link", async () => {
    const slow = handler(250);
    await slow.handle(carrying(`${PEER}/Hamlet`));
    const line = slow.lines.find((l) => l.msg === "slow stanza");
    expect(line).toMatchObject({ stanza: "message", ms: 250, trace_id: TRACE_ID });
    const text = await slow.registry.metrics();
    expect(text).toMatch(/fedmuc_stanza_handle_seconds_sum\{name="message"\} 0\.25/);
    expect(text).toMatch(/fedmuc_link_stanza_seconds_count\{direction="in"\} 1/);
    const quick = handler(99);
    await quick.handle(carrying(`${PEER}/Hamlet`));
    expect(quick.lines.filter((l) => l.msg === "slow stanza")).toEqual([]);
  });
});
