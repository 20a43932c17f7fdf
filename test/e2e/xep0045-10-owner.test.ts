// XEP-0045 section 10, owner use cases, end to end: creating (locked until configured), the
// muc#roomconfig form, reconfiguring, the owner and admin lists, destroying, and the lifetime of
// temporary and persistent rooms (the latter across a restart of the worker).
import { describe, expect, it } from "vitest";
import {
  NS,
  adminGet,
  adminSet,
  anyPresenceFrom,
  bare,
  configForm,
  configure,
  createRoom,
  discoInfo,
  errorCondition,
  expectResult,
  features,
  formFields,
  instantRoom,
  iq,
  itemOf,
  join,
  joinError,
  leave,
  listItems,
  marks,
  mucBed,
  occupant,
  once,
  onceEach,
  settle,
  statusCodes,
  threeWitches,
  xml,
  type Element,
  type TestClient,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol", "dave"] });

const ownerSet = (client: TestClient, room: string, ...children: Element[]) =>
  iq(client, room, "set", xml("query", { xmlns: NS.mucOwner }, ...children));
/** The affiliation and role an occupant's presence shows. */
const standing = (p: Element) => [itemOf(p).affiliation, itemOf(p).role];

describe("10.1 creating a room", () => {
  it("10.1.1: entering a room that does not exist creates it: 201 with 110, owner and moderator, locked for others", async () => {
    const room = bed.room("new");
    const [alice, bob] = await bed.connectAll("alice", "bob");
    const created = await join(alice, room, "Alice");
    expect(created.self.attrs.from).toBe(occupant(room, "Alice"));
    expect(statusCodes(created.self)).toEqual([110, 201]);
    expect(itemOf(created.self)).toMatchObject({ affiliation: "owner", role: "moderator" });
    expect(created.others).toEqual([]);
    expect(created.history).toEqual([]);
    expect(errorCondition(await joinError(bob, room, "Bob"))).toBe("item-not-found");
  });

  it("10.1.2: an empty submitted form makes an instant room with the default configuration", async () => {
    const room = bed.room("instant");
    const [alice, bob] = await bed.connectAll("alice", "bob");
    await join(alice, room, "Alice");
    const reply = await instantRoom(alice, room);
    expect(reply.attrs).toMatchObject({ type: "result", from: room });
    await join(bob, room, "Bob");
    const defaults = formFields(await configForm(alice, room));
    expect(defaults.get("muc#roomconfig_persistentroom")).toEqual(["0"]);
    expect(defaults.get("muc#roomconfig_membersonly")).toEqual(["0"]);
    expect(defaults.get("muc#roomconfig_passwordprotectedroom")).toEqual(["0"]);
  });

  it("10.1.3: a reserved room: the owner gets the muc#roomconfig form, submits it, and the room is configured so", async () => {
    const room = bed.room("reserved");
    const [alice, carol] = await bed.connectAll("alice", "carol");
    await join(alice, room, "Alice");
    const form = await configForm(alice, room);
    expect(form.attrs.type).toBe("form");
    const fields = new Map(form.getChildren("field").map((f) => [f.attrs.var, f.attrs.type]));
    expect(fields.get("FORM_TYPE")).toBe("hidden");
    expect(formFields(form).get("FORM_TYPE")).toEqual([NS.roomconfig]);
    // The fields of 10.2 (example 163) and their types (15.5.3).
    expect(Object.fromEntries(fields)).toMatchObject({
      "muc#roomconfig_roomname": "text-single",
      "muc#roomconfig_roomdesc": "text-single",
      "muc#roomconfig_persistentroom": "boolean",
      "muc#roomconfig_publicroom": "boolean",
      "muc#roomconfig_membersonly": "boolean",
      "muc#roomconfig_moderatedroom": "boolean",
      "muc#roomconfig_passwordprotectedroom": "boolean",
      "muc#roomconfig_roomsecret": "text-private",
      "muc#roomconfig_maxusers": "list-single",
      "muc#roomconfig_whois": "list-single",
      "muc#roomconfig_changesubject": "boolean",
      "muc#roomconfig_allowinvites": "boolean",
      "muc#roomconfig_allowpm": "list-single",
      "muc#roomconfig_presencebroadcast": "list-multi",
      "muc#roomconfig_roomowners": "jid-multi",
      "muc#roomconfig_roomadmins": "jid-multi",
    });

    expectResult(
      await configure(alice, room, {
        roomname: "The Coven",
        roomdesc: "Witches only",
        moderatedroom: "1",
        maxusers: "20",
        whois: "anyone",
        roomadmins: ["dave@localhost"],
      }),
    );
    const after = formFields(await configForm(alice, room));
    expect(after.get("muc#roomconfig_roomname")).toEqual(["The Coven"]);
    expect(after.get("muc#roomconfig_roomdesc")).toEqual(["Witches only"]);
    expect(after.get("muc#roomconfig_moderatedroom")).toEqual(["1"]);
    expect(after.get("muc#roomconfig_maxusers")).toEqual(["20"]);
    expect(after.get("muc#roomconfig_whois")).toEqual(["anyone"]);
    expect(after.get("muc#roomconfig_roomadmins")).toEqual(["dave@localhost"]);
    expect(features(await discoInfo(carol, room))).toEqual(
      expect.arrayContaining(["muc_moderated", "muc_nonanonymous"]),
    );
    // Unlocked, and configured: a newcomer is a visitor of the moderated room.
    const joined = await join(carol, room, "Carol");
    expect(itemOf(joined.self).role).toBe("visitor");
    expect(statusCodes(joined.self)).toEqual([100, 110]);
  });

  it("10.1.3: cancelling the initial configuration destroys the room, and its owner is told", async () => {
    const room = bed.room("cancelled");
    const [alice, carol] = await bed.connectAll("alice", "carol");
    await join(alice, room, "Alice");
    const reply = await ownerSet(alice, room, xml("x", { xmlns: NS.data, type: "cancel" }));
    expect(reply.attrs.type).toBe("result");
    const gone = alice.received.filter(anyPresenceFrom(occupant(room, "Alice")));
    expect(gone.at(-1)!.attrs.type).toBe("unavailable");
    expect(errorCondition(await discoInfo(carol, room))).toBe("item-not-found");
  });
});

describe("10.2 subsequent room configuration", () => {
  it("every occupant is told once, by the room, with 104 (and 172 when it becomes non-anonymous)", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "reconfigure");
    const isNotice = (el: Element) =>
      el.is("message") && el.attrs.from === room && statusCodes(el).length > 0;
    expectResult(await configure(alice, room, { roomname: "Renamed" }));
    await settle(room, alice, bob, carol);
    for (const notice of onceEach([alice, bob, carol], isNotice).values()) {
      expect(statusCodes(notice)).toEqual([104]);
      expect(notice.attrs.type).toBe("groupchat");
      expect(notice.getChild("body")).toBeUndefined();
    }
    expectResult(await configure(alice, room, { whois: "anyone" }));
    await settle(room, alice, bob, carol);
    for (const c of [alice, bob, carol]) {
      expect(c.received.filter(isNotice).map(statusCodes)).toEqual([[104], [104, 172]]);
    }
  });

  it("only an owner may get or submit the form (forbidden); invalid values are refused (not-acceptable)", async () => {
    const { room, alice, bob } = await threeWitches(bed, "config-denied");
    expect(errorCondition(await iq(bob, room, "get", xml("query", { xmlns: NS.mucOwner })))).toBe(
      "forbidden",
    );
    expect(errorCondition(await configure(bob, room, { roomname: "Bob's" }))).toBe("forbidden");
    expect(errorCondition(await configure(alice, room, { whois: "everybody" }))).toBe(
      "not-acceptable",
    );
    expect(
      errorCondition(await configure(alice, room, { passwordprotectedroom: "1", roomsecret: "" })),
    ).toBe("not-acceptable");
    // Nothing of the refused submissions was applied.
    const now = formFields(await configForm(alice, room));
    expect(now.get("muc#roomconfig_roomname")).toEqual([""]);
    expect(now.get("muc#roomconfig_whois")).toEqual(["moderators"]);
  });
});

