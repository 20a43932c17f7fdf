import { gzipSync } from "node:zlib";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type HrTime } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { OtlpReceiver, TRACES_PATH, type ReceivedSpan } from "./otlp-receiver.js";

const ATTRIBUTES = {
  "messaging.destination.name": "denmark.lit",
  "fedmuc.fanout.occupants": 42,
  "fedmuc.link.delta": -3,
  "fedmuc.link.resync": true,
  "fedmuc.link.load": 0.25,
  "fedmuc.mutations": ["join", "message"],
};

const KINDS = ["internal", "server", "client", "producer", "consumer"] as const;
const STATUSES = ["unset", "ok", "error"] as const;
const nanos = ([seconds, ns]: HrTime): bigint => BigInt(seconds) * 1_000_000_000n + BigInt(ns);

/** What the receiver should make of a span the SDK finished. */
function expected(span: ReadableSpan): ReceivedSpan {
  const resource = span.resource.attributes as ReceivedSpan["resource"];
  const parent = span.parentSpanContext?.spanId;
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    ...(parent === undefined ? {} : { parentSpanId: parent }),
    name: span.name,
    kind: KINDS[span.kind]!,
    service: String(resource["service.name"]),
    resource,
    startNs: nanos(span.startTime),
    endNs: nanos(span.endTime),
    attributes: span.attributes as ReceivedSpan["attributes"],
    events: span.events.map((e) => ({
      name: e.name,
      timeNs: nanos(e.time),
      attributes: (e.attributes ?? {}) as ReceivedSpan["attributes"],
    })),
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      attributes: (l.attributes ?? {}) as ReceivedSpan["attributes"],
    })),
    status: STATUSES[span.status.code]!,
    scope: span.instrumentationScope.name,
  };
}

/** Exports a SERVER span, its PRODUCER child and the span the child links to, through the real
 * SDK and `exporter`; returns what the SDK finished and what the receiver got, in that order. */
