// Tracing across sites (README.md "Operations", libs/fmuc-core/README.md "Trace context"): a hub
// and a spoke over real S2S, each exporting its spans to a real OTLP receiver (the hub in
// http/json, the spoke in http/protobuf). A message is one trace across both services, the link
// job that carried it included; so is the answer to a join; a resync after a cut is one span. A
// second spoke service with tracing off exports nothing and is sent no trace context; a third,
// which samples none of the traces it begins, continues those the hub sampled (parent-based); a
// plain XEP-0289 node is sent no trace context either, and trace context forged by a client or a
// stranger is ignored.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRawComponent, receivedBy, type RawComponent } from "../harness/component.js";
import { xml, type TestClient } from "../harness/client.js";
import {
  createRoom,
  groupchatBody,
  join,
  presenceFrom,
  seen,
  type Element,
} from "../harness/muc.js";
import {
  CHAT,
  FMUC,
  ROOMS,
  TALK,
  startFederatedSites,
  type FederatedSites,
} from "../harness/fmuc.js";
import { OtlpReceiver, type ReceivedSpan } from "../harness/otlp-receiver.js";
import { renderTrace } from "../harness/trace-tree.js";
import {
  childrenOf,
  hasEvent,
  named,
  spanWhere,
  stanzaSpan,
  traceWith,
} from "../harness/traces.js";
import { waitForLog } from "../harness/service.js";

const HUB_ROOM = `court@${ROOMS.domain}`;
const SPOKE_ROOM = `court@${TALK.domain}`;
const OFF_ROOM = `court@${CHAT.domain}`;
const SEA = { domain: "sea.denmark.lit", secret: "sea-secret" };
const SEA_ROOM = `court@${SEA.domain}`;
const FORGE = { domain: "forge.denmark.lit", secret: "forge-secret" };
const EVIL = { domain: "evil.denmark.lit", secret: "evil-secret" };
// Short: the cut below heals in seconds, and a loaded machine has joins sent again while their
// answers are on their way (which once left the hub's occupants out of a spoke's room).
const TIMERS = { FMUC_JOIN_TIMEOUT_MS: "1500", FMUC_RETRY_MAX_MS: "1000" };
// A message across S2S, as the other suites allow it on a busy machine (a lost stanza comes
// again only after the session's 30 s acknowledgement timeout: that would still fail).
const CROSSING_MS = 20_000;
const FORGED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const forgedTrace = () => xml("trace", { xmlns: "urn:fedmuc:fmuc:0", traceparent: FORGED });

let receiver: OtlpReceiver;
let bed: FederatedSites<"alice" | "hatter" | "hamlet" | "ophelia" | "yorick">;
let alice: TestClient, hatter: TestClient, hamlet: TestClient, ophelia: TestClient;
let yorick: TestClient;
let forge: RawComponent, evil: RawComponent;

const traced = (service: string, protocol: string) => ({
  OTEL_TRACES_EXPORTER: "otlp",
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_SERVICE_NAME: service,
  OTEL_BSP_SCHEDULE_DELAY: "50",
});

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  bed = await startFederatedSites({
    hub: {
      users: ["alice", "hatter"],
      services: [
        {
          component: ROOMS,
          env: {
            ...TIMERS,
            ...traced("fedmuc-hub", "http/json"),
            FMUC_ALLOW: `${TALK.domain},${CHAT.domain},${SEA.domain},${FORGE.domain}`,
          },
        },
      ],
    },
    spoke: {
      users: ["hamlet", "ophelia", "yorick"],
      services: [
        {
          component: TALK,
          env: {
            ...TIMERS,
            ...traced("fedmuc-spoke", "http/protobuf"),
            FMUC_UPSTREAM: ROOMS.domain,
          },
        },
        {
          // Tracing off, though an endpoint is set: nothing may reach the receiver from it.
          component: CHAT,
          env: {
            ...TIMERS,
            ...traced("fedmuc-off", "http/json"),
            OTEL_TRACES_EXPORTER: "none",
            FMUC_UPSTREAM: ROOMS.domain,
          },
        },
        {
          // Samples none of the traces it begins; continues those sampled where they began.
          component: SEA,
          env: {
            ...TIMERS,
            ...traced("fedmuc-unsampled", "http/protobuf"),
            OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
            OTEL_TRACES_SAMPLER_ARG: "0",
            FMUC_UPSTREAM: ROOMS.domain,
          },
        },
      ],
      components: [FORGE, EVIL],
    },
  });
  const port = bed.sites.spoke.componentPort;
  [forge, evil] = await Promise.all([
    connectRawComponent({ port, ...FORGE }),
    connectRawComponent({ port, ...EVIL }),
  ]);
  ({ alice, hatter, hamlet, ophelia, yorick } = await bed.connectUsers());
  await createRoom(alice, HUB_ROOM, "Alice");
  await join(hatter, HUB_ROOM, "Hatter");
  await join(hamlet, SPOKE_ROOM, "Hamlet");
  await join(ophelia, OFF_ROOM, "Ophelia");
  await join(yorick, SEA_ROOM, "Yorick");
  await seen(alice, presenceFrom(`${HUB_ROOM}/Hamlet`), 15_000);
  await seen(alice, presenceFrom(`${HUB_ROOM}/Ophelia`), 15_000);
  await seen(alice, presenceFrom(`${HUB_ROOM}/Yorick`), 15_000);
  await seen(hamlet, presenceFrom(`${SPOKE_ROOM}/Alice`), 15_000); // the link is up
  // The spoke learns that the hub takes trace context from its room's disco#info, asked for once
  // joined (until then its stanzas go without).
  await spanWhere(receiver, stanzaSpan("fedmuc-spoke", "fmuc-config"));
}, 120_000);

