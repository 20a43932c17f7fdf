// Bad input end to end: oversized bodies (MUC_MAX_BODY_CHARS), unusable nicknames, unknown or
// malformed queries. Each gets its stanza error, and the worker stays up and ready throughout.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  NS,
  adminSet,
  aliceAndBob,
  configure,
  count,
  errorCondition,
  groupchatBody,
  iq,
  join,
  joinError,
  joinPresence,
  mucBed,
  occupant,
  sendGroupchat,
  sendRaw,
  settle,
  statusCodes,
  submitForm,
  xml,
  type Element,
  type TestClient,
} from "../harness/muc.js";

const MAX_BODY = 1000;
const bed = mucBed({
  users: ["alice", "bob", "carol"],
  env: { MUC_MAX_BODY_CHARS: String(MAX_BODY) },
});

const errorReply = (client: TestClient, name: string) =>
  client.waitFor((el) => el.is(name) && el.attrs.type === "error");

// After each test: the worker is alive and ready, and no stanza made it fail unexpectedly
// (those are logged as "stanza handling failed" and answered internal-server-error).
afterEach(async () => {
  expect(bed.service.process.hasExited()).toBe(false);
  expect(await bed.service.get("/readyz")).toMatchObject({ status: 200 });
  expect(readFileSync(bed.service.logFile, "utf8")).not.toContain("stanza handling failed");
});

describe("message bodies over MUC_MAX_BODY_CHARS", () => {
  it("a groupchat message over the limit gets policy-violation and reaches no one; one at the limit is delivered", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "body");
    for (const size of [MAX_BODY + 1, 200_000]) {
      const body = "x".repeat(size);
      await sendGroupchat(bob, room, body);
      const error = await errorReply(bob, "message");
      expect(error.attrs.from).toBe(room);
      expect(errorCondition(error)).toBe("policy-violation");
    }
    const atLimit = "y".repeat(MAX_BODY);
    await sendGroupchat(bob, room, atLimit);
    await alice.waitFor(groupchatBody(atLimit));
    await settle(room, alice, bob);
    const long = (el: Element) => (el.getChildText("body")?.length ?? 0) > MAX_BODY;
    expect(count(alice, long) + count(bob, (el) => long(el) && el.attrs.type !== "error")).toBe(0);
  });

  it("counts characters, not UTF-16 code units: a limit's worth of emoji is delivered", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "emoji");
    const body = "🧙".repeat(MAX_BODY); // each is one character and two UTF-16 code units
    await sendGroupchat(bob, room, body);
    await alice.waitFor(groupchatBody(body));
  });

  it("a private message over the limit gets policy-violation too", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "pm-body");
    await bob.send(
      xml(
        "message",
        { to: occupant(room, "Alice"), type: "chat" },
        xml("body", {}, "z".repeat(MAX_BODY + 1)),
      ),
    );
    expect(errorCondition(await errorReply(bob, "message"))).toBe("policy-violation");
    await settle(room, alice);
    expect(count(alice, (el) => el.is("message") && el.attrs.type === "chat")).toBe(0);
  });
});

describe("unusable nicknames", () => {
  it("control characters are refused: Prosody's resourceprep stops them before the service", async () => {
    // So this checks the deployment, not the service's own rule (the next test does that). C0
    // controls other than tab, LF and CR cannot be sent at all: XML 1.0 forbids them.
    const { room, alice } = await aliceAndBob(bed, "control");
    const carol = await bed.connect("carol");
    // A tab must travel as a character reference: a raw one in an attribute is read as a space.
    for (const nick of ["a&#9;b", "a&#127;b", "a\u0085b"]) {
      await sendRaw(carol, `<presence to="${room}/${nick}"><x xmlns="${NS.muc}"/></presence>`);
      const error = await errorReply(carol, "presence");
      expect(errorCondition(error)).toBe("jid-malformed");
    }
    await settle(room, alice, carol);
    expect(
      count(
        alice,
        (el) =>
          el.is("presence") &&
          el.attrs.from !== occupant(room, "Alice") &&
          el.attrs.from !== occupant(room, "Bob"),
      ),
    ).toBe(0);
  });

  it("format characters that pass the server are refused by the service (not-acceptable)", async () => {
    const { room, alice } = await aliceAndBob(bed, "format");
    const carol = await bed.connect("carol");
    // U+2064 INVISIBLE PLUS (Cf) and U+2065 (unassigned): disallowed by RFC 8266 (PRECIS).
    for (const nick of ["a\u2064b", "a\u2065b"]) {
      const error = await joinError(carol, room, nick);
      expect(errorCondition(error)).toBe("not-acceptable");
    }
    await settle(room, alice);
    expect(
      count(alice, (el) => el.is("presence") && el.attrs.from?.startsWith(`${room}/a`) === true),
    ).toBe(0);
  });

  it("a nickname of spaces only is no nickname (jid-malformed); one too long is refused (not-acceptable)", async () => {
    const { room } = await aliceAndBob(bed, "spaces");
    const carol = await bed.connect("carol");
    expect(errorCondition(await joinError(carol, room, "   "))).toBe("jid-malformed");
    expect(errorCondition(await joinError(carol, room, "n".repeat(129)))).toBe("not-acceptable");
    await join(carol, room, "n".repeat(128));
  });

  it("a nickname change to an unusable nickname is refused, and the occupant keeps its nickname", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "rename-bad");
    await bob.send(xml("presence", { to: occupant(room, "B\u2064ob") }));
    expect(errorCondition(await errorReply(bob, "presence"))).toBe("not-acceptable");
    await sendGroupchat(bob, room, "still Bob");
    expect((await alice.waitFor(groupchatBody("still Bob"))).attrs.from).toBe(
      occupant(room, "Bob"),
    );
  });
});

