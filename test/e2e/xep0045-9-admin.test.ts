// XEP-0045 section 9, admin use cases, end to end: bans and the ban list, membership and the member
// list, moderator status and the moderator list, and removals from members-only rooms.
import { describe, expect, it } from "vitest";
import {
  adminGet,
  adminSet,
  anyPresenceFrom,
  bare,
  configure,
  createRoom,
  errorCondition,
  expectResult,
  itemOf,
  join,
  joinError,
  listItems,
  marks,
  mucBed,
  occupant,
  once,
  onceEach,
  settle,
  since,
  statusCodes,
  threeWitches,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol", "dave"] });

describe("9.1 banning a user", () => {
  it("the banned occupant gets 301 with 110, actor and reason; the others 301; once each; the user may not come back", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "ban");
    const seen = marks(alice, bob, carol);
    const reply = await adminSet(alice, room, {
      jid: bare(bob.jid),
      affiliation: "outcast",
      reason: "Treason",
    });
    expectResult(reply);
    await settle(room, alice, bob, carol);

    const banned = onceEach(seen, anyPresenceFrom(occupant(room, "Bob")));
    const own = banned.get(bob)!;
    expect(own.attrs.type).toBe("unavailable");
    expect(statusCodes(own)).toEqual([110, 301]);
    expect(itemOf(own)).toMatchObject({ affiliation: "outcast", role: "none" });
    const item = own.getChild("x")!.getChild("item")!;
    expect(item.getChild("actor")?.attrs.nick).toBe("Alice");
    expect(item.getChildText("reason")).toBe("Treason");
    for (const c of [alice, carol]) {
      expect(statusCodes(banned.get(c)!)).toEqual([301]);
      expect(itemOf(banned.get(c)!)).toMatchObject({ affiliation: "outcast", role: "none" });
    }
    // Banned by bare JID: another resource of Bob's is refused too (7.2.8).
    const bobElsewhere = await bed.connect("bob");
    expect(errorCondition(await joinError(bobElsewhere, room, "Bobby"))).toBe("forbidden");
  });

  it("an admin may not ban an owner (not-allowed), a participant may ban no one (not-allowed)", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "ban-denied");
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "admin" }));
    const ofOwner = await adminSet(bob, room, { jid: bare(alice.jid), affiliation: "outcast" });
    expect(errorCondition(ofOwner)).toBe("not-allowed");
    // Prosody's MUC answers not-allowed here too.
    const byParticipant = await adminSet(carol, room, {
      jid: bare(bob.jid),
      affiliation: "outcast",
    });
    expect(errorCondition(byParticipant)).toBe("not-allowed");
  });
});

describe("9.2 modifying the ban list", () => {
  it("an admin gets the outcasts and changes several at once, banning users who are not in the room", async () => {
    const { room, alice } = await threeWitches(bed, "banlist");
    expectResult(
      await adminSet(
        alice,
        room,
        { jid: "dave@localhost", affiliation: "outcast", reason: "Spam" },
        { jid: "eve@elsewhere.example", affiliation: "outcast" },
      ),
    );
    expect(
      listItems(await adminGet(alice, room, { affiliation: "outcast" })).map((i) => [
        i.jid,
        i.affiliation,
      ]),
    ).toEqual([
      ["dave@localhost", "outcast"],
      ["eve@elsewhere.example", "outcast"],
    ]);
    const dave = await bed.connect("dave");
    expect(errorCondition(await joinError(dave, room, "Dave"))).toBe("forbidden");

    expectResult(await adminSet(alice, room, { jid: "dave@localhost", affiliation: "none" }));
    expect(
      listItems(await adminGet(alice, room, { affiliation: "outcast" })).map((i) => i.jid),
    ).toEqual(["eve@elsewhere.example"]);
    await join(dave, room, "Dave");
  });

  it("a participant may not see it (forbidden)", async () => {
    const { room, bob } = await threeWitches(bed, "banlist-denied");
    expect(errorCondition(await adminGet(bob, room, { affiliation: "outcast" }))).toBe("forbidden");
  });
});