afterAll(async () => {
  await Promise.all([forge?.close(), evil?.close()]);
  await bed?.stop();
  await receiver?.stop();
});

let ids = 0;
/** Sends a groupchat message with an id of its own: the id its spans are found by. */
async function say(client: TestClient, room: string, body: string, ...more: Element[]) {
  const id = `traced-${++ids}`;
  await client.send(
    xml("message", { to: room, type: "groupchat", id }, xml("body", {}, body), ...more),
  );
  return id;
}

const CARRIES_TRACE = /<trace\b[^>]*urn:fedmuc:fmuc:0/;
const anyTraceElement = (...clients: TestClient[]) =>
  clients.flatMap((c) => c.received).filter((el) => CARRIES_TRACE.test(el.toString()));

const only = (trace: ReceivedSpan[], test: (s: ReceivedSpan) => boolean) => {
  const found = trace.filter(test);
  expect(found, renderTrace(trace)).toHaveLength(1);
  return found[0]!;
};

describe("tracing within one site", () => {
  it("a message in a room that does not federate: the stanza, its room's decision, commit and sending", async () => {
    const TEA = `tea@${ROOMS.domain}`;
    await createRoom(alice, TEA, "Alice");
    await join(hatter, TEA, "Hatter");
    const id = await say(alice, TEA, "Tea for two");
    await hatter.waitFor(groupchatBody("Tea for two"));
    const span = await spanWhere(receiver, stanzaSpan("fedmuc-hub", id));
    const trace = await traceWith(receiver, span.traceId, [
      named("fedmuc-hub", "fedmuc.room.send"),
    ]);
    expect(span.attributes).toMatchObject({
      "xmpp.stanza": "message",
      "xmpp.type": "groupchat",
      "fedmuc.room": TEA,
      "fedmuc.decision": "message",
      "fedmuc.fanout.occupants": 2,
      "fedmuc.fanout.links": 0,
      "fedmuc.commit.attempts": 1,
    });
    const steps = childrenOf(trace, span).map((s) => [s.name, s.kind]);
    expect(steps).toEqual(
      expect.arrayContaining([
        ["fedmuc.room.decide", "internal"],
        ["fedmuc.room.commit", "client"], // no link traffic: no producer
        ["fedmuc.room.send", "internal"],
      ]),
    );
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(["fedmuc-hub"]));
  });
});

