import { describe, expect, it } from "vitest";
import type { ReceivedSpan } from "./otlp-receiver.js";
import { renderTrace } from "./trace-tree.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const T0 = 1_700_000_000_000_000_000n;
const at = (ms: number): bigint => T0 + BigInt(Math.round(ms * 1e6));

function span(
  spanId: string,
  name: string,
  [start, end]: [number, number],
  more: Partial<ReceivedSpan> = {},
): ReceivedSpan {
  return {
    traceId: TRACE,
    spanId: spanId.padStart(16, "0"),
    name,
    kind: "internal",
    service: "muc-hub",
    resource: {},
    startNs: at(start),
    endNs: at(end),
    attributes: {},
    events: [],
    links: [],
    status: "unset",
    scope: "fedmuc",
    ...more,
    ...(more.parentSpanId ? { parentSpanId: more.parentSpanId.padStart(16, "0") } : {}),
  };
}

const link = (spanId: string) => ({
  traceId: TRACE,
  spanId: spanId.padStart(16, "0"),
  attributes: {},
});

// A groupchat message at the hub, sent over the link and delivered at the spoke; given out of order.
const SPANS: ReceivedSpan[] = [
  span("d", "link.receive", [8, 11.25], {
    parentSpanId: "c",
    kind: "consumer",
    service: "muc-spoke",
    attributes: { "messaging.destination.name": "denmark.lit", "fedmuc.link.peer": "wonderland" },
  }),
  span("c", "link.send", [3.2, 4], {
    parentSpanId: "a",
    kind: "producer",
    attributes: { "messaging.destination.name": "denmark.lit", "fedmuc.mutations": ["message"] },
  }),
  span("e", "room.fanout", [9, 10.5], {
    parentSpanId: "d",
    service: "muc-spoke",
    links: [link("b"), link("ffff")],
    status: "error",
  }),
  span("b", "room.commit", [0.5, 2.125], {
    parentSpanId: "a",
    attributes: { "fedmuc.room": "lobby@rooms.wonderland.lit" },
  }),
  span("a", "stanza.handle", [0, 12.34], {
    kind: "server",
    attributes: { "xmpp.stanza": "message", "fedmuc.room": "lobby@rooms.wonderland.lit" },
  }),
];

describe("renderTrace", () => {
  it("draws children under their parent, siblings by start, with services and links", () => {
    expect(renderTrace(SPANS).split("\n")).toEqual([
      `trace ${TRACE} · 5 spans · 12.3 ms`,
      "stanza.handle server [muc-hub] 12.3 ms +0.00 ms fedmuc.room=lobby@rooms.wonderland.lit xmpp.stanza=message",
      "├─ room.commit internal [muc-hub] 1.63 ms +0.50 ms fedmuc.room=lobby@rooms.wonderland.lit",
      "└─ link.send producer [muc-hub] 0.80 ms +3.20 ms messaging.destination.name=denmark.lit",
      "   └─ link.receive consumer [muc-spoke] 3.25 ms +8.00 ms messaging.destination.name=denmark.lit fedmuc.link.peer=wonderland",
      "      └─ room.fanout internal [muc-spoke] 1.50 ms +9.00 ms ✗ error",
      "            ↳ links: room.commit, 000000000000ffff",
    ]);
  });

  it("makes roots of spans whose parent is missing, and says so", () => {
    const lines = renderTrace(SPANS.filter((s) => s.name !== "link.send")).split("\n");
    expect(lines.slice(1).map((line) => line.split(" [")[0])).toEqual([
      "stanza.handle server",
      "└─ room.commit internal",
      "link.receive consumer",
      "└─ room.fanout internal",
      "      ↳ links: room.commit, 000000000000ffff",
    ]);
    expect(lines[3]).toMatch(/ \(parent 000000000000000c missing\)$/);
  });

  it("keeps a link line under a span with children on the tree's vertical line", () => {
    const spans = [
      span("a", "link.flush", [0, 5], { links: [link("b")] }),
      span("b", "link.ask", [1, 2], { parentSpanId: "a" }),
    ];
    expect(renderTrace(spans).split("\n").slice(1)).toEqual([
      "link.flush internal [muc-hub] 5.00 ms +0.00 ms",
      "│  ↳ links: link.ask",
      "└─ link.ask internal [muc-hub] 1.00 ms +1.00 ms",
    ]);
  });

  it("shortens long values and shows every span of a parent cycle once", () => {
    const long = "x".repeat(60);
    const spans = [
      span("a", "one", [0, 1], { parentSpanId: "b", attributes: { "xmpp.stanza": long } }),
      span("b", "two", [0.5, 1], { parentSpanId: "a" }),
    ];
    const lines = renderTrace(spans).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(`one internal [muc-hub] 1.00 ms +0.00 ms xmpp.stanza=${"x".repeat(39)}…`);
    expect(lines[2]).toMatch(/^└─ two /);
  });

  it("says when there is nothing", () => {
    expect(renderTrace([])).toBe("(no spans)");
  });
});
