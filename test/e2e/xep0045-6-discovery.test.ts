// XEP-0045 section 6, service discovery, end to end: the service, its rooms and their features as
// a client sees them through Prosody.
import { describe, expect, it } from "vitest";
import {
  NS,
  createRoom,
  discoInfo,
  errorCondition,
  expectResult,
  features,
  formFields,
  iq,
  join,
  leave,
  mucBed,
  occupant,
  sendSubject,
  xml,
  type Element,
  type TestClient,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol"] });

const discoItems = (client: TestClient, to: string) =>
  iq(client, to, "get", xml("query", { xmlns: NS.discoItems }));

const identities = (reply: Element) =>
  expectResult(reply)
    .getChild("query", NS.discoInfo)!
    .getChildren("identity")
    .map((i) => ({ ...i.attrs }));
const items = (reply: Element) =>
  expectResult(reply)
    .getChild("query", NS.discoItems)!
    .getChildren("item")
    .map((i) => ({ ...i.attrs }));

describe("6.1 discovering a MUC service", () => {
  it("the service is a text conference service that supports the MUC protocol", async () => {
    const carol = await bed.connect("carol");
    const reply = await discoInfo(carol, bed.domain);
    expect(reply.attrs.from).toBe(bed.domain);
    expect(identities(reply)).toContainEqual(
      expect.objectContaining({ category: "conference", type: "text" }),
    );
    expect(features(reply)).toContain(NS.muc);
  });
});

describe("6.3 discovering rooms", () => {
  it("lists public rooms by name, but not hidden or locked ones, nor temporary rooms once empty", async () => {
    const [alice, bob, carol] = await bed.connectAll("alice", "bob", "carol");
    const [lobby, hidden, locked] = ["lobby", "hidden", "locked"].map((l) => bed.room(l));
    await createRoom(alice, lobby!, "Alice", { roomname: "The Lobby" });
    await createRoom(bob, hidden!, "Bob", { publicroom: "0" });
    await join(alice, locked!, "Alice"); // never configured: stays locked (10.1.1)

    const ours = (reply: Element) =>
      items(reply).filter((i) => [lobby, hidden, locked].includes(i.jid));
    expect(ours(await discoItems(carol, bed.domain))).toEqual([{ jid: lobby, name: "The Lobby" }]);

    await leave(alice, lobby!, "Alice"); // the last occupant of a temporary room
    expect(ours(await discoItems(carol, bed.domain))).toEqual([]);
  });
});

describe("6.4 querying for room information", () => {
  it("gives the room's identity, the muc_ features of its configuration and the muc#roominfo form", async () => {
    const [alice, carol] = await bed.connectAll("alice", "carol");
    const room = bed.room("coven");
    await createRoom(alice, room, "Alice", {
      roomname: "The Coven",
      roomdesc: "A place for witches",
    });
    await sendSubject(alice, room, "Toil and trouble");
    await alice.waitFor(
      (el) => el.is("message") && el.getChildText("subject") === "Toil and trouble",
    );

    const reply = await discoInfo(carol, room);
    expect(reply.attrs.from).toBe(room);
    expect(identities(reply)).toEqual([
      { category: "conference", type: "text", name: "The Coven" },
    ]);
    expect(features(reply)).toEqual(
      expect.arrayContaining([
        NS.muc,
        "muc_temporary",
        "muc_public",
        "muc_open",
        "muc_unmoderated",
        "muc_unsecured",
        "muc_semianonymous",
      ]),
    );
    const form = reply.getChild("query", NS.discoInfo)!.getChild("x", NS.data)!;
    expect(form.attrs.type).toBe("result");
    const info = formFields(form);
    expect(info.get("FORM_TYPE")).toEqual([NS.roominfo]);
    expect(info.get("muc#roominfo_description")).toEqual(["A place for witches"]);
    expect(info.get("muc#roominfo_occupants")).toEqual(["1"]);
    expect(info.get("muc#roominfo_subject")).toEqual(["Toil and trouble"]);
  });

  it("lists the opposite features for the opposite configuration", async () => {
    const [alice, carol] = await bed.connectAll("alice", "carol");
    const room = bed.room("private");
    await createRoom(alice, room, "Alice", {
      persistentroom: "1",
      publicroom: "0",
      membersonly: "1",
      moderatedroom: "1",
      passwordprotectedroom: "1",
      roomsecret: "s3cret",
      whois: "anyone",
    });
    const f = features(await discoInfo(carol, room));
    expect(f).toEqual(
      expect.arrayContaining([
        "muc_persistent",
        "muc_hidden",
        "muc_membersonly",
        "muc_moderated",
        "muc_passwordprotected",
        "muc_nonanonymous",
      ]),
    );
    for (const opposite of ["muc_temporary", "muc_public", "muc_open", "muc_unsecured"]) {
      expect(f).not.toContain(opposite);
    }
  });

  it("answers item-not-found for a room that does not exist", async () => {
    const carol = await bed.connect("carol");
    const reply = await discoInfo(carol, bed.room("nowhere"));
    expect(errorCondition(reply)).toBe("item-not-found");
  });
});

describe("6.5 querying for room items", () => {
  it("answers with a result, without giving away the occupants' nicknames", async () => {
    const [alice, carol] = await bed.connectAll("alice", "carol");
    const room = bed.room("items");
    await createRoom(alice, room, "Alice");
    const reply = await discoItems(carol, room);
    // The XEP allows listing occupants but not in semi-anonymous rooms; an empty list is fine.
    expect(items(reply).map((i) => i.jid)).not.toContain(occupant(room, "Alice"));
  });
});

describe("unknown queries", () => {
  it("an unknown iq to the service or to a room gets service-unavailable, and the worker stays ready", async () => {
    const [alice, carol] = await bed.connectAll("alice", "carol");
    const room = bed.room("unknown");
    await createRoom(alice, room, "Alice");
    const unknown = () => xml("query", { xmlns: "urn:example:unknown" });
    for (const to of [bed.domain, room]) {
      for (const type of ["get", "set"] as const) {
        const reply = await iq(carol, to, type, unknown());
        expect(reply.attrs.from).toBe(to);
        expect(errorCondition(reply)).toBe("service-unavailable");
      }
    }
    expect((await bed.service.get("/readyz")).status).toBe(200);
  });
});