describe("tracing across a link between two sites", () => {
  it("a message from a spoke user to hub users is one trace: the spoke's handling and link job, then the hub's", async () => {
    const id = await say(hamlet, SPOKE_ROOM, "Across the water");
    await Promise.all(
      [alice, hatter].map((c) => c.waitFor(groupchatBody("Across the water"), CROSSING_MS)),
    );
    const origin = await spanWhere(receiver, stanzaSpan("fedmuc-spoke", id));
    const hubHandled = named("fedmuc-hub", "fedmuc.stanza", (s) => s.parentSpanId !== undefined);
    const trace = await traceWith(receiver, origin.traceId, [
      hubHandled,
      named("fedmuc-hub", "fedmuc.room.send"),
      named("fedmuc-spoke", "process fmuc-links"),
    ]);
    console.info(`[trace] a message from the spoke to the hub:\n${renderTrace(trace)}`);

    // The spoke: the stanza (a root: a client sent it), its commit producing the link's entry.
    expect([origin.kind, origin.parentSpanId]).toEqual(["server", undefined]);
    expect(origin.attributes).toMatchObject({
      "fedmuc.room": SPOKE_ROOM,
      "fedmuc.decision": "message",
      "fedmuc.fanout.links": 1,
    });
    const commit = only(
      trace,
      named("fedmuc-spoke", "fedmuc.room.commit", (s) => s.kind === "producer"),
    );
    expect(commit.parentSpanId).toBe(origin.spanId);
    expect(commit.attributes["messaging.destination.name"]).toBe("fmuc-links");
    // The link job: its round consumes the entry, and the stanza to the hub is sent from it.
    const [round] = childrenOf(trace, commit).filter((s) => s.name === "process fmuc-links");
    expect(round?.kind).toBe("consumer");
    expect(round?.links.map((l) => l.spanId)).toContain(commit.spanId);
    const sent = only(trace, named("fedmuc-spoke", "send xmpp"));
    expect(sent).toMatchObject({ kind: "producer", parentSpanId: commit.spanId });
    expect(sent.attributes["messaging.destination.name"]).toBe(HUB_ROOM);
    expect(sent.links.map((l) => l.spanId)).toEqual([round!.spanId]);
    // The hub continues the trace: its handling is the child of the spoke's send.
    const hub = only(trace, hubHandled);
    expect(hub).toMatchObject({ kind: "server", parentSpanId: sent.spanId });
    expect(hub.attributes).toMatchObject({
      "fedmuc.room": HUB_ROOM,
      "fedmuc.decision": "message",
      "fedmuc.link": true,
    });
    expect(hub.attributes["fedmuc.fanout.occupants"]).toBeGreaterThanOrEqual(2); // Alice, Hatter
    expect(anyTraceElement(alice, hatter, hamlet, ophelia)).toEqual([]);
  });

  it("a message from the hub crosses to the spoke in one trace the other way", async () => {
    const id = await say(alice, HUB_ROOM, "Back over");
    await hamlet.waitFor(groupchatBody("Back over"), CROSSING_MS);
    const origin = await spanWhere(receiver, stanzaSpan("fedmuc-hub", id));
    const spokeHandled = named("fedmuc-spoke", "fedmuc.stanza");
    const trace = await traceWith(receiver, origin.traceId, [spokeHandled]);
    const sent = only(
      trace,
      named(
        "fedmuc-hub",
        "send xmpp",
        (s) => s.attributes["messaging.destination.name"] === SPOKE_ROOM,
      ),
    );
    expect(only(trace, spokeHandled).parentSpanId).toBe(sent.spanId);
    // The link to the untraced service carried the message too, but no context: it has no span.
    expect(trace.filter((s) => s.service === "fedmuc-off")).toEqual([]);
  });

  it("a join: the spoke's arrival sets the link joining; the hub's answer continues at the spoke, where the link comes up", async () => {
    const joining = await spanWhere(
      receiver,
      (s) =>
        named("fedmuc-spoke", "fedmuc.stanza")(s) &&
        s.attributes["fedmuc.decision"] === "entered" &&
        hasEvent("fedmuc.link.state", { "fedmuc.link.peer": HUB_ROOM, to: "joining" })(s),
    );
    expect(joining.attributes["fedmuc.room"]).toBe(SPOKE_ROOM);
    const accepted = await spanWhere(
      receiver,
      (s) =>
        named("fedmuc-hub", "fedmuc.stanza")(s) &&
        hasEvent("fedmuc.link.state", { "fedmuc.link.peer": SPOKE_ROOM, to: "up" })(s),
    );
    const upAtSpoke = named(
      "fedmuc-spoke",
      "fedmuc.stanza",
      hasEvent("fedmuc.link.state", { "fedmuc.link.peer": HUB_ROOM, to: "up" }),
    );
    const trace = await traceWith(receiver, accepted.traceId, [upAtSpoke]);
    console.info(`[trace] the hub accepting the spoke's join:\n${renderTrace(trace)}`);
    const up = only(trace, upAtSpoke);
    expect(trace.find((s) => s.spanId === up.parentSpanId)?.service).toBe("fedmuc-hub");
    // The log line of the link's change, written inside the hub's span, leads to this trace.
    const logged = readFileSync(bed.hub.logFile, "utf8")
      .split("\n")
      .filter((line) => line.includes('"msg":"federation link up"'))
      .map((line) => JSON.parse(line) as Record<string, string>)
      .find((line) => line.room === HUB_ROOM && line.peer === SPOKE_ROOM);
    expect(logged).toMatchObject({ trace_id: accepted.traceId, span_id: accepted.spanId });
  });

  it("a resync after a cut link is one span with what it sent, linked to each message's trace", async () => {
    const { shaper } = bed.sites;
    await shaper.cut();
    const down = waitForLog(bed.spoke.logFile, "federation link down", 30_000);
    const ids = [];
    for (const text of ["While cut 1", "While cut 2", "While cut 3"])
      ids.push(await say(hamlet, SPOKE_ROOM, text));
    await down;
    await shaper.restore();
    for (const text of ["While cut 1", "While cut 2", "While cut 3"])
      await alice.waitFor(groupchatBody(text), 60_000);
    const origins = await Promise.all(
      ids.map((id) => spanWhere(receiver, stanzaSpan("fedmuc-spoke", id))),
    );
    const resync = await spanWhere(
      receiver,
      (s) =>
        named("fedmuc-spoke", "process fmuc-links")(s) &&
        s.attributes["fedmuc.link.resync"] === true &&
        origins.every((o) => s.links.some((l) => l.traceId === o.traceId)),
    );
    const sentAgain =
      Number(resync.attributes["fedmuc.link.sent"]) +
      Number(resync.attributes["fedmuc.link.resent"]);
    expect(sentAgain).toBeGreaterThanOrEqual(3);
    expect(resync.attributes["messaging.batch.message_count"]).toBe(sentAgain);
  });
});