describe("10.3 to 10.8 owners and admins", () => {
  it("granting ownership shows the occupant as owner to everyone once; the owner list has both; revoking it undoes that", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "owners");
    let seen = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "owner" }));
    await settle(room, alice, bob, carol);
    for (const p of onceEach(seen, anyPresenceFrom(occupant(room, "Bob"))).values()) {
      expect(standing(p)).toEqual(["owner", "moderator"]);
    }
    expect(listItems(await adminGet(alice, room, { affiliation: "owner" }))).toEqual([
      { jid: bare(alice.jid), affiliation: "owner" },
      { jid: bare(bob.jid), affiliation: "owner" },
    ]);
    // The new owner may configure the room.
    expectResult(await configure(bob, room, { roomname: "Bob's too" }));

    seen = marks(alice, bob, carol);
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "none" }));
    await settle(room, alice, bob, carol);
    expect(standing(once(carol, anyPresenceFrom(occupant(room, "Bob")), seen))).toEqual([
      "none",
      "participant",
    ]);
    expect(listItems(await adminGet(alice, room, { affiliation: "owner" }))).toEqual([
      { jid: bare(alice.jid), affiliation: "owner" },
    ]);
  });

  it("the last owner may not step down (conflict)", async () => {
    const { room, alice } = await threeWitches(bed, "last-owner");
    const reply = await adminSet(alice, room, { jid: bare(alice.jid), affiliation: "admin" });
    expect(errorCondition(reply)).toBe("conflict");
  });

  it("granting admin status shows the occupant as admin and moderator; the admin list has it; an admin may not make admins (not-allowed)", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "admins");
    const seen = marks(bob);
    expectResult(await adminSet(alice, room, { jid: bare(carol.jid), affiliation: "admin" }));
    await settle(room, bob);
    expect(standing(once(bob, anyPresenceFrom(occupant(room, "Carol")), seen))).toEqual([
      "admin",
      "moderator",
    ]);
    // The form lists admins too (10.2): adding one there is the same as 10.6.
    expectResult(await configure(alice, room, { roomadmins: [bare(carol.jid), "dave@localhost"] }));
    expect(listItems(await adminGet(alice, room, { affiliation: "admin" }))).toEqual([
      { jid: bare(carol.jid), affiliation: "admin" },
      { jid: "dave@localhost", affiliation: "admin" },
    ]);
    expect(
      errorCondition(await adminSet(carol, room, { jid: bare(bob.jid), affiliation: "admin" })),
    ).toBe("not-allowed");
    expectResult(await adminSet(alice, room, { jid: "dave@localhost", affiliation: "none" }));
    expect(
      listItems(await adminGet(alice, room, { affiliation: "admin" })).map((i) => i.jid),
    ).toEqual([bare(carol.jid)]);
  });
});

