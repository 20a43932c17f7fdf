// XEP-0421 occupant ids, XEP-0410 self-ping, and occupants whose client is gone (XEP-0045 status
// 333), end to end through Prosody.
import { describe, expect, it } from "vitest";
import {
  NS,
  adminSet,
  aliceAndBob,
  anyPresenceFrom,
  count,
  discoInfo,
  errorCondition,
  expectResult,
  features,
  formFields,
  groupchatBody,
  join,
  leave,
  mucBed,
  occupant,
  ping,
  presenceFrom,
  sendGroupchat,
  settle,
  statusCodes,
  xml,
  type Element,
  type TestClient,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol"] });

const occupantIdOf = (el: Element): string | undefined => {
  const ids = el.getChildren("occupant-id", NS.occupantId);
  if (ids.length > 1) throw new Error(`several occupant-ids in ${el.toString()}`);
  return ids[0]?.attrs.id;
};

describe("XEP-0421 anonymous unique occupant identifiers", () => {
  it("the room advertises occupant ids", async () => {
    const { room, alice } = await aliceAndBob(bed, "oid-feature");
    expect(features(await discoInfo(alice, room))).toContain(NS.occupantId);
  });

  it("each occupant's presence and messages carry one id, the same for every viewer, stable per real bare JID", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "oid");
    const bobsPresence = (c: TestClient) =>
      c.received.find(anyPresenceFrom(occupant(room, "Bob")))!;
    const bobId = occupantIdOf(bobsPresence(alice));
    expect(bobId).toBeTruthy();
    expect(occupantIdOf(bobsPresence(bob))).toBe(bobId);
    const aliceId = occupantIdOf(alice.received.find(anyPresenceFrom(occupant(room, "Alice")))!);
    expect(aliceId).toBeTruthy();
    expect(aliceId).not.toBe(bobId);

    // Section 3: the id in a message, and the room replaces what a client claims.
    await bob.send(
      xml(
        "message",
        { to: room, type: "groupchat" },
        xml("body", {}, "who am I?"),
        xml("occupant-id", { xmlns: NS.occupantId, id: aliceId }),
      ),
    );
    const [toAlice, toBob] = await Promise.all(
      [alice, bob].map((c) => c.waitFor(groupchatBody("who am I?"))),
    );
    expect(occupantIdOf(toAlice!)).toBe(bobId);
    expect(occupantIdOf(toBob!)).toBe(bobId);

    // The same after a nick change, after leaving and coming back, and for another resource.
    await bob.send(xml("presence", { to: occupant(room, "Robert") }));
    const renamed = await alice.waitFor(presenceFrom(occupant(room, "Robert")));
    expect(occupantIdOf(renamed)).toBe(bobId);
    await leave(bob, room, "Robert");
    const back = await join(bob, room, "Bob");
    expect(occupantIdOf(back.self)).toBe(bobId);
    const bobElsewhere = await bed.connect("bob");
    const second = await join(bobElsewhere, room, "Bob2");
    expect(occupantIdOf(second.self)).toBe(bobId);
  });

  it("ids of one user in two rooms differ (section 4: not correlatable)", async () => {
    const first = await aliceAndBob(bed, "oid-a");
    const second = await aliceAndBob(bed, "oid-b");
    const idIn = (room: string, c: TestClient) =>
      occupantIdOf(c.received.find(anyPresenceFrom(occupant(room, "Bob")))!);
    expect(idIn(first.room, first.alice)).not.toBe(idIn(second.room, second.alice));
  });
});

