// XEP-0045 section 7 from 7.4 on, occupant use cases, end to end: real clients on Prosody, the
// service as a process on Redis (7.2, entering, is in xep0045-7-enter.test.ts). Each test has
// its own room.
import { describe, expect, it } from "vitest";
import {
  NS,
  adminSet,
  aliceAndBob,
  bare,
  count,
  createRoom,
  errorCondition,
  expectResult,
  formFields,
  fromJid,
  groupchatBody,
  itemOf,
  join,
  leave,
  mucBed,
  occupant,
  once,
  onceEach,
  presenceFrom,
  sendGroupchat,
  settle,
  statusCodes,
  submitForm,
  xml,
  type Element,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol", "dave"] });

describe("7.4 sending a message to all occupants", () => {
  it("reaches every occupant once, from the sender's occupant JID, with one stanza-id by the room and the sender's origin-id", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "groupchat");
    const carol = await bed.connect("carol"); // not in the room
    await bob.send(
      xml(
        "message",
        { to: room, type: "groupchat", id: "bob-1" },
        xml("body", {}, "hello all"),
        xml("origin-id", { xmlns: NS.sid, id: "bob-origin-1" }),
        // XEP-0359 section 3: a stanza-id claiming to be the room's is not the client's to set.
        xml("stanza-id", { xmlns: NS.sid, by: room, id: "forged" }),
      ),
    );
    const copies = await Promise.all(
      [alice, bob].map((c) => c.waitFor(groupchatBody("hello all"))),
    );
    await settle(room, alice, bob, carol);
    const ids = copies.map((m) => {
      expect(m.attrs).toMatchObject({ from: occupant(room, "Bob"), type: "groupchat" });
      expect(m.getChild("origin-id", NS.sid)?.attrs.id).toBe("bob-origin-1");
      const stanzaIds = m.getChildren("stanza-id", NS.sid);
      expect(stanzaIds).toHaveLength(1);
      expect(stanzaIds[0]!.attrs.by).toBe(room);
      expect(stanzaIds[0]!.attrs.id).not.toBe("forged");
      return stanzaIds[0]!.attrs.id;
    });
    expect(ids[0]).toBe(ids[1]);
    expect(count(alice, groupchatBody("hello all"))).toBe(1);
    expect(count(bob, groupchatBody("hello all"))).toBe(1);
    expect(count(carol, groupchatBody("hello all"))).toBe(0);
  });

  it("refuses a non-occupant's message (not-acceptable); no occupant gets it", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "outsider");
    const carol = await bed.connect("carol");
    await sendGroupchat(carol, room, "let me in");
    const error = await carol.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(error.attrs.from).toBe(room);
    expect(errorCondition(error)).toBe("not-acceptable");
    await settle(room, alice, bob);
    expect(count(alice, groupchatBody("let me in")) + count(bob, groupchatBody("let me in"))).toBe(
      0,
    );
  });

  it("refuses a visitor's message in a moderated room (forbidden); no occupant gets it", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "moderated", { moderatedroom: "1" });
    const bobSelf = bob.received.find(
      (el) => el.attrs.from === occupant(room, "Bob") && statusCodes(el).includes(110),
    )!;
    expect(itemOf(bobSelf).role).toBe("visitor");
    await sendGroupchat(bob, room, "may I?");
    const error = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("forbidden");
    await settle(room, alice, bob);
    expect(count(alice, groupchatBody("may I?")) + count(bob, groupchatBody("may I?"))).toBe(0);
  });
});

describe("7.5 sending a private message", () => {
  it("reaches its recipient only, once, from the sender's occupant JID, marked with muc#user", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "pm");
    const carol = await bed.connect("carol");
    await join(carol, room, "Carol");
    await alice.send(
      xml(
        "message",
        { to: occupant(room, "Bob"), type: "chat", id: "pm-1" },
        xml("body", {}, "psst"),
      ),
    );
    const pm = await bob.waitFor((el) => el.is("message") && el.getChildText("body") === "psst");
    expect(pm.attrs).toMatchObject({ from: occupant(room, "Alice"), to: bob.jid, type: "chat" });
    expect(pm.getChild("x", NS.mucUser)).toBeDefined();
    await settle(room, alice, bob, carol);
    const isPsst = (el: Element) => el.is("message") && el.getChildText("body") === "psst";
    expect([alice, bob, carol].map((c) => count(c, isPsst))).toEqual([0, 1, 0]);
  });

  it("to a nickname not in the room: item-not-found", async () => {
    const { room, alice } = await aliceAndBob(bed, "pm-nobody");
    await alice.send(
      xml("message", { to: occupant(room, "Nobody"), type: "chat" }, xml("body", {}, "hello?")),
    );
    const error = await alice.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(error.attrs.from).toBe(occupant(room, "Nobody"));
    expect(errorCondition(error)).toBe("item-not-found");
  });

  it("from a non-occupant: not-acceptable, and the occupant gets nothing", async () => {
    const { room, bob } = await aliceAndBob(bed, "pm-outsider");
    const carol = await bed.connect("carol");
    await carol.send(
      xml("message", { to: occupant(room, "Bob"), type: "chat" }, xml("body", {}, "hi bob")),
    );
    const error = await carol.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("not-acceptable");
    await settle(room, bob);
    expect(count(bob, (el) => el.getChildText("body") === "hi bob")).toBe(0);
  });

  it("of type groupchat to one occupant: bad-request", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "pm-groupchat");
    await alice.send(
      xml("message", { to: occupant(room, "Bob"), type: "groupchat" }, xml("body", {}, "oops")),
    );
    const error = await alice.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("bad-request");
    await settle(room, bob);
    expect(count(bob, (el) => el.getChildText("body") === "oops")).toBe(0);
  });
});

