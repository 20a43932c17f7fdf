// A drain hands a stanza over, traced across two workers of one service. The draining worker sits
// on a fake component server, which routes it a groupchat message after it closed its stream (as
// ejabberd may); it hands the message through Redis to the staying worker, on Prosody, under a
// "fedmuc.handoff" producer span, and the staying worker handles it in the same trace, as a child
// of that span. A trace context that a client forges starts no such continuation.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectUser, testAccounts } from "../harness/client.js";
import { FakeComponentServer } from "../harness/fake-component-server.js";
import { createRoom, groupchatBody, nextId, xml, type TestClient } from "../harness/muc.js";
import { OtlpReceiver, type ReceivedSpan } from "../harness/otlp-receiver.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { startService, type ServiceHandle } from "../harness/service.js";

const SERVICE = { domain: "rooms.localhost", secret: "tracing-drain" };
const FEDMUC = "urn:fedmuc:fmuc:0";
const DRAINING = "fedmuc-draining";
const STAYING = "fedmuc-staying";

let receiver: OtlpReceiver;
let redis: RedisHandle;
let prosody: ProsodyHandle;
let fake: FakeComponentServer;
let draining: ServiceHandle;
let alice: TestClient;
/** The workers still to stop in afterAll. */
const running = new Set<ServiceHandle>();

async function startWorker(componentPort: number, serviceName: string, keyPrefix: string) {
  const worker = await startService({
    componentPort,
    ...SERVICE,
    redis,
    keyPrefix,
    env: {
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "50",
      OTEL_SERVICE_NAME: serviceName,
    },
  });
  running.add(worker);
  return worker;
}

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  redis = await startRedis();
  prosody = await startProsody({ components: [SERVICE], users: testAccounts(["alice"]) });
  fake = await FakeComponentServer.start(SERVICE);
  const keyPrefix = uniquePrefix();
  [draining] = await Promise.all([
    startWorker(fake.port, DRAINING, keyPrefix),
    startWorker(prosody.componentPort, STAYING, keyPrefix),
  ]);
  alice = await connectUser(prosody, "alice");
}, 120_000);

afterAll(async () => {
  await alice?.stop();
  await Promise.all([...running].map((w) => w.stop()));
  await fake?.stop();
  await prosody?.stop();
  await redis?.stop();
  await receiver?.stop();
});

/** The "fedmuc.stanza" span in which `service` handled a groupchat message to `room`. */
const groupchatSpan = (service: string, room: string) => (spans: readonly ReceivedSpan[]) =>
  spans.find(
    (s) =>
      s.name === "fedmuc.stanza" &&
      s.service === service &&
      s.attributes["xmpp.type"] === "groupchat" &&
      s.attributes["fedmuc.room"] === room,
  );

/** What the worker's component logged when its stream closed. */
function closeReport(log: string): Record<string, unknown> | undefined {
  const line = log.split("\n").find((l) => l.includes('"msg":"component stream closed"'));
  return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
}

describe("a drain traced across two workers", () => {
  it("hands a stanza read after the close to the other worker, in the same trace", async () => {
    const room = `handed@${SERVICE.domain}`;
    await createRoom(alice, room, "Alice");
    const body = `handed over ${nextId()}`;
    const late = { from: alice.jid, to: room, type: "groupchat", id: nextId("late") };
    fake.beforeClose = xml("message", late, xml("body", {}, body)).toString();
    running.delete(draining);
    await draining.stop(); // SIGTERM: drains, flushes its spans, exits
    expect((await draining.process.exited).code).toBe(0);
    expect(closeReport(draining.finalLog)).toMatchObject({
      stanzasHandedOff: 1,
      stanzasDropped: 0,
    });

    const got = await alice.waitFor(groupchatBody(body));
    expect(got.toString()).not.toContain("traceparent");
    const handoff = await receiver.waitFor((spans) =>
      spans.find((s) => s.name === "fedmuc.handoff" && s.service === DRAINING),
    );
    expect(handoff.kind).toBe("producer");
    const handled = await receiver.waitFor(groupchatSpan(STAYING, room));
    expect(handled).toMatchObject({
      kind: "server",
      traceId: handoff.traceId,
      parentSpanId: handoff.spanId,
    });
  });

  it("ignores a trace context that a client sends", async () => {
    const room = `forged@${SERVICE.domain}`;
    await createRoom(alice, room, "Alice");
    const forged = `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
    const forgedTrace = forged.split("-")[1]!;
    const body = `forged ${nextId()}`;
    await alice.send(
      xml(
        "message",
        { to: room, type: "groupchat", id: nextId("forged") },
        xml("body", {}, body),
        xml("trace", { xmlns: FEDMUC, traceparent: forged }),
      ),
    );
    const got = await alice.waitFor(groupchatBody(body));
    expect(got.toString()).not.toContain("traceparent");
    const handled = await receiver.waitFor(groupchatSpan(STAYING, room));
    expect(handled.traceId).not.toBe(forgedTrace);
    expect(handled.parentSpanId).toBeUndefined();
    // A span ends after its children and one exporter sends them in that order: every span of
    // the handling has arrived with it.
    expect(receiver.spansOf(forgedTrace)).toEqual([]);
  });
});
