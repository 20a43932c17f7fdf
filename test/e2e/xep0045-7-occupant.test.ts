// XEP-0045 section 7, occupant use cases, end to end: real clients on Prosody, the service as a
// process on Redis. Each test has its own room; the users connect afresh in each test.
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
  instantRoom,
  itemOf,
  join,
  joinError,
  leave,
  mucBed,
  occupant,
  once,
  onceEach,
  presenceFrom,
  sendGroupchat,
  settle,
  since,
  statusCodes,
  submitForm,
  xml,
  type Element,
  type JoinOptions,
  type TestClient,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol", "dave"] });

/** The join is refused with `condition`, from the occupant JID asked for, and no one hears of it. */
async function expectRefused(
  room: string,
  client: TestClient,
  nick: string,
  condition: string,
  witnesses: TestClient[],
  options: JoinOptions = {},
) {
  const error = await joinError(client, room, nick, options);
  expect(error.attrs.from).toBe(occupant(room, nick));
  expect(errorCondition(error)).toBe(condition);
  await settle(room, client, ...witnesses);
  for (const w of witnesses) expect(since(w, 0, fromJid(occupant(room, nick)))).toEqual([]);
  expect(count(client, presenceFrom(occupant(room, nick)))).toBe(0);
}

describe("7.2 entering a room", () => {
  it("7.2.3: the newcomer gets the occupants' presence, then its own with 110, then the subject; each occupant gets its presence once", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "enter");
    const carol = await bed.connect("carol");
    const joined = await join(carol, room, "Carol");

    const presences = joined.all.filter((el) => el.is("presence"));
    expect(presences.at(-1)).toBe(joined.self);
    expect(
      presences
        .slice(0, -1)
        .map((p) => p.attrs.from)
        .sort(),
    ).toEqual([occupant(room, "Alice"), occupant(room, "Bob")]);
    expect(joined.self.attrs.from).toBe(occupant(room, "Carol"));
    expect(statusCodes(joined.self)).toEqual([110]);
    expect(itemOf(joined.self)).toMatchObject({ affiliation: "none", role: "participant" });
    const aliceSeen = joined.others.find((p) => p.attrs.from === occupant(room, "Alice"))!;
    expect(itemOf(aliceSeen)).toMatchObject({ affiliation: "owner", role: "moderator" });

    // 7.2.16: no subject set: an empty <subject/> from the room, after everything else.
    expect(joined.all.at(-1)).toBe(joined.subject);
    expect(joined.subject.attrs).toMatchObject({ from: room, type: "groupchat" });
    expect(joined.subject.getChildText("subject")).toBe("");
    expect(joined.subject.getChild("body")).toBeUndefined();

    await settle(room, alice, bob, carol);
    const toAlice = once(alice, fromJid(occupant(room, "Carol")));
    const toBob = once(bob, fromJid(occupant(room, "Carol")));
    expect(statusCodes(toAlice)).toEqual([]);
    // 7.2.5 semi-anonymous room (the default): only moderators see the real JID.
    expect(itemOf(toAlice).jid).toBe(carol.jid);
    expect(itemOf(toBob).jid).toBeUndefined();
    for (const p of joined.others) expect(itemOf(p).jid).toBeUndefined();
  });

  it("7.2.4: in a non-anonymous room the newcomer gets 100 with 110, and everyone sees real JIDs", async () => {
    const { room, bob } = await aliceAndBob(bed, "nonanon", { whois: "anyone" });
    const carol = await bed.connect("carol");
    const joined = await join(carol, room, "Carol");
    expect(statusCodes(joined.self)).toEqual([100, 110]);
    const bobSeen = joined.others.find((p) => p.attrs.from === occupant(room, "Bob"))!;
    expect(itemOf(bobSeen).jid).toBe(bob.jid);
    await settle(room, bob);
    expect(itemOf(once(bob, fromJid(occupant(room, "Carol")))).jid).toBe(carol.jid);
  });

  it("7.2: a nickname the service had to rewrite is confirmed with 210 at the rewritten address", async () => {
    const { room, alice } = await aliceAndBob(bed, "rewrite");
    const carol = await bed.connect("carol");
    // RFC 8266: leading and trailing spaces are removed, inner runs of spaces become one.
    const joined = await join(carol, room, "  Carol   Jones ");
    expect(joined.self.attrs.from).toBe(occupant(room, "Carol Jones"));
    expect(statusCodes(joined.self)).toEqual([110, 210]);
    await settle(room, alice);
    expect(statusCodes(once(alice, fromJid(occupant(room, "Carol Jones"))))).toEqual([]);
  });

  it("7.2.6: a password-protected room refuses a missing or wrong password (not-authorized) and admits the right one", async () => {
    const { room, alice, bob } = await aliceAndBob(
      bed,
      "secret",
      { passwordprotectedroom: "1", roomsecret: "cauldronburn" },
      { password: "cauldronburn" },
    );
    const carol = await bed.connect("carol");
    await expectRefused(room, carol, "Carol", "not-authorized", [alice, bob]);
    await expectRefused(room, carol, "Carol", "not-authorized", [alice, bob], {
      password: "wrong",
    });
    await join(carol, room, "Carol", { password: "cauldronburn" });
  });

  it("7.2.7: a members-only room refuses a non-member (registration-required)", async () => {
    const room = bed.room("members");
    const alice = await bed.connect("alice");
    await createRoom(alice, room, "Alice", { membersonly: "1" });
    const carol = await bed.connect("carol");
    await expectRefused(room, carol, "Carol", "registration-required", [alice]);
  });

  it("7.2.8: a banned user is refused (forbidden)", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "banned");
    const carol = await bed.connect("carol");
    expectResult(await adminSet(alice, room, { affiliation: "outcast", jid: bare(carol.jid) }));
    await expectRefused(room, carol, "Carol", "forbidden", [alice, bob]);
  });

  it("7.2.9: a nickname in use is refused (conflict)", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "conflict");
    const carol = await bed.connect("carol");
    const error = await joinError(carol, room, "Bob");
    expect(error.attrs.from).toBe(occupant(room, "Bob"));
    expect(errorCondition(error)).toBe("conflict");
    await settle(room, alice, bob, carol);
    // Bob is still Bob, and no one saw a second Bob.
    expect(count(alice, presenceFrom(occupant(room, "Bob")))).toBe(1);
    expect(count(carol, presenceFrom(occupant(room, "Bob")))).toBe(0);
  });

  it("7.2.10: a full room refuses one more (service-unavailable)", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "full", { maxusers: "2" });
    const carol = await bed.connect("carol");
    await expectRefused(room, carol, "Carol", "service-unavailable", [alice, bob]);
  });

  it("7.2.11: a new room stays locked (item-not-found) until its owner configures it", async () => {
    const room = bed.room("locked");
    const [alice, bob] = await bed.connectAll("alice", "bob");
    const created = await join(alice, room, "Alice");
    expect(statusCodes(created.self)).toEqual([110, 201]);
    await expectRefused(room, bob, "Bob", "item-not-found", [alice]);
    expectResult(await instantRoom(alice, room));
    await join(bob, room, "Bob");
  });

  it("7.2: a join without a nickname is refused with jid-malformed", async () => {
    const { room, alice } = await aliceAndBob(bed, "nonick");
    const carol = await bed.connect("carol");
    const mark = alice.received.length;
    await carol.send(xml("presence", { to: room }, xml("x", { xmlns: NS.muc })));
    const error = await carol.waitFor((el) => el.is("presence") && el.attrs.type === "error");
    expect(error.attrs.from).toBe(room);
    expect(errorCondition(error)).toBe("jid-malformed");
    await settle(room, alice, carol);
    expect(since(alice, mark, (el) => el.is("presence"))).toEqual([]);
    expect(count(carol, (el) => el.is("presence") && el.attrs.type !== "error")).toBe(0);
  });
});