describe("7.6 changing nickname", () => {
  it("everyone gets the old nick's unavailable presence with 303 and the new nick, then the new nick's presence, once each", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "nick");
    const carol = await bed.connect("carol");
    await join(carol, room, "Carol");
    await bob.send(xml("presence", { to: occupant(room, "Robert") }));
    await settle(room, alice, bob, carol);
    const gone = onceEach([alice, bob, carol], presenceFrom(occupant(room, "Bob"), "unavailable"));
    const back = onceEach([alice, bob, carol], fromJid(occupant(room, "Robert")));
    for (const [viewer, old] of gone) {
      const self = viewer === bob;
      const renamed = back.get(viewer)!;
      expect(statusCodes(old)).toEqual(self ? [110, 303] : [303]);
      expect(itemOf(old)).toMatchObject({ nick: "Robert", role: "participant" });
      expect(renamed.attrs.type).toBeUndefined();
      expect(statusCodes(renamed)).toEqual(self ? [110] : []);
      expect(itemOf(renamed)).toMatchObject({ role: "participant", affiliation: "none" });
      expect(viewer.received.indexOf(old)).toBeLessThan(viewer.received.indexOf(renamed));
    }
    // The occupant now speaks under the new nick.
    await sendGroupchat(bob, room, "I am Robert");
    expect((await alice.waitFor(groupchatBody("I am Robert"))).attrs.from).toBe(
      occupant(room, "Robert"),
    );
  });

  it("a nickname in use: conflict from the address asked for, and nothing changes", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "nick-conflict");
    await bob.send(xml("presence", { to: occupant(room, "Alice") }));
    const error = await bob.waitFor((el) => el.is("presence") && el.attrs.type === "error");
    // The XEP's example answers from the occupant JID asked for; Prosody's MUC does the same.
    expect(error.attrs.from).toBe(occupant(room, "Alice"));
    expect(errorCondition(error)).toBe("conflict");
    await settle(room, alice, bob);
    expect(count(alice, presenceFrom(occupant(room, "Bob"), "unavailable"))).toBe(0);
    await sendGroupchat(bob, room, "still Bob");
    expect((await alice.waitFor(groupchatBody("still Bob"))).attrs.from).toBe(
      occupant(room, "Bob"),
    );
  });
});

describe("7.7 changing availability status", () => {
  it("the new show and status reach every occupant, the sender included, once", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "away");
    await bob.send(
      xml(
        "presence",
        { to: occupant(room, "Bob") },
        xml("show", {}, "xa"),
        xml("status", {}, "gone where the goblins go"),
      ),
    );
    await settle(room, alice, bob);
    const isUpdate = (el: Element) =>
      fromJid(occupant(room, "Bob"))(el) && el.getChildText("show") === "xa";
    for (const [viewer, update] of onceEach([alice, bob], isUpdate)) {
      expect(update.getChildText("status")).toBe("gone where the goblins go");
      expect(statusCodes(update)).toEqual(viewer === bob ? [110] : []);
      expect(itemOf(update)).toMatchObject({ role: "participant" });
    }
  });
});