describe("unknown and malformed stanzas", () => {
  it("unknown iqs get service-unavailable, at the service and at a room; item-not-found at a room that does not exist", async () => {
    const { room } = await aliceAndBob(bed, "unknown-iq");
    const carol = await bed.connect("carol");
    const unknown = () => xml("query", { xmlns: "urn:example:nothing" });
    for (const to of [bed.domain, room]) {
      for (const type of ["get", "set"] as const) {
        const reply = await iq(carol, to, type, unknown());
        expect(reply.attrs.from).toBe(to);
        expect(errorCondition(reply)).toBe("service-unavailable");
      }
    }
    const absent = bed.room("absent");
    expect(errorCondition(await iq(carol, absent, "get", unknown()))).toBe("item-not-found");
    // To an occupant: not relayed (the service relays no queries to occupants).
    const toOccupant = await iq(carol, occupant(room, "Alice"), "get", unknown());
    expect(errorCondition(toOccupant)).toBe("not-acceptable"); // Carol is not in the room
  });

  it("malformed MUC requests get their stanza errors, never internal-server-error", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "malformed");
    const cases: [string, () => Promise<Element>, string][] = [
      [
        "an admin query without items",
        () => iq(alice, room, "set", xml("query", { xmlns: NS.mucAdmin })),
        "bad-request",
      ],
      [
        "an unknown role",
        () => adminSet(alice, room, { nick: "Bob", role: "king" }),
        "bad-request",
      ],
      [
        "an unknown affiliation",
        () => adminSet(alice, room, { jid: "x@localhost", affiliation: "queen" }),
        "bad-request",
      ],
      [
        "an affiliation item without a JID",
        () => adminSet(alice, room, { affiliation: "member" }),
        "bad-request",
      ],
      [
        "a maxusers that is no number",
        () => configure(alice, room, { maxusers: "lots" }),
        "not-acceptable",
      ],
      [
        "a boolean that is none",
        () => configure(alice, room, { moderatedroom: "maybe" }),
        "bad-request",
      ],
      [
        "an owner query that is neither form nor destroy",
        () => iq(alice, room, "set", xml("query", { xmlns: NS.mucOwner })),
        "bad-request",
      ],
    ];
    for (const [what, send, condition] of cases) {
      const reply = await send();
      expect([what, errorCondition(reply)]).toEqual([what, condition]);
    }
    const messages: [string, Element, string][] = [
      [
        "an invitation without 'to'",
        xml("message", { to: room }, xml("x", { xmlns: NS.mucUser }, xml("invite"))),
        "bad-request",
      ],
      [
        "a decline without 'to'",
        xml("message", { to: room }, xml("x", { xmlns: NS.mucUser }, xml("decline"))),
        "bad-request",
      ],
      [
        "a normal message with nothing the room knows",
        xml("message", { to: room }, xml("body", {}, "hi room")),
        "bad-request",
      ],
      [
        "an approval naming no nickname",
        xml(
          "message",
          { to: room },
          submitForm(NS.request, { "muc#role": "participant", "muc#request_allow": "true" }),
        ),
        "bad-request",
      ],
    ];
    for (const [what, message, condition] of messages) {
      await alice.send(message);
      const reply = await errorReply(alice, "message");
      expect([what, errorCondition(reply)]).toEqual([what, condition]);
    }
    await bob.send(xml("presence", { to: occupant(room, "Bob"), type: "bogus" }));
    expect(errorCondition(await errorReply(bob, "presence"))).toBe("bad-request");
  });

  it("history limits that are not numbers or dates are ignored, not fatal", async () => {
    const { room, alice } = await aliceAndBob(bed, "bad-history");
    await sendGroupchat(alice, room, "remember me");
    await alice.waitFor(groupchatBody("remember me"));
    const carol = await bed.connect("carol");
    const joined = await join(carol, room, "Carol", {
      history: { maxstanzas: "-5", maxchars: "lots", seconds: "1e9", since: "yesterday" },
    });
    expect(statusCodes(joined.self)).toEqual([110]);
    expect(joined.history.map((m) => m.getChildText("body"))).toEqual(["remember me"]);
  });

  it("stanzas to the service itself that it does not serve are answered or dropped, never fatal", async () => {
    const carol = await bed.connect("carol");
    await carol.send(xml("message", { to: bed.domain }, xml("body", {}, "hello service")));
    await carol.send(xml("presence", { to: bed.domain }));
    await carol.send(joinPresence(bed.domain, "nobody"));
    const reply = await iq(carol, bed.domain, "set", xml("query", { xmlns: NS.discoInfo }));
    expect(errorCondition(reply)).toBe("service-unavailable");
  });
});
