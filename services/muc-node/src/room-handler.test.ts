// The shell around the rules against a real Redis: workers with their own caches share rooms.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SpanKind as Kind, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { DEFAULT_CONFIG } from "@fedmuc/muc-core";
import { LinkOutbox } from "@fedmuc/link-engine";
import { RoomStore } from "@fedmuc/room-store";
import { decodeCarrier, withSpan } from "@fedmuc/telemetry";
import { NS, parse, type Element } from "@fedmuc/xmpp";
import { uniquePrefix } from "../../../test/harness/redis.js";
import { redisPerFile } from "../../../test/harness/redis-per-file.js";
import { RoomHandler } from "./room-handler.js";

const ROOM = "coven@chat.shakespeare.lit";
const redis = redisPerFile();

/** `n` workers sharing one key space, each with its own snapshot cache and outbox. */
function workers(n: number, prefix = uniquePrefix()) {
  return Array.from({ length: n }, () => {
    const sent: Element[] = [];
    const store = new RoomStore(redis.client, { prefix, defaults: DEFAULT_CONFIG });
    const handler = new RoomHandler(store, async (el) => void sent.push(el), {
      defaults: DEFAULT_CONFIG,
      maxBodyChars: 1000,
    });
    return { handler, sent, store };
  });
}

const join = (jid: string, nick: string) =>
  parse(`<presence from="${jid}" to="${ROOM}/${nick}"><x xmlns="${NS.muc}"/></presence>`);
const instant = (jid: string) =>
  parse(
    `<iq from="${jid}" to="${ROOM}" type="set" id="c"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="submit"/></query></iq>`,
  );
/** Creates the room as an instant room owned by owner@s/1. */
async function created(handler: RoomHandler): Promise<void> {
  await handler.handle(ROOM, join("owner@s/1", "owner"));
  await handler.handle(ROOM, instant("owner@s/1"));
}
const say = (jid: string, text: string) =>
  parse(`<message from="${jid}" to="${ROOM}" type="groupchat"><body>${text}</body></message>`);
const isError = (el: Element) => el.attrs.type === "error";

describe("RoomHandler", () => {
  it("admits exactly one of two workers joining the same nick at the same instant", async () => {
    const [a, b] = workers(2);
    await created(a!.handler);
    await Promise.all([
      a!.handler.handle(ROOM, join("x@s/1", "same")),
      b!.handler.handle(ROOM, join("y@s/1", "same")),
    ]);
    const errors = [...a!.sent, ...b!.sent].filter(isError);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.getChild("error")!.getChild("conflict", NS.stanzas)).toBeDefined();
    expect(Object.keys((await a!.store.load(ROOM)).occupants).sort()).toEqual(["owner", "same"]);
  });

  it("decides on fresh state when another worker changed the room since its cached snapshot", async () => {
    const [a, b] = workers(2);
    await created(a!.handler); // a caches the room with its owner
    await a!.handler.handle(ROOM, join("x@s/1", "first"));
    await b!.handler.handle(ROOM, join("y@s/1", "second")); // b adds a second occupant
    await a!.handler.handle(ROOM, say("y@s/1", "hi")); // a must not refuse the newcomer
    const delivered = a!.sent
      .filter((el) => el.getChildText("body") === "hi")
      .map((el) => el.attrs.to);
    expect(delivered.sort()).toEqual(["owner@s/1", "x@s/1", "y@s/1"]);
  });

  it("never loses a join when many workers add occupants concurrently", async () => {
    const ws = workers(4);
    await created(ws[0]!.handler);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        ws[i % 4]!.handler.handle(ROOM, join(`u${i}@s/r`, `n${i}`)),
      ),
    );
    const room = await ws[0]!.store.load(ROOM);
    expect(Object.keys(room.occupants)).toHaveLength(41);
  });

  it("never loses an update when two workers change the configuration, kick and see leaves at once", async () => {
    const [a, b] = workers(2);
    await created(a!.handler);
    for (let i = 0; i < 10; i++) await a!.handler.handle(ROOM, join(`u${i}@s/r`, `n${i}`));
    const form = (id: string, field: string, value: string) =>
      parse(
        `<iq from="owner@s/1" to="${ROOM}" type="set" id="${id}"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var="muc#roomconfig_${field}"><value>${value}</value></field></x></query></iq>`,
      );
    const kick = (nick: string) =>
      parse(
        `<iq from="owner@s/1" to="${ROOM}" type="set" id="kick-${nick}"><query xmlns="${NS.mucAdmin}"><item nick="${nick}" role="none"/></query></iq>`,
      );
    const leave = (i: number) =>
      parse(`<presence from="u${i}@s/r" to="${ROOM}/n${i}" type="unavailable"/>`);
    const on = (i: number) => (i % 2 === 0 ? a! : b!).handler;
    await Promise.all([
      a!.handler.handle(ROOM, form("name", "roomname", "Named by a")),
      b!.handler.handle(ROOM, form("desc", "roomdesc", "Described by b")),
      ...[0, 1, 2, 3].map((i) => on(i).handle(ROOM, kick(`n${i}`))),
      ...[4, 5, 6, 7].map((i) => on(i).handle(ROOM, leave(i))),
    ]);
    expect([...a!.sent, ...b!.sent].filter(isError)).toEqual([]);
    const room = await b!.store.load(ROOM);
    expect(room.config).toMatchObject({ name: "Named by a", description: "Described by b" });
    expect(Object.keys(room.occupants).sort()).toEqual(["n8", "n9", "owner"]);
  });

  it("sends a newcomer only the history committed before its join", async () => {
    const [a] = workers(1);
    await created(a!.handler);
    await a!.handler.handle(ROOM, say("owner@s/1", "before"));
    a!.sent.length = 0;
    await a!.handler.handle(ROOM, join("y@s/1", "second"));
    const toNewcomer = a!.sent
      .filter((el) => el.attrs.to === "y@s/1")
      .map((el) => el.name + (el.getChildText("body") ?? ""));
    expect(toNewcomer).toEqual(["presence", "presence", "messagebefore", "message"]);
    const history = a!.sent.find((el) => el.getChildText("body") === "before")!;
    expect(history.getChild("delay", NS.delay)).toBeDefined();
  });

  it("counts maxchars on the history stanzas as sent, with their 'to' and delay (7.2.15)", async () => {
    const [a] = workers(1);
    await created(a!.handler);
    for (const text of ["one", "two"]) await a!.handler.handle(ROOM, say("owner@s/1", text));
    a!.sent.length = 0;
    await a!.handler.handle(ROOM, join("y@s/1", "all"));
    const sent = a!.sent.find((el) => el.getChildText("body") === "two")!.toString().length;
    a!.sent.length = 0;
    const limited = `<history maxchars="${Math.floor(sent * 1.5)}"/>`;
    await a!.handler.handle(
      ROOM,
      parse(
        `<presence from="z@s/1" to="${ROOM}/some"><x xmlns="${NS.muc}">${limited}</x></presence>`,
      ),
    );
    const bodies = a!.sent
      .filter((el) => el.attrs.to === "z@s/1")
      .map((el) => el.getChildText("body"));
    expect(bodies.filter(Boolean)).toEqual(["two"]);
  });
});