describe("7.8 inviting another user", () => {
  const invite = (room: string, to: string, reason: string) =>
    xml(
      "message",
      { to: room },
      xml("x", { xmlns: NS.mucUser }, xml("invite", { to }, xml("reason", {}, reason))),
    );
  const hasInvite = (el: Element) =>
    el.is("message") && el.getChild("x", NS.mucUser)?.getChild("invite") !== undefined;

  it("7.8.2: the room forwards the invitation from itself, naming the inviter, with the reason and the password; the invitee may decline", async () => {
    const { room, alice, bob } = await aliceAndBob(
      bed,
      "invite",
      { passwordprotectedroom: "1", roomsecret: "cauldronburn" },
      { password: "cauldronburn" },
    );
    const carol = await bed.connect("carol");
    await carol.send(xml("presence")); // available, so that her server delivers to her bare JID
    await alice.send(invite(room, bare(carol.jid), "Hey Carol, this is the place"));
    const received = await carol.waitFor(hasInvite);
    expect(received.attrs.from).toBe(room);
    const x = received.getChild("x", NS.mucUser)!;
    // "the bare JID, full JID, or occupant JID of the inviter"
    expect([alice.jid, bare(alice.jid), occupant(room, "Alice")]).toContain(
      x.getChild("invite")!.attrs.from,
    );
    expect(x.getChild("invite")!.getChildText("reason")).toBe("Hey Carol, this is the place");
    expect(x.getChildText("password")).toBe("cauldronburn");

    await carol.send(
      xml(
        "message",
        { to: room },
        xml(
          "x",
          { xmlns: NS.mucUser },
          xml("decline", { to: alice.jid }, xml("reason", {}, "Too busy")),
        ),
      ),
    );
    const declined = await alice.waitFor(
      (el) => el.is("message") && el.getChild("x", NS.mucUser)?.getChild("decline") !== undefined,
    );
    expect(declined.attrs.from).toBe(room);
    const decline = declined.getChild("x", NS.mucUser)!.getChild("decline")!;
    // The XEP's example names the invitee by bare JID; Prosody's MUC gives the full JID.
    expect(bare(decline.attrs.from!)).toBe(bare(carol.jid));
    expect(decline.getChildText("reason")).toBe("Too busy");
    await settle(room, alice, bob, carol);
    expect(count(bob, hasInvite)).toBe(0);
    expect(count(carol, hasInvite)).toBe(1);
  });

  it("7.8.2: in a members-only room a member may not invite (forbidden); an owner's invitee becomes a member and may enter", async () => {
    const room = bed.room("invite-members");
    const [alice, bob, dave] = await bed.connectAll("alice", "bob", "dave");
    await createRoom(alice, room, "Alice", { membersonly: "1" });
    expectResult(await adminSet(alice, room, { affiliation: "member", jid: bare(bob.jid) }));
    await join(bob, room, "Bob");
    await bob.send(invite(room, dave.jid, "come"));
    const refused = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(refused)).toBe("forbidden");
    await settle(room, dave);
    expect(count(dave, hasInvite)).toBe(0);

    await alice.send(invite(room, dave.jid, "come"));
    await dave.waitFor(hasInvite);
    await join(dave, room, "Dave");
  });
});

describe("7.13 requesting voice", () => {
  it("a visitor's request reaches each moderator as a form; the approval (8.6) gives the visitor voice", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "voice", { moderatedroom: "1" });
    await bob.send(
      xml("message", { to: room }, submitForm(NS.request, { "muc#role": "participant" })),
    );
    const request = await alice.waitFor(
      (el) => el.is("message") && el.getChild("x", NS.data) !== undefined,
    );
    expect(request.attrs.from).toBe(room);
    const form = request.getChild("x", NS.data)!;
    expect(form.attrs.type).toBe("form");
    const fields = formFields(form);
    expect(fields.get("FORM_TYPE")).toEqual([NS.request]);
    expect(fields.get("muc#role")).toEqual(["participant"]);
    expect(fields.get("muc#jid")).toEqual([bob.jid]);
    expect(fields.get("muc#roomnick")).toEqual(["Bob"]);
    expect(fields.has("muc#request_allow")).toBe(true);

    await alice.send(
      xml(
        "message",
        { to: room },
        submitForm(NS.request, {
          "muc#role": "participant",
          "muc#jid": bob.jid,
          "muc#roomnick": "Bob",
          "muc#request_allow": "true",
        }),
      ),
    );
    await settle(room, alice, bob);
    // Each of them sees Bob with voice once.
    onceEach(
      [alice, bob],
      (el) => fromJid(occupant(room, "Bob"))(el) && itemOf(el).role === "participant",
    );
    expect(count(bob, (el) => el.is("message") && el.getChild("x", NS.data) !== undefined)).toBe(0);
    await sendGroupchat(bob, room, "thank you");
    await alice.waitFor(groupchatBody("thank you"));
  });
});

describe("7.14 exiting a room", () => {
  it("the leaver gets its unavailable presence with 110, the others theirs, once each, with role none", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "exit");
    const own = await leave(bob, room, "Bob");
    expect(statusCodes(own)).toEqual([110]);
    expect(itemOf(own).role).toBe("none");
    await settle(room, alice, bob);
    const seen = once(alice, presenceFrom(occupant(room, "Bob"), "unavailable"));
    expect(statusCodes(seen)).toEqual([]);
    expect(itemOf(seen)).toMatchObject({ role: "none", affiliation: "none" });
    expect(count(bob, presenceFrom(occupant(room, "Bob"), "unavailable"))).toBe(1);
    // Bob is gone: his messages are refused now.
    await sendGroupchat(bob, room, "am I here?");
    const error = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("not-acceptable");
  });

  it("passes the occupant's custom exit message on to the others", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "exit-status");
    await bob.send(
      xml(
        "presence",
        { to: occupant(room, "Bob"), type: "unavailable" },
        xml("status", {}, "gone where the goblins go"),
      ),
    );
    const seen = await alice.waitFor(presenceFrom(occupant(room, "Bob"), "unavailable"));
    expect(seen.getChildText("status")).toBe("gone where the goblins go");
  });
});
