// XEP-0045 section 8, moderator use cases, end to end: the subject, kicking, voice and the voice
// list, as the occupants see them through Prosody.
import { describe, expect, it } from "vitest";
import {
  adminGet,
  adminSet,
  anyPresenceFrom,
  count,
  errorCondition,
  expectResult,
  fromJid,
  groupchatBody,
  itemOf,
  join,
  listItems,
  marks,
  mucBed,
  occupant,
  onceEach,
  presenceFrom,
  sendGroupchat,
  sendSubject,
  settle,
  statusCodes,
  threeWitches,
  type Element,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol"] });

describe("8.1 modifying the room subject", () => {
  it("a moderator's subject reaches every occupant once, and each newcomer on entering", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "subject");
    await sendSubject(alice, room, "Fire burn and cauldron bubble");
    await settle(room, alice, bob, carol);
    const isSubject = (el: Element) =>
      el.is("message") && el.getChildText("subject") === "Fire burn and cauldron bubble";
    for (const got of onceEach([alice, bob, carol], isSubject).values()) {
      expect(got.attrs).toMatchObject({ from: occupant(room, "Alice"), type: "groupchat" });
      expect(got.getChild("body")).toBeUndefined();
    }
    const dave = await bed.connect("carol");
    const joined = await join(dave, room, "Dave");
    expect(joined.subject.getChildText("subject")).toBe("Fire burn and cauldron bubble");
    expect(joined.subject.attrs.from).toBe(occupant(room, "Alice"));
  });

  it("a participant may not change it (forbidden) unless the room allows it (muc#roomconfig_changesubject)", async () => {
    const { room, alice, bob } = await threeWitches(bed, "subject-denied");
    await sendSubject(bob, room, "Bob's subject");
    const error = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("forbidden");
    await settle(room, alice);
    expect(count(alice, (el) => el.getChildText("subject") === "Bob's subject")).toBe(0);

    const open = await threeWitches(bed, "subject-open", { changesubject: "1" });
    await sendSubject(open.bob, open.room, "Bob's subject");
    const got = await open.alice.waitFor((el) => el.getChildText("subject") === "Bob's subject");
    expect(got.attrs.from).toBe(occupant(open.room, "Bob"));
  });
});

describe("8.2 kicking an occupant", () => {
  it("the kicked occupant gets 307 with 110, actor and reason; the others get 307; the moderator a result; once each", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "kick");
    const seen = marks(alice, bob, carol);
    const reply = await adminSet(alice, room, { nick: "Bob", role: "none", reason: "Avaunt!" });
    expect(reply.attrs.type).toBe("result");
    await settle(room, alice, bob, carol);

    const fromBob = onceEach(seen, fromJid(occupant(room, "Bob")));
    const kicked = fromBob.get(bob)!;
    expect(kicked.attrs.type).toBe("unavailable");
    expect(statusCodes(kicked)).toEqual([110, 307]);
    expect(itemOf(kicked)).toMatchObject({ role: "none", affiliation: "none" });
    const item = kicked.getChild("x")!.getChild("item")!;
    expect(item.getChild("actor")?.attrs.nick).toBe("Alice");
    expect(item.getChildText("reason")).toBe("Avaunt!");

    for (const c of [alice, carol]) {
      const told = fromBob.get(c)!;
      expect(told.attrs.type).toBe("unavailable");
      expect(statusCodes(told)).toEqual([307]);
      expect(told.getChild("x")!.getChild("item")!.getChildText("reason")).toBe("Avaunt!");
    }

    // Bob is out, but not banned: his messages are refused, he may come back.
    await sendGroupchat(bob, room, "still here?");
    const error = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("not-acceptable");
    await join(bob, room, "Bob");
  });

  it("only a moderator may kick (forbidden), and no one may kick an owner or admin of higher affiliation (not-allowed)", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "kick-denied");
    const byParticipant = await adminSet(bob, room, { nick: "Carol", role: "none" });
    expect(errorCondition(byParticipant)).toBe("forbidden");

    expectResult(await adminSet(alice, room, { nick: "Bob", role: "moderator" }));
    const ofOwner = await adminSet(bob, room, { nick: "Alice", role: "none" });
    expect(errorCondition(ofOwner)).toBe("not-allowed");

    await settle(room, alice, carol);
    expect(count(alice, presenceFrom(occupant(room, "Alice"), "unavailable"))).toBe(0);
    expect(count(carol, presenceFrom(occupant(room, "Carol"), "unavailable"))).toBe(0);
  });
});

describe("8.3 and 8.4 granting and revoking voice", () => {
  it("a visitor given voice is seen as participant by everyone, once, and may speak; voice revoked, it is a visitor again", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "voice", { moderatedroom: "1" });

    let seen = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { nick: "Bob", role: "participant" }));
    await settle(room, alice, bob, carol);
    const voiced = onceEach(seen, anyPresenceFrom(occupant(room, "Bob")));
    for (const p of voiced.values()) expect(itemOf(p).role).toBe("participant");
    expect(statusCodes(voiced.get(bob)!)).toEqual([110]);
    await sendGroupchat(bob, room, "at last");
    await carol.waitFor(groupchatBody("at last"));

    seen = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { nick: "Bob", role: "visitor", reason: "Hush" }));
    await settle(room, alice, bob, carol);
    for (const p of onceEach(seen, anyPresenceFrom(occupant(room, "Bob"))).values()) {
      expect(itemOf(p).role).toBe("visitor");
    }
    await sendGroupchat(bob, room, "and again");
    const error = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("forbidden");
  });

  it("a participant may not grant or revoke voice (forbidden)", async () => {
    const { room, bob } = await threeWitches(bed, "voice-denied", { moderatedroom: "1" });
    const reply = await adminSet(bob, room, { nick: "Carol", role: "participant" });
    expect(errorCondition(reply)).toBe("forbidden");
  });
});

describe("8.5 modifying the voice list", () => {
  it("a moderator gets the participants with nick, role and real JID, and changes several at once", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "voicelist", {
      moderatedroom: "1",
    });
    expectResult(
      await adminSet(
        alice,
        room,
        { nick: "Bob", role: "participant" },
        { nick: "Carol", role: "participant" },
      ),
    );
    expect(listItems(await adminGet(alice, room, { role: "participant" }))).toEqual([
      { affiliation: "none", jid: bob.jid, nick: "Bob", role: "participant" },
      { affiliation: "none", jid: carol.jid, nick: "Carol", role: "participant" },
    ]);
    expectResult(await adminSet(alice, room, { nick: "Carol", role: "visitor" }));
    expect(listItems(await adminGet(alice, room, { role: "participant" }))).toEqual([
      { affiliation: "none", jid: bob.jid, nick: "Bob", role: "participant" },
    ]);
  });

  it("a non-moderator may not see it (forbidden)", async () => {
    const { room, bob } = await threeWitches(bed, "voicelist-denied");
    expect(errorCondition(await adminGet(bob, room, { role: "participant" }))).toBe("forbidden");
  });
});
