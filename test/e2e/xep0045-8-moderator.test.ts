// XEP-0045 section 8, moderator use cases, end to end: the subject, kicking, voice and the voice
// list, as the occupants see them through Prosody.
import { describe, expect, it } from "vitest";
import {
  adminGet,
  adminSet,
  count,
  createRoom,
  errorCondition,
  expectResult,
  groupchatBody,
  itemOf,
  join,
  listItems,
  mucBed,
  occupant,
  presenceFrom,
  sendGroupchat,
  sendSubject,
  settle,
  statusCodes,
  type Element,
  type FormValues,
  type TestClient,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol"] });

/** A room owned by Alice (moderator), with Bob and Carol in it. */
async function threeWitches(label: string, config?: FormValues) {
  const room = bed.room(label);
  const [alice, bob, carol] = await bed.connectAll("alice", "bob", "carol");
  await createRoom(alice, room, "Alice", config);
  await join(bob, room, "Bob");
  await join(carol, room, "Carol");
  await settle(room, alice, bob, carol);
  return { room, alice, bob, carol };
}

/** What `client` got from `jid` since `mark`. */
const fromSince = (client: TestClient, mark: number, jid: string): Element[] =>
  client.received.slice(mark).filter((el) => el.attrs.from === jid);

const marks = (...clients: TestClient[]) => clients.map((c) => c.received.length);

describe("8.1 modifying the room subject", () => {
  it("a moderator's subject reaches every occupant once, and each newcomer on entering", async () => {
    const { room, alice, bob, carol } = await threeWitches("subject");
    await sendSubject(alice, room, "Fire burn and cauldron bubble");
    await settle(room, alice, bob, carol);
    for (const c of [alice, bob, carol]) {
      const got = c.received.filter(
        (el) => el.is("message") && el.getChildText("subject") === "Fire burn and cauldron bubble",
      );
      expect(got).toHaveLength(1);
      expect(got[0]!.attrs).toMatchObject({ from: occupant(room, "Alice"), type: "groupchat" });
      expect(got[0]!.getChild("body")).toBeUndefined();
    }
    const dave = await bed.connect("carol");
    const joined = await join(dave, room, "Dave");
    expect(joined.subject.getChildText("subject")).toBe("Fire burn and cauldron bubble");
    expect(joined.subject.attrs.from).toBe(occupant(room, "Alice"));
  });

  it("a participant may not change it (forbidden) unless the room allows it (muc#roomconfig_changesubject)", async () => {
    const { room, alice, bob } = await threeWitches("subject-denied");
    await sendSubject(bob, room, "Bob's subject");
    const error = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("forbidden");
    await settle(room, alice);
    expect(count(alice, (el) => el.getChildText("subject") === "Bob's subject")).toBe(0);

    const open = await threeWitches("subject-open", { changesubject: "1" });
    await sendSubject(open.bob, open.room, "Bob's subject");
    const got = await open.alice.waitFor((el) => el.getChildText("subject") === "Bob's subject");
    expect(got.attrs.from).toBe(occupant(open.room, "Bob"));
  });
});

describe("8.2 kicking an occupant", () => {
  it("the kicked occupant gets 307 with 110, actor and reason; the others get 307; the moderator a result; once each", async () => {
    const { room, alice, bob, carol } = await threeWitches("kick");
    const [ma, mb, mc] = marks(alice, bob, carol);
    const reply = await adminSet(alice, room, { nick: "Bob", role: "none", reason: "Avaunt!" });
    expect(reply.attrs.type).toBe("result");
    await settle(room, alice, bob, carol);

    const kicked = fromSince(bob, mb!, occupant(room, "Bob"));
    expect(kicked).toHaveLength(1);
    expect(kicked[0]!.attrs.type).toBe("unavailable");
    expect(statusCodes(kicked[0]!)).toEqual([110, 307]);
    expect(itemOf(kicked[0]!)).toMatchObject({ role: "none", affiliation: "none" });
    const item = kicked[0]!.getChild("x")!.getChild("item")!;
    expect(item.getChild("actor")?.attrs.nick).toBe("Alice");
    expect(item.getChildText("reason")).toBe("Avaunt!");

    for (const [c, m] of [
      [alice, ma],
      [carol, mc],
    ] as const) {
      const seen = fromSince(c, m!, occupant(room, "Bob"));
      expect(seen).toHaveLength(1);
      expect(seen[0]!.attrs.type).toBe("unavailable");
      expect(statusCodes(seen[0]!)).toEqual([307]);
      expect(seen[0]!.getChild("x")!.getChild("item")!.getChildText("reason")).toBe("Avaunt!");
    }

    // Bob is out, but not banned: his messages are refused, he may come back.
    await sendGroupchat(bob, room, "still here?");
    const error = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("not-acceptable");
    await join(bob, room, "Bob");
  });

  it("only a moderator may kick (forbidden), and no one may kick an owner or admin of higher affiliation (not-allowed)", async () => {
    const { room, alice, bob, carol } = await threeWitches("kick-denied");
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
    const { room, alice, bob, carol } = await threeWitches("voice", { moderatedroom: "1" });
    const roleOfBob = (c: TestClient, m: number) =>
      fromSince(c, m, occupant(room, "Bob"))
        .filter((el) => el.is("presence"))
        .map((p) => itemOf(p).role);

    let [ma, mb, mc] = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { nick: "Bob", role: "participant" }));
    await settle(room, alice, bob, carol);
    for (const [c, m] of [
      [alice, ma],
      [bob, mb],
      [carol, mc],
    ] as const) {
      expect(roleOfBob(c, m!)).toEqual(["participant"]);
    }
    const own = fromSince(bob, mb!, occupant(room, "Bob"))[0]!;
    expect(statusCodes(own)).toEqual([110]);
    await sendGroupchat(bob, room, "at last");
    await carol.waitFor(groupchatBody("at last"));

    [ma, mb, mc] = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { nick: "Bob", role: "visitor", reason: "Hush" }));
    await settle(room, alice, bob, carol);
    for (const [c, m] of [
      [alice, ma],
      [bob, mb],
      [carol, mc],
    ] as const) {
      expect(roleOfBob(c, m!)).toEqual(["visitor"]);
    }
    await sendGroupchat(bob, room, "and again");
    const error = await bob.waitFor((el) => el.is("message") && el.attrs.type === "error");
    expect(errorCondition(error)).toBe("forbidden");
  });

  it("a participant may not grant or revoke voice (forbidden)", async () => {
    const { room, bob } = await threeWitches("voice-denied", { moderatedroom: "1" });
    const reply = await adminSet(bob, room, { nick: "Carol", role: "participant" });
    expect(errorCondition(reply)).toBe("forbidden");
  });
});

describe("8.5 modifying the voice list", () => {
  it("a moderator gets the participants with nick, role and real JID, and changes several at once", async () => {
    const { room, alice, bob, carol } = await threeWitches("voicelist", { moderatedroom: "1" });
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
    const { room, bob } = await threeWitches("voicelist-denied");
    expect(errorCondition(await adminGet(bob, room, { role: "participant" }))).toBe("forbidden");
  });
});