describe("trace context goes only where it is taken, and comes only from FMUC peers", () => {
  it("a plain XEP-0289 node (no trace offer) gets the hub's messages without trace context", async () => {
    const node = `court@${FORGE.domain}`;
    forge.socket.write(
      `<presence from='${node}/Puck' to='${HUB_ROOM}/Puck'><fmuc xmlns='${FMUC}' from='puck@${FORGE.domain}/wood'/>` +
        `<x xmlns='http://jabber.org/protocol/muc'/></presence>`,
    );
    await receivedBy(forge, new RegExp(`from=["']${HUB_ROOM}/Puck["']`));
    await say(alice, HUB_ROOM, "To the plain node");
    await receivedBy(forge, "To the plain node");
    expect(forge.transcript()).not.toMatch(CARRIES_TRACE);
  });

  it("trace context forged by a client is dropped: the message is traced on its own and reaches nobody with it", async () => {
    const id = await say(hatter, HUB_ROOM, "Forged by a client", forgedTrace());
    await Promise.all(
      [alice, hamlet].map((c) => c.waitFor(groupchatBody("Forged by a client"), CROSSING_MS)),
    );
    const span = await spanWhere(receiver, stanzaSpan("fedmuc-hub", id));
    expect(span.parentSpanId).toBeUndefined();
    expect(span.traceId).not.toBe(FORGED.split("-")[1]);
    expect(anyTraceElement(alice, hatter, hamlet, ophelia)).toEqual([]);
  });

  it("trace context forged by a room that may not federate here is dropped", async () => {
    const id = "evil-1";
    evil.socket.write(
      `<presence from='court@${EVIL.domain}/Imp' to='${HUB_ROOM}/Imp' id='${id}'>` +
        `<x xmlns='http://jabber.org/protocol/muc'/><trace xmlns='urn:fedmuc:fmuc:0' traceparent='${FORGED}'/></presence>`,
    );
    const span = await spanWhere(receiver, stanzaSpan("fedmuc-hub", id));
    expect(span.parentSpanId).toBeUndefined();
    expect(receiver.spansOf(FORGED.split("-")[1]!)).toEqual([]);
    await seen(alice, presenceFrom(`${HUB_ROOM}/Imp`), CROSSING_MS);
    expect(anyTraceElement(alice)).toEqual([]);
  });

  it("a trace sampled at the hub stays sampled at a spoke that samples none of its own", async () => {
    const own = await say(yorick, SEA_ROOM, "Alas");
    await alice.waitFor(groupchatBody("Alas"), CROSSING_MS);
    const id = await say(alice, HUB_ROOM, "Sampled at the hub");
    await yorick.waitFor(groupchatBody("Sampled at the hub"), CROSSING_MS);
    const origin = await spanWhere(receiver, stanzaSpan("fedmuc-hub", id));
    const continued = named("fedmuc-unsampled", "fedmuc.stanza");
    const trace = await traceWith(receiver, origin.traceId, [continued]);
    expect(trace.find(continued)?.parentSpanId).toBeDefined();
    // Its own message began a trace it did not sample: once it has stopped (and flushed), that
    // one is nowhere, nor any span of its own making.
    await bed.services.spoke[2]!.stop();
    expect(receiver.spans.filter(stanzaSpan("fedmuc-unsampled", own))).toEqual([]);
    const roots = receiver.spans.filter((s) => s.service === "fedmuc-unsampled" && !s.parentSpanId);
    expect(roots).toEqual([]);
  });

  it("a service with tracing off exports nothing, though it chatted across the link", async () => {
    await say(ophelia, OFF_ROOM, "Untraced");
    await alice.waitFor(groupchatBody("Untraced"), CROSSING_MS);
    const off = bed.services.spoke[1]!;
    await off.stop(); // a service flushes its spans as it stops: this one has none
    expect(receiver.spans.filter((s) => s.service === "fedmuc-off")).toEqual([]);
    expect(receiver.requests.length).toBeGreaterThan(0); // the others did export
  });
});