describe("XEP-0410 MUC self-ping", () => {
  it("the room advertises the optimisation and answers a joined occupant's ping itself", async () => {
    const { room, bob } = await aliceAndBob(bed, "ping");
    expect(features(await discoInfo(bob, room))).toContain(
      "http://jabber.org/protocol/muc#self-ping-optimization",
    );
    const reply = await ping(bob, occupant(room, "Bob"));
    expect(reply.attrs).toMatchObject({ type: "result", from: occupant(room, "Bob") });
    // Answered by the room: the ping was not relayed to Bob's client.
    expect(count(bob, (el) => el.is("iq") && el.attrs.type === "get")).toBe(0);
  });

  it("refuses a client that is not joined (not-acceptable): never joined, left, or kicked", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "ping-gone");
    const carol = await bed.connect("carol");
    expect(errorCondition(await ping(carol, occupant(room, "Carol")))).toBe("not-acceptable");
    expect(errorCondition(await ping(carol, occupant(room, "Bob")))).toBe("not-acceptable");

    await join(carol, room, "Carol");
    await leave(carol, room, "Carol");
    expect(errorCondition(await ping(carol, occupant(room, "Carol")))).toBe("not-acceptable");

    expectResult(await adminSet(alice, room, { nick: "Bob", role: "none" }));
    expect(errorCondition(await ping(bob, occupant(room, "Bob")))).toBe("not-acceptable");
  });

  it("answers item-not-found to a joined client pinging a nickname no longer in the room", async () => {
    // Section 3: item-not-found tells the client it is joined under another nickname now.
    // Prosody's MUC answers a ping to an absent nickname so ("Recipient not in room").
    const { room, bob } = await aliceAndBob(bed, "ping-renamed");
    await bob.send(xml("presence", { to: occupant(room, "Robert") }));
    await bob.waitFor(presenceFrom(occupant(room, "Robert")));
    expect(errorCondition(await ping(bob, occupant(room, "Bob")))).toBe("item-not-found");
    expect(expectResult(await ping(bob, occupant(room, "Robert")))).toBeDefined();
  });
});

describe("occupants whose client is gone (XEP-0045 status 333)", () => {
  it("a client that drops its connection is taken out by its server's unavailable presence: a normal exit, once", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "abort");
    bob.abort();
    const seen = await alice.waitFor(presenceFrom(occupant(room, "Bob"), "unavailable"));
    expect(statusCodes(seen)).toEqual([]);
    await settle(room, alice);
    expect(count(alice, presenceFrom(occupant(room, "Bob"), "unavailable"))).toBe(1);
    const info = await discoInfo(alice, room);
    const form = info.getChild("query", NS.discoInfo)!.getChild("x", NS.data)!;
    expect(formFields(form).get("muc#roominfo_occupants")).toEqual(["1"]);
  });

  it("a client gone while no worker was connected is removed with 333 when the room's stanzas to it bounce", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "ghost");
    // Bob's other session sees Bob's own presence come and go: the server has done with him.
    const watcher = await bed.connect("bob");
    await watcher.send(xml("presence"));
    await bob.send(xml("presence"));
    await watcher.waitFor((el) => el.is("presence") && el.attrs.from === bob.jid);

    await bed.stopService();
    bob.abort(); // Prosody's unavailable presence to the room finds no component: lost
    await watcher.waitFor(
      (el) => el.is("presence") && el.attrs.from === bob.jid && el.attrs.type === "unavailable",
    );
    await bed.startService();

    // The room still counts Bob; its next message to him bounces (service-unavailable).
    await sendGroupchat(alice, room, "anyone there?");
    const removed = await alice.waitFor(presenceFrom(occupant(room, "Bob"), "unavailable"));
    expect(statusCodes(removed)).toEqual([333]);
    const item = removed.getChild("x", NS.mucUser)!.getChild("item")!;
    expect(item.attrs.role).toBe("none");
    await settle(room, alice);
    expect(count(alice, presenceFrom(occupant(room, "Bob"), "unavailable"))).toBe(1);

    // Gone for good: the nickname is free again.
    const bobAgain = await bed.connect("bob");
    await join(bobAgain, room, "Bob");
  });

  it("an error that does not say the client is gone leaves the occupant in", async () => {
    const { room, alice, bob } = await aliceAndBob(bed, "not-ghost");
    await bob.send(
      xml(
        "message",
        { to: occupant(room, "Alice"), type: "error" },
        xml("error", { type: "cancel" }, xml("feature-not-implemented", { xmlns: NS.stanzas })),
      ),
    );
    await sendGroupchat(alice, room, "still with us?");
    await bob.waitFor(groupchatBody("still with us?"));
    await settle(room, alice, bob);
    expect(count(alice, presenceFrom(occupant(room, "Bob"), "unavailable"))).toBe(0);
  });
});