describe("RoomHandler, traced", () => {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  });
  afterAll(() => trace.disable());
  beforeEach(() => exporter.reset());
  const spans = () => exporter.getFinishedSpans();
  const under = (name: string) => {
    const parent = spans().find((s) => s.name === name)!;
    const children = spans().filter(
      (s) => s.parentSpanContext?.spanId === parent.spanContext().spanId,
    );
    return { parent, children };
  };
  const stanza = (handler: RoomHandler, el: Element) =>
    withSpan("stanza", {}, () => handler.handle(ROOM, el));

  it("shows the room's load, the decision, the commit and the sending under the stanza's span", async () => {
    const [a] = workers(1);
    await created(a!.handler);
    exporter.reset();
    a!.handler = new RoomHandler(a!.store, async () => {}, {
      defaults: DEFAULT_CONFIG,
      maxBodyChars: 1000,
    }); // a cold cache: the room is read
    await stanza(a!.handler, join("x@s/1", "newt"));
    const { parent, children } = under("stanza");
    expect(children.map((s) => [s.name, s.kind])).toEqual([
      ["fedmuc.room.load", Kind.CLIENT],
      ["fedmuc.room.decide", Kind.INTERNAL],
      ["fedmuc.room.commit", Kind.CLIENT],
      ["fedmuc.room.send", Kind.INTERNAL],
    ]);
    expect(children[0]!.attributes["db.system.name"]).toBe("redis");
    expect(children[2]!.attributes["fedmuc.commit.committed"]).toBe(true);
    expect(parent.attributes).toMatchObject({
      "fedmuc.room": ROOM,
      "fedmuc.room.cached": false,
      "fedmuc.decision": "entered",
      "fedmuc.fanout.occupants": 4, // the owner to the newcomer, its own presence and subject, it to the owner
      "fedmuc.commit.attempts": 1,
    });
  });

  it("a version conflict shows: a commit refused, an event, and the retry that committed", async () => {
    const prefix = uniquePrefix();
    const [a, b] = workers(2, prefix);
    await created(a!.handler); // a caches the room
    await b!.handler.handle(ROOM, join("y@s/1", "second")); // b moves it on
    exporter.reset();
    await stanza(a!.handler, say("owner@s/1", "hi"));
    const { parent, children } = under("stanza");
    const commits = children.filter((s) => s.name === "fedmuc.room.commit");
    expect(commits.map((s) => s.attributes["fedmuc.commit.committed"])).toEqual([false, true]);
    expect(parent.events.map((e) => e.name)).toEqual(["fedmuc.commit.conflict"]);
    expect(parent.attributes).toMatchObject({
      "fedmuc.commit.attempts": 2,
      "fedmuc.decision": "message",
    });
  });

  it("a commit that queues link traffic is its producer: the outbox entry keeps its context", async () => {
    const prefix = uniquePrefix();
    const [a] = workers(1, prefix);
    await created(a!.handler);
    const peer = "coven@rooms.wonderland.lit";
    const snapshot = await a!.store.load(ROOM);
    const link = {
      role: "downstream",
      state: "up",
      replica: false,
      joins: 1,
      below: [peer],
    } as const;
    await a!.store.commit(snapshot, [{ op: "setLink", peer, link }]);
    exporter.reset();
    await stanza(a!.handler, say("owner@s/1", "over the link"));
    const commit = spans()
      .filter((s) => s.name === "fedmuc.room.commit")
      .at(-1)!;
    expect(commit.kind).toBe(Kind.PRODUCER);
    expect(commit.attributes).toMatchObject({
      "messaging.destination.name": "fmuc-links",
      "messaging.operation.type": "send",
      "messaging.batch.message_count": 1,
    });
    const [entry] = await new LinkOutbox(redis.client, prefix).read({ room: ROOM, peer }, 10);
    const { traceId, spanId } = commit.spanContext();
    expect(decodeCarrier(entry!.context)?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });
});
