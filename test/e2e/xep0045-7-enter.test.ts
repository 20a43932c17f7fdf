// XEP-0045 sections 7.2 and 7.2.15, entering a room and its discussion history, end to end:
// real clients on Prosody, the service as a process on Redis. Each test has its own room.
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
  presenceFrom,
  sendGroupchat,
  settle,
  since,
  statusCodes,
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
