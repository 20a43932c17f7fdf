// XEP-0289 loops in memory: two rooms each set to join the other refuse each other's join, and
// an owner cannot point a room at a room below it.
import { describe, expect, it } from "vitest";
import { NS, parse } from "@fedmuc/xmpp";
import { decide } from "../decide.js";
import { HAMLET, HUB, Node, SPOKE, bodies, join, network, say, world } from "../testing/network.js";

const ANN = "ann@a.example/x";
const BOB = "bob@b.example/x";

describe("XEP-0289 loops", () => {
  it("two rooms each set to join the other: both joins are refused, each chats alone, nothing circulates", () => {
    const A = "ring@a.example";
    const B = "ring@b.example";
    const a = new Node(A, { allows: (p) => p === B, upstream: () => B, replica: false });
    const b = new Node(B, { allows: (p) => p === A, upstream: () => A, replica: false });
    const flush = network(a, b);
    a.step(join(ANN, A, "Ann"));
    b.step(join(BOB, B, "Bob"));
    flush();
    expect(a.room.links).toEqual({});
    expect(b.room.links).toEqual({});
    expect(a.logs.join("\n")).toContain(
      `${B} rejected the link: Joining ${B} from ${A} would make a loop`,
    );
    expect(b.logs.join("\n")).toContain(
      `${A} rejected the link: Joining ${A} from ${B} would make a loop`,
    );
    expect(Object.keys(a.room.occupants)).toEqual(["Ann"]);
    expect(Object.keys(b.room.occupants)).toEqual(["Bob"]);
    a.step(say(ANN, A, "hello"));
    expect(a.outbox).toEqual([]);
    expect(bodies(a.receivedBy(ANN))).toEqual(["hello"]);
    expect(b.clients.filter((el) => el.attrs.from?.startsWith(A))).toEqual([]);
  });

  it("an owner cannot point the room at a room that joins it", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    const d = decide(
      hub.room,
      parse(
        `<iq from="alice@wonderland.lit/priam-ubuntu-vm" to="${HUB}" type="set" id="u"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var="fedmuc#upstream"><value>${SPOKE}</value></field></x></query></iq>`,
      ),
      hub.ctx,
    );
    expect(d.mutations).toEqual([]);
    const [reply] = d.effects;
    expect(
      reply?.kind === "send" &&
        reply.stanza.getChild("error")?.getChild("not-acceptable", NS.stanzas),
    ).toBeTruthy();
  });
});