describe("9.3 to 9.5 membership and the member list", () => {
  it("granting membership shows the occupant as member to everyone, once; the member list has it", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "member");
    const seen = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "member" }));
    await settle(room, alice, bob, carol);
    for (const p of onceEach(seen, anyPresenceFrom(occupant(room, "Bob"))).values()) {
      expect(p.attrs.type).toBeUndefined();
      expect(itemOf(p)).toMatchObject({ affiliation: "member", role: "participant" });
    }
    expect(listItems(await adminGet(alice, room, { affiliation: "member" }))).toEqual([
      { jid: bare(bob.jid), affiliation: "member" },
    ]);
  });

  it("9.4: revoking membership in an open room leaves the occupant in with affiliation none", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "unmember");
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "member" }));
    await settle(room, carol);
    const seen = marks(carol);
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "none" }));
    await settle(room, carol);
    const unmembered = once(carol, anyPresenceFrom(occupant(room, "Bob")), seen);
    expect(unmembered.attrs.type).toBeUndefined();
    expect(itemOf(unmembered)).toMatchObject({ affiliation: "none", role: "participant" });
    expect(listItems(await adminGet(alice, room, { affiliation: "member" }))).toEqual([]);
  });

  it("9.4: revoking membership in a members-only room removes the occupant with 321, once each", async () => {
    const room = bed.room("members-only");
    const [alice, bob, carol] = await bed.connectAll("alice", "bob", "carol");
    await createRoom(alice, room, "Alice", { membersonly: "1" });
    expectResult(
      await adminSet(
        alice,
        room,
        { jid: bare(bob.jid), affiliation: "member" },
        { jid: bare(carol.jid), affiliation: "member" },
      ),
    );
    await join(bob, room, "Bob");
    await join(carol, room, "Carol");
    await settle(room, alice, bob, carol);
    const seen = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "none" }));
    await settle(room, alice, bob, carol);
    for (const [c, p] of onceEach(seen, anyPresenceFrom(occupant(room, "Bob")))) {
      expect(p.attrs.type).toBe("unavailable");
      expect(statusCodes(p)).toEqual(c === bob ? [110, 321] : [321]);
      expect(itemOf(p)).toMatchObject({ affiliation: "none", role: "none" });
    }
    expect(errorCondition(await joinError(bob, room, "Bob"))).toBe("registration-required");
  });

  it("10.2 and 9.x: making a room members-only removes the non-members with 322", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "to-members-only");
    expectResult(await adminSet(alice, room, { jid: bare(carol.jid), affiliation: "member" }));
    const seen = marks(alice, bob, carol);
    expectResult(await configure(alice, room, { membersonly: "1" }));
    await settle(room, alice, bob, carol);
    for (const [c, p] of onceEach(seen, anyPresenceFrom(occupant(room, "Bob")))) {
      expect(p.attrs.type).toBe("unavailable");
      expect(statusCodes(p)).toEqual(c === bob ? [110, 322] : [322]);
      expect(itemOf(p).role).toBe("none");
      // The member stays.
      const carols = since(c, seen.get(c)!, anyPresenceFrom(occupant(room, "Carol")));
      expect(carols.filter((q) => q.attrs.type)).toEqual([]);
    }
  });

  it("9.5: a participant may not see the member list (forbidden), nor grant membership (not-allowed)", async () => {
    const { room, bob, carol } = await threeWitches(bed, "memberlist-denied");
    expect(errorCondition(await adminGet(bob, room, { affiliation: "member" }))).toBe("forbidden");
    expect(
      errorCondition(await adminSet(bob, room, { jid: bare(carol.jid), affiliation: "member" })),
    ).toBe("not-allowed");
  });
});

describe("9.6 to 9.8 moderator status and the moderator list", () => {
  it("granting moderator status shows the occupant as moderator to everyone, once; the new moderator sees real JIDs; revoking it undoes that", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "moderator");
    let seen = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { nick: "Carol", role: "moderator" }));
    await settle(room, alice, bob, carol);
    for (const p of onceEach(seen, anyPresenceFrom(occupant(room, "Carol"))).values()) {
      expect(itemOf(p).role).toBe("moderator");
    }
    expect(
      listItems(await adminGet(alice, room, { role: "moderator" })).map((i) => [i.nick, i.jid]),
    ).toEqual([
      ["Alice", alice.jid],
      ["Carol", carol.jid],
    ]);
    // Semi-anonymous room: Carol, a moderator now, sees a newcomer's real JID.
    const dave = await bed.connect("dave");
    await join(dave, room, "Dave");
    await settle(room, carol);
    const daveSeen = carol.received.filter(anyPresenceFrom(occupant(room, "Dave")));
    expect(itemOf(daveSeen[0]!).jid).toBe(dave.jid);

    seen = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { nick: "Carol", role: "participant" }));
    await settle(room, alice, bob, carol);
    for (const p of onceEach(seen, anyPresenceFrom(occupant(room, "Carol"))).values()) {
      expect(itemOf(p).role).toBe("participant");
    }
    expect(
      listItems(await adminGet(alice, room, { role: "moderator" })).map((i) => i.nick),
    ).toEqual(["Alice"]);
  });

  it("only an admin or owner grants moderator status (forbidden), and no one revokes an owner's (not-allowed)", async () => {
    const { room, alice, bob } = await threeWitches(bed, "moderator-denied");
    expect(errorCondition(await adminSet(bob, room, { nick: "Carol", role: "moderator" }))).toBe(
      "forbidden",
    );
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "admin" }));
    expect(errorCondition(await adminSet(bob, room, { nick: "Alice", role: "participant" }))).toBe(
      "not-allowed",
    );
  });
});
