// A link's delivery as traced (libs/fmuc-core/README.md "Trace context"), against a real Redis:
// the round is a consumer span linking to each entry's producing context, each stanza a producer
// span continuing its entry's trace, carried on the stanza only to a peer that takes it; a round
// that sends again what the peer lacks is a resync.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { trace, SpanKind as Kind } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { takeTrace } from "@fedmuc/fmuc-core";
import { SpanKind, carrierOf, encodeCarrier, withSpan } from "@fedmuc/telemetry";
import { LINK, counting, numbered, startLinkSpaces } from "../../../test/harness/link-space.js";

const exporter = new InMemorySpanExporter();
let spaces: Awaited<ReturnType<typeof startLinkSpaces>>;
beforeAll(async () => {
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  spaces = await startLinkSpaces();
});
afterAll(async () => {
  await spaces?.stop();
  trace.disable();
});
afterEach(() => exporter.reset());

/** Appends `bodies` in a producer span of their own (as a room's commit does): its context. */
async function produced(space: ReturnType<typeof spaces.space>, bodies: string[]) {
  return withSpan("commit", { kind: SpanKind.PRODUCER }, async (span) => {
    await space.append(bodies, false, encodeCarrier(carrierOf()));
    return span.spanContext();
  });
}

/** Delivers the link once with `send`, and waits until the round's job is done. */
async function deliver(space: ReturnType<typeof spaces.space>, out = counting()) {
  const d = space.dispatcher(out.send);
  const { done } = await space.listen(`${LINK.room} `);
  d.start();
  await d.kick(LINK);
  await done;
  return { out, d };
}

const named = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe("a traced delivery", () => {
  it("continues each entry's trace and carries it to a peer that takes it", async () => {
    const space = spaces.space();
    await space.linkState("up", { session: "s1", rx: 0, traces: true });
    const commit = await produced(space, numbered(2));
    const { out, d } = await deliver(space);
    const [round] = named("process fmuc-links");
    const sends = named("send xmpp");
    expect(round!.kind).toBe(Kind.CONSUMER);
    expect(round!.attributes).toMatchObject({
      "messaging.destination.name": "fmuc-links",
      "messaging.batch.message_count": 2,
      "fedmuc.link.resync": false,
    });
    expect(round!.links.map((l) => l.context.spanId)).toEqual([commit.spanId, commit.spanId]);
    // The round is in the trace of the first entry it took, under its producer.
    expect([round!.spanContext().traceId, parentOf(round!)]).toEqual([
      commit.traceId,
      commit.spanId,
    ]);
    expect(sends.map((s) => [s.kind, s.spanContext().traceId, parentOf(s)])).toEqual([
      [Kind.PRODUCER, commit.traceId, commit.spanId],
      [Kind.PRODUCER, commit.traceId, commit.spanId],
    ]);
    // Each stanza names its own span as the far side's parent.
    const carried = out.stanzas.map((s) => takeTrace(s)?.traceparent);
    expect(carried).toEqual(sends.map((s) => `00-${commit.traceId}-${s.spanContext().spanId}-01`));
    await d.close();
  });

  it("carries nothing to a peer that does not take trace context, yet traces the round", async () => {
    const space = spaces.space();
    await space.linkState("up", { session: "s1", rx: 0 });
    await produced(space, numbered(1));
    const { out, d } = await deliver(space);
    expect(out.stanzas.map((s) => s.toString())).not.toContain("traceparent");
    expect(out.stanzas.every((s) => takeTrace(s) === undefined)).toBe(true);
    expect(named("send xmpp")).toHaveLength(1);
    await d.close();
  });

  it("a round sending again what the peer lacks is one resync span, linked to what it resent", async () => {
    const space = spaces.space();
    await space.linkState("up", { session: "s1", rx: 0, traces: true });
    const commit = await produced(space, numbered(3));
    const { out, d } = await deliver(space);
    const first = out.stanzas.map((s) => s.toString());
    exporter.reset();
    const { done } = await space.listen(`${LINK.room} `);
    await d.acknowledged(LINK, { session: "s1", n: 1, resend: true });
    await done;
    const [resync] = named("process fmuc-links");
    expect(resync!.attributes).toMatchObject({
      "fedmuc.link.resent": 2,
      "fedmuc.link.sent": 0,
      "fedmuc.link.resync": true,
    });
    expect(resync!.links.every((l) => l.context.traceId === commit.traceId)).toBe(true);
    expect(resync!.links).toHaveLength(2);
    // The copies carry the context the first sending did.
    const again = out.stanzas.slice(3).map((s) => takeTrace(s)?.traceparent);
    expect(again).toEqual(first.slice(1).map((s) => /traceparent="([^"]+)"/.exec(s)![1]));
    await d.close();
  });

  it("a round that finds nothing to send leaves no span", async () => {
    const space = spaces.space();
    await space.linkState("up", { session: "s1", rx: 0, traces: true });
    const { d } = await deliver(space);
    expect(named("process fmuc-links")).toEqual([]);
    await d.close();
  });
});