describe("10.9 destroying a room", () => {
  it("every occupant is removed once with <destroy/>, the reason and the alternate venue; the owner gets a result; the room is gone", async () => {
    const { room, alice, bob, carol } = await threeWitches(bed, "doomed");
    const venue = bed.room("venue");
    expect(
      errorCondition(await ownerSet(bob, room, xml("destroy", {}, xml("reason", {}, "mine")))),
    ).toBe("forbidden");
    const seen = marks(alice, bob, carol);
    const reply = await ownerSet(
      alice,
      room,
      xml("destroy", { jid: venue }, xml("reason", {}, "Macbeth doth come")),
    );
    expect(reply.attrs).toMatchObject({ type: "result", from: room });
    await settle(room, alice, bob, carol);
    const nicks = new Map([
      [alice, "Alice"],
      [bob, "Bob"],
      [carol, "Carol"],
    ]);
    for (const [c, removed] of onceEach(seen, (el) => el.is("presence"))) {
      // Each occupant is told of its own removal only (as with Prosody's MUC): the room is gone.
      expect(removed.attrs.from).toBe(occupant(room, nicks.get(c)!));
      expect(removed.attrs.type).toBe("unavailable");
      expect(itemOf(removed)).toMatchObject({ affiliation: "none", role: "none" });
      const destroy = removed.getChild("x", NS.mucUser)!.getChild("destroy")!;
      expect(destroy.attrs.jid).toBe(venue);
      expect(destroy.getChildText("reason")).toBe("Macbeth doth come");
    }
    expect(errorCondition(await discoInfo(carol, room))).toBe("item-not-found");
    // Entering again creates a new room.
    expect(statusCodes((await join(bob, room, "Bob")).self)).toEqual([110, 201]);
  });
});

describe("room lifetime", () => {
  it("a temporary room vanishes with its last occupant, with its affiliations", async () => {
    const room = bed.room("temporary");
    const [alice, bob, carol] = await bed.connectAll("alice", "bob", "carol");
    await createRoom(alice, room, "Alice");
    expectResult(await adminSet(alice, room, { jid: bare(carol.jid), affiliation: "outcast" }));
    await join(bob, room, "Bob");
    await leave(alice, room, "Alice");
    expect(expectResult(await discoInfo(carol, room))).toBeDefined(); // Bob is still there
    await leave(bob, room, "Bob");
    expect(errorCondition(await discoInfo(carol, room))).toBe("item-not-found");
    // A new room: Carol creates it and owns it; the old ban is gone with the old room.
    const again = await join(carol, room, "Carol");
    expect(statusCodes(again.self)).toEqual([110, 201]);
  });

  it("a persistent room outlives its occupants and a restart of the worker, configuration and affiliations included", async () => {
    const room = bed.room("persistent");
    const [alice, bob, carol] = await bed.connectAll("alice", "bob", "carol");
    await createRoom(alice, room, "Alice", {
      persistentroom: "1",
      roomname: "The Hall",
      membersonly: "1",
    });
    expectResult(await adminSet(alice, room, { jid: bare(bob.jid), affiliation: "member" }));
    await join(bob, room, "Bob");
    await leave(bob, room, "Bob");
    await leave(alice, room, "Alice");

    await bed.restartService();
    expect((await bed.service.get("/readyz")).status).toBe(200);

    const info = await discoInfo(carol, room);
    expect(features(info)).toEqual(expect.arrayContaining(["muc_persistent", "muc_membersonly"]));
    const identity = info.getChild("query", NS.discoInfo)!.getChild("identity")!;
    expect(identity.attrs.name).toBe("The Hall");
    expect(errorCondition(await joinError(carol, room, "Carol"))).toBe("registration-required");
    const back = await join(bob, room, "Bob");
    expect(statusCodes(back.self)).toEqual([110]); // not 201: the room was there
    expect(itemOf(back.self).affiliation).toBe("member");
    const owner = await join(alice, room, "Alice");
    expect(itemOf(owner.self).affiliation).toBe("owner");
    expect(formFields(await configForm(alice, room)).get("muc#roomconfig_roomname")).toEqual([
      "The Hall",
    ]);
    // Making it temporary again: it goes with its last occupant.
    expectResult(await configure(alice, room, { persistentroom: "0" }));
    await leave(bob, room, "Bob");
    await leave(alice, room, "Alice");
    expect(errorCondition(await discoInfo(carol, room))).toBe("item-not-found");
  });
});