describe("7.2.15 discussion history", () => {
  /**
   * A room where Alice said m1, m2, m3, each reflected before the next and stamped in a later
   * millisecond: the room stamps a message before it reflects it, on this machine's clock, so
   * once the clock has moved past the reflection the next message gets a later stamp.
   */
  async function roomWithHistory(label: string) {
    const room = bed.room(label);
    const alice = await bed.connect("alice");
    await createRoom(alice, room, "Alice");
    for (const body of ["history m1", "history m2", "history m3"]) {
      await sendGroupchat(alice, room, body);
      await alice.waitFor(groupchatBody(body));
      const reflected = Date.now();
      while (Date.now() <= reflected) await new Promise((r) => setImmediate(r));
    }
    const dave = await bed.connect("dave");
    return { room, dave };
  }
  const bodies = (history: Element[]) => history.map((m) => m.getChildText("body"));

  /** Joins with `history`, returns the history bodies, and leaves again. */
  async function historyWith(room: string, dave: TestClient, history?: JoinOptions["history"]) {
    const joined = await join(dave, room, "Dave", { history });
    await leave(dave, room, "Dave");
    return joined;
  }

  it("sends the history before the subject, oldest first, from the senders' occupant JIDs with a delay from the room", async () => {
    const { room, dave } = await roomWithHistory("history");
    const joined = await historyWith(room, dave);
    expect(bodies(joined.history)).toEqual(["history m1", "history m2", "history m3"]);
    const subjectAt = joined.all.indexOf(joined.subject);
    const selfAt = joined.all.indexOf(joined.self);
    for (const m of joined.history) {
      const at = joined.all.indexOf(m);
      expect(at).toBeGreaterThan(selfAt);
      expect(at).toBeLessThan(subjectAt);
      expect(m.attrs).toMatchObject({ from: occupant(room, "Alice"), type: "groupchat" });
      const delay = m.getChild("delay", NS.delay)!;
      expect(delay.attrs.from).toBe(room);
      expect(Date.parse(delay.attrs.stamp!)).not.toBeNaN();
    }
  });

  it("honours maxstanzas", async () => {
    const { room, dave } = await roomWithHistory("maxstanzas");
    expect(bodies((await historyWith(room, dave, { maxstanzas: 2 })).history)).toEqual([
      "history m2",
      "history m3",
    ]);
    expect((await historyWith(room, dave, { maxstanzas: 0 })).history).toEqual([]);
  });

  it("honours maxchars, counting the complete stanzas sent", async () => {
    const { room, dave } = await roomWithHistory("maxchars");
    expect((await historyWith(room, dave, { maxchars: 0 })).history).toEqual([]);
    // The stanzas as received (Prosody adds a few attributes, so these are upper bounds of what
    // the room sent). One and a half stanzas' worth of characters leaves room for one only.
    const all = (await historyWith(room, dave)).history;
    const longest = Math.max(...all.map((m) => m.toString().length));
    const shortest = Math.min(...all.map((m) => m.toString().length));
    const budget = shortest + Math.floor(shortest / 2);
    expect(budget).toBeLessThan(2 * (shortest - 40)); // the margin the test relies on
    const got = (await historyWith(room, dave, { maxchars: budget })).history;
    expect(bodies(got)).toEqual(["history m3"]);
    expect(got[0]!.toString().length).toBeLessThanOrEqual(longest);
  });

  it("honours seconds and since", async () => {
    const { room, dave } = await roomWithHistory("since");
    const all = (await historyWith(room, dave)).history;
    const stampOf = (m: Element) => m.getChild("delay", NS.delay)!.attrs.stamp!;
    // Stamps have millisecond precision: m1 and m2 may share one, and then 'since' m2's stamp
    // rightly includes m1. The test needs three distinct stamps (roomWithHistory spaces them).
    expect(new Set(all.map(stampOf)).size).toBe(3);
    expect(bodies((await historyWith(room, dave, { seconds: 3600 })).history)).toHaveLength(3);
    expect((await historyWith(room, dave, { seconds: 0 })).history).toEqual([]);
    expect(bodies((await historyWith(room, dave, { since: stampOf(all[1]!) })).history)).toEqual([
      "history m2",
      "history m3",
    ]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await historyWith(room, dave, { since: future })).history).toEqual([]);
    // Several limits at once: the most restrictive wins.
    expect(
      bodies((await historyWith(room, dave, { since: stampOf(all[0]!), maxstanzas: 1 })).history),
    ).toEqual(["history m3"]);
  });
});

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