async function exportTrace(receiver: OtlpReceiver, exporter: SpanExporter) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "fedmuc-hub" }),
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("otlp-receiver-test");
  const elsewhere = tracer.startSpan("link.receive", { kind: SpanKind.CONSUMER });
  elsewhere.end();
  const parent = tracer.startSpan("stanza.handle", {
    kind: SpanKind.SERVER,
    attributes: { "xmpp.stanza": "message" },
  });
  const child = tracer.startSpan(
    "link.send",
    {
      kind: SpanKind.PRODUCER,
      attributes: ATTRIBUTES,
      links: [{ context: elsewhere.spanContext(), attributes: { "fedmuc.link.peer": "denmark" } }],
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  child.addEvent("queued", { "fedmuc.link.queued_ms": 3 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: "link down" });
  child.end();
  parent.end();
  await provider.forceFlush();
  const sdk = memory.getFinishedSpans(); // before shutdown, which empties it
  await provider.shutdown();

  const received = await receiver.waitFor((spans) => {
    const found = sdk.map((s) => spans.find((r) => r.spanId === s.spanContext().spanId));
    return found.every((s) => s !== undefined) ? found : undefined;
  });
  return { sdk, received };
}

/** The content of spans without their ids and times, which differ from one export to the next:
 * who is whose parent, trace and link target by index instead. */
function content(spans: readonly ReceivedSpan[]) {
  const index = (id?: string) => spans.findIndex((s) => s.spanId === id);
  return spans.map(
    ({ traceId, spanId: _id, parentSpanId, startNs, endNs, events, links, ...rest }) => ({
      ...rest,
      parent: index(parentSpanId),
      sameTraceAs: spans.findIndex((s) => s.traceId === traceId),
      events: events.map(({ timeNs, ...e }) => ({
        ...e,
        inSpan: startNs <= timeNs && timeNs <= endNs,
      })),
      links: links.map(({ traceId: _trace, spanId, ...link }) => ({ ...link, to: index(spanId) })),
    }),
  );
}

function post(
  receiver: OtlpReceiver,
  contentType: string,
  body: Uint8Array | string,
  path = TRACES_PATH,
) {
  return fetch(`${receiver.endpoint}${path}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
}

const RAW_TRACE = "0af7651916cd43dd8448eb211c80319c";
const rawRequest = (name: string) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "raw" } }] },
      scopeSpans: [
        {
          scope: { name: "raw-scope" },
          spans: [
            {
              traceId: RAW_TRACE.toUpperCase(),
              spanId: "B7AD6B7169203331",
              parentSpanId: "",
              name,
              kind: 2,
              startTimeUnixNano: "1700000000000000000",
              endTimeUnixNano: "1700000000001500000",
              attributes: [{ key: "n", value: { intValue: "-7" } }],
              status: { code: 1 },
            },
          ],
        },
      ],
    },
  ],
});

// A hand-made protobuf encoding, for what the SDK never sends (groups, kvlists, bytes).
function varint(n: number): number[] {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  return [...out, n];
}
const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
const message = (field: number, ...parts: number[][]): number[] => {
  const bytes = parts.flat();
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
};
const text = (field: number, value: string): number[] => message(field, [...Buffer.from(value)]);
const hex = (field: number, id: string): number[] => message(field, [...Buffer.from(id, "hex")]);
const keyValue = (field: number, key: string, value: number[]): number[] =>
  message(field, text(1, key), message(2, value));

describe("OtlpReceiver", () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(() => receiver.stop());
  afterEach(() => vi.unstubAllEnvs());

  it("decodes the SDK's http/json and http/protobuf (plain and gzip) exports alike", async () => {
    const url = `${receiver.endpoint}${TRACES_PATH}`;
    const json = await exportTrace(receiver, new JsonExporter({ url }));
    const protobuf = await exportTrace(receiver, new ProtobufExporter({ url }));
    vi.stubEnv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip");
    const gzipped = await exportTrace(receiver, new ProtobufExporter({ url }));

    for (const { sdk, received } of [json, protobuf, gzipped]) {
      expect(received).toHaveLength(3);
      expect(received).toEqual(sdk.map(expected));
      const [elsewhere, child, parent] = received as [ReceivedSpan, ReceivedSpan, ReceivedSpan];
      expect(parent).toMatchObject({
        name: "stanza.handle",
        kind: "server",
        service: "fedmuc-hub",
      });
      expect(parent.parentSpanId).toBeUndefined();
      expect(child).toMatchObject({
        name: "link.send",
        kind: "producer",
        traceId: parent.traceId,
        parentSpanId: parent.spanId,
        attributes: ATTRIBUTES,
        status: "error",
        scope: "otlp-receiver-test",
      });
      expect(child.events).toEqual([
        { name: "queued", timeNs: expect.any(BigInt), attributes: { "fedmuc.link.queued_ms": 3 } },
      ]);
      expect(child.links).toEqual([
        {
          traceId: elsewhere.traceId,
          spanId: elsewhere.spanId,
          attributes: { "fedmuc.link.peer": "denmark" },
        },
      ]);
      expect(elsewhere.traceId).not.toBe(parent.traceId);
      // Ordered within a span; across spans not always: the SDK anchors each span's clock on
      // Date.now() (whole ms), so a child may seem to end a little after its parent.
      const event = child.events[0]!.timeNs;
      expect(child.startNs <= event && event <= child.endNs).toBe(true);
      expect(received.every((s) => s.startNs <= s.endNs)).toBe(true);
      for (const span of received) expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(content(protobuf.received)).toEqual(content(json.received));
    expect(content(gzipped.received)).toEqual(content(json.received));
    expect(receiver.requests.map((r) => r.contentType)).toEqual([
      ...Array(3).fill("application/json"),
      ...Array(6).fill("application/x-protobuf"),
    ]);
    expect(receiver.requests.every((r) => r.spans === 1)).toBe(true);
  });

  it("answers JSON with {} and takes gzip-encoded bodies", async () => {
    const waited = receiver.waitFor((spans) => spans.find((s) => s.name === "raw.gzip"));
    const response = await fetch(`${receiver.endpoint}${TRACES_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", "content-encoding": "gzip" },
      body: gzipSync(JSON.stringify(rawRequest("raw.gzip"))),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(await waited).toMatchObject({
      traceId: RAW_TRACE,
      spanId: "b7ad6b7169203331",
      kind: "server",
      service: "raw",
      scope: "raw-scope",
      startNs: 1_700_000_000_000_000_000n,
      endNs: 1_700_000_000_001_500_000n,
      attributes: { n: -7 },
      status: "ok",
    });
    expect(await waited).not.toHaveProperty("parentSpanId");
    expect(receiver.spansOf(RAW_TRACE.toUpperCase()).map((s) => s.name)).toContain("raw.gzip");
  });

  it("skips unknown protobuf fields of every wire type and decodes every AnyValue", async () => {
    const unknown = [
      [...tag(99, 0), ...varint(300)],
      [...tag(98, 1), 1, 2, 3, 4, 5, 6, 7, 8],
      [...tag(97, 5), 1, 2, 3, 4],
      [...tag(96, 3), ...tag(1, 0), 5, ...tag(2, 3), ...tag(1, 2), 0, ...tag(2, 4), ...tag(96, 4)],
      text(95, "ignored"),
    ].flat();
    const span = message(
      2,
      hex(1, RAW_TRACE),
      hex(2, "00f067aa0ba902b7"),
      message(4, []), // an empty parent_span_id: a root
      unknown,
      text(5, "raw.protobuf"),
      [...tag(6, 0), 5],
      keyValue(9, "kv", message(6, keyValue(1, "k", text(1, "v")))),
      keyValue(9, "bytes", message(7, [0xde, 0xad])),
      keyValue(9, "nested", message(5, message(1, message(5, message(1, [...tag(2, 0), 1]))))),
    );
    const scopeSpans = message(2, message(1, text(1, "hand")), unknown, span);
    const body = [...message(1, scopeSpans, unknown), ...unknown];
    const response = await post(receiver, "application/x-protobuf", new Uint8Array(body));
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    expect(receiver.spans.find((s) => s.name === "raw.protobuf")).toMatchObject({
      spanId: "00f067aa0ba902b7",
      kind: "consumer",
      service: "",
      scope: "hand",
      attributes: { kv: [["k", "v"]], bytes: "3q0=", nested: [[true]] },
    });
  });

  it("answers bad requests with a status and a message, and goes on", async () => {
    const before = receiver.spans.length;
    let deep: number[] = [...tag(2, 0), 1];
    for (let i = 0; i < 40; i++) deep = message(5, message(1, deep));
    const deepRequest = message(1, message(2, message(2, keyValue(9, "deep", deep))));
    const cases: [string, Uint8Array | string, number, RegExp, string?][] = [
      ["application/x-protobuf", new Uint8Array([0x0a, 0x7f, 0x01]), 400, /runs past the end/],
      ["application/x-protobuf", new Uint8Array(deepRequest), 400, /nested deeper than 32/],
      ["application/x-protobuf", new Uint8Array([0x0b]), 400, /group 1|ends inside/],
      ["application/json", "{not json", 400, /not JSON/],
      ["application/json", '{"resourceSpans":{}}', 400, /resourceSpans: expected an array/],
      [
        "application/json",
        JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: "xyz" }] }] }] }),
        400,
        /spans\[0\]\.traceId: expected 32 hex digits/,
      ],
      ["text/plain", "hello", 415, /unsupported Content-Type: text\/plain/],
      ["application/json", "{}", 404, /no \/v1\/metrics here, only \/v1\/traces/, "/v1/metrics"],
    ];
    for (const [contentType, body, status, says, path] of cases) {
      const response = await post(receiver, contentType, body, path);
      expect(response.status, `${contentType} ${String(body)}`).toBe(status);
      expect(await response.text()).toMatch(says);
    }
    expect((await fetch(`${receiver.endpoint}${TRACES_PATH}`)).status).toBe(405);
    expect(receiver.rejected).toHaveLength(cases.length + 1);
    expect(receiver.spans).toHaveLength(before);

    const response = await post(receiver, "application/json", JSON.stringify(rawRequest("after")));
    expect(response.status).toBe(200);
    expect(receiver.spans.at(-1)?.name).toBe("after");
  });

  it("rejects a wait that finds nothing in time, saying what it had", async () => {
    const started = Date.now();
    const never = receiver.waitFor((spans) => spans.find((s) => s.name === "never"), 200);
    await expect(never).rejects.toThrow(
      /nothing found in 200 ms; had \d+ spans from \d+ requests \(.*stanza\.handle ×3.*\)/,
    );
    await expect(never).rejects.toMatchObject({ code: "WAIT_TIMEOUT" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("rejects pending waits when it stops", async () => {
    const other = await OtlpReceiver.start();
    const waited = other.waitFor(() => undefined);
    await other.stop();
    await expect(waited).rejects.toMatchObject({ code: "STOPPED" });
    await expect(fetch(`${other.endpoint}${TRACES_PATH}`, { method: "POST" })).rejects.toThrow();
  });
});
