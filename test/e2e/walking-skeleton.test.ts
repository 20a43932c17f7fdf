// The walking skeleton through a real Prosody with real clients: join, see each other, chat,
// leave; the worker restarts between two messages and the room lives on in Redis.
import { describe, expect, it } from "vitest";
import {
  NS,
  groupchatBody,
  instantRoom,
  joinPresence,
  mucBed,
  occupant,
  presenceFrom,
  xml,
  type Element,
  type TestClient,
} from "../harness/muc.js";

const bed = mucBed({ users: ["alice", "bob", "carol"] });
const ROOM = bed.room("skeleton");

const isPresenceFrom = (nick: string, type?: string) => presenceFrom(occupant(ROOM, nick), type);
const codes = (el: Element) =>
  (el.getChild("x", NS.mucUser)?.getChildren("status") ?? []).map((s) => s.attrs.code);

describe("walking skeleton", () => {
  let alice: TestClient;
  let bob: TestClient;

  it("lets a user create a room by joining it", async () => {
    alice = await bed.connect("alice");
    await alice.send(joinPresence(ROOM, "Alice"));
    const self = await alice.waitFor(isPresenceFrom("Alice"));
    expect(codes(self)).toEqual(["110", "201"]);
    const subject = await alice.waitFor(
      (el) => el.is("message") && el.getChild("subject") !== undefined,
    );
    expect(subject.getChildText("subject")).toBe("");
    // XEP-0045 10.1.2: the new room stays locked until its owner accepts an instant room.
    const result = await instantRoom(alice, ROOM);
    expect(result.attrs.type).toBe("result");
  });

  it("shows a second user the first, and the first the second", async () => {
    bob = await bed.connect("bob");
    await bob.send(joinPresence(ROOM, "Bob"));
    await bob.waitFor(isPresenceFrom("Alice"));
    const bobSelf = await bob.waitFor(isPresenceFrom("Bob"));
    expect(codes(bobSelf)).toEqual(["110"]);
    const seen = await alice.waitFor(isPresenceFrom("Bob"));
    // Alice is a moderator of a semi-anonymous room: she sees Bob's real JID.
    expect(seen.getChild("x", NS.mucUser)!.getChild("item")!.attrs.jid).toBe(bob.jid);
    // The service answers: the bare room address in the presence order of XEP-0045 7.2.3.
    const bobPresences = bob.received.filter((el) => el.is("presence")).map((el) => el.attrs.from);
    expect(bobPresences).toEqual([occupant(ROOM, "Alice"), occupant(ROOM, "Bob")]);
  });

  it("delivers groupchat to every occupant, sender included, once", async () => {
    await alice.send(
      xml("message", { to: ROOM, type: "groupchat", id: "m1" }, xml("body", {}, "hello bob")),
    );
    const [toAlice, toBob] = await Promise.all([
      alice.waitFor(groupchatBody("hello bob")),
      bob.waitFor(groupchatBody("hello bob")),
    ]);
    expect(toAlice.attrs.from).toBe(occupant(ROOM, "Alice"));
    expect(toBob.getChild("stanza-id", NS.sid)!.attrs.by).toBe(ROOM);
  });

  it("keeps the room across a worker restart (SIGTERM drains and exits 0)", async () => {
    await bed.stopService();
    expect((await bed.service.process.exited).code).toBe(0);
    await bed.startService();
    await bob.send(xml("message", { to: ROOM, type: "groupchat" }, xml("body", {}, "still here?")));
    await Promise.all([
      alice.waitFor(groupchatBody("still here?")),
      bob.waitFor(groupchatBody("still here?")),
    ]);
  });

  it("keeps the room across a worker crash (SIGKILL), history included", async () => {
    bed.service.process.signal("SIGKILL");
    await bed.service.process.exited;
    await bed.startService();
    const carol = await bed.connect("carol");
    await carol.send(joinPresence(ROOM, "Carol"));
    await carol.waitFor(isPresenceFrom("Carol"));
    const history = [
      await carol.waitFor(groupchatBody("hello bob")),
      await carol.waitFor(groupchatBody("still here?")),
    ];
    for (const m of history) expect(m.getChild("delay", NS.delay)).toBeDefined();
    await carol.waitFor((el) => el.is("message") && el.getChild("subject") !== undefined);
    // 7.2.3: the others first (in no particular order), the newcomer's own presence last.
    const presences = carol.received.filter((el) => el.is("presence")).map((el) => el.attrs.from);
    expect(presences.at(-1)).toBe(occupant(ROOM, "Carol"));
    expect(presences.slice(0, -1).sort()).toEqual([occupant(ROOM, "Alice"), occupant(ROOM, "Bob")]);
  });

  it("tells the others when a user leaves", async () => {
    await bob.send(xml("presence", { to: occupant(ROOM, "Bob"), type: "unavailable" }));
    const own = await bob.waitFor(isPresenceFrom("Bob", "unavailable"));
    expect(codes(own)).toEqual(["110"]);
    const seen = await alice.waitFor(isPresenceFrom("Bob", "unavailable"));
    expect(seen.getChild("x", NS.mucUser)!.getChild("item")!.attrs.role).toBe("none");
  });

  it("serves /healthz, /readyz and /metrics", async () => {
    expect(await bed.service.get("/healthz")).toMatchObject({ status: 200 });
    expect(await bed.service.get("/readyz")).toMatchObject({ status: 200 });
    const metrics = await bed.service.get("/metrics");
    expect(metrics.body).toMatch(
      /fedmuc_stanzas_handled_total\{name="presence",outcome="ok"\} [1-9]/,
    );
    expect(metrics.body).toContain("fedmuc_component_online 1");
    expect(metrics.body).toMatch(/fedmuc_component_stanzas_in [1-9]/);
    expect(metrics.body).toMatch(/fedmuc_component_queued_bytes 0/);
  });
});
