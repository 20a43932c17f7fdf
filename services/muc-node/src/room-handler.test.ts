// The shell around the rules against a real Redis: workers with their own caches share rooms.
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "@fedmuc/muc-core";
import { RoomStore } from "@fedmuc/room-store";
import { NS, parse, type Element } from "@fedmuc/xmpp";
import { uniquePrefix } from "../../../test/harness/redis.js";
import { redisPerFile } from "../../../test/harness/redis-per-file.js";
import { RoomHandler } from "./room-handler.js";

const ROOM = "coven@chat.shakespeare.lit";
const redis = redisPerFile();

/** `n` workers sharing one key space, each with its own snapshot cache and outbox. */
function workers(n: number) {
  const prefix = uniquePrefix();
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
