// The walking skeleton through a real Prosody with real clients: join, see each other, chat,
// leave; the worker restarts between two messages and the room lives on in Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, xml, type Element, type TestClient } from "../harness/client.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { startService, type ServiceHandle } from "../harness/service.js";

const MUC_USER = "http://jabber.org/protocol/muc#user";
const SERVICE = { domain: "rooms.localhost", secret: "skeleton-secret" };
const ROOM = `skeleton@${SERVICE.domain}`;

let redis: RedisHandle;
let prosody: ProsodyHandle;
let service: ServiceHandle;
const keyPrefix = uniquePrefix();
const clients: TestClient[] = [];

const start = () =>
  startService({
    componentPort: prosody.componentPort,
    ...SERVICE,
    redisUrl: redis.url,
    keyPrefix,
  });

async function user(name: string): Promise<TestClient> {
  const client = await connectClient({
    port: prosody.c2sPort,
    domain: prosody.domain,
    username: name,
    password: `${name}-pw`,
  });
  clients.push(client);
  return client;
}

const isPresenceFrom = (nick: string, type?: string) => (el: Element) =>
  el.is("presence") && el.attrs.from === `${ROOM}/${nick}` && el.attrs.type === type;
const isBody = (text: string) => (el: Element) =>
  el.is("message") && el.attrs.type === "groupchat" && el.getChildText("body") === text;
const codes = (el: Element) =>
  (el.getChild("x", MUC_USER)?.getChildren("status") ?? []).map((s) => s.attrs.code);

beforeAll(async () => {
  redis = await startRedis();
  prosody = await startProsody({
    components: [SERVICE],
    users: ["alice", "bob", "carol"].map((u) => ({ user: u, password: `${u}-pw` })),
  });
  service = await start();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await service?.stop();
  await prosody?.stop();
  await redis?.stop();
});

describe("walking skeleton", () => {
  let alice: TestClient;
  let bob: TestClient;

  it("lets a user create a room by joining it", async () => {
    alice = await user("alice");
    await alice.send(
      xml(
        "presence",
        { to: `${ROOM}/Alice` },
        xml("x", { xmlns: "http://jabber.org/protocol/muc" }),
      ),
    );
    const self = await alice.waitFor(isPresenceFrom("Alice"));
    expect(codes(self)).toEqual(["110", "201"]);
    const subject = await alice.waitFor(
      (el) => el.is("message") && el.getChild("subject") !== undefined,
    );
    expect(subject.getChildText("subject")).toBe("");
    // XEP-0045 10.1.2: the new room stays locked until its owner accepts an instant room.
    await alice.send(
      xml(
        "iq",
        { to: ROOM, type: "set", id: "instant" },
        xml(
          "query",
          { xmlns: "http://jabber.org/protocol/muc#owner" },
          xml("x", { xmlns: "jabber:x:data", type: "submit" }),
        ),
      ),
    );
    const result = await alice.waitFor((el) => el.is("iq") && el.attrs.id === "instant");
    expect(result.attrs.type).toBe("result");
  });

  it("shows a second user the first, and the first the second", async () => {
    bob = await user("bob");
    await bob.send(
      xml("presence", { to: `${ROOM}/Bob` }, xml("x", { xmlns: "http://jabber.org/protocol/muc" })),
    );
    await bob.waitFor(isPresenceFrom("Alice"));
    const bobSelf = await bob.waitFor(isPresenceFrom("Bob"));
    expect(codes(bobSelf)).toEqual(["110"]);
    const seen = await alice.waitFor(isPresenceFrom("Bob"));
    // Alice is a moderator of a semi-anonymous room: she sees Bob's real JID.
    expect(seen.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBe(bob.jid);
    // The service answers: the bare room address in the presence order of XEP-0045 7.2.3.
    const bobPresences = bob.received.filter((el) => el.is("presence")).map((el) => el.attrs.from);
    expect(bobPresences).toEqual([`${ROOM}/Alice`, `${ROOM}/Bob`]);
  });

  it("delivers groupchat to every occupant, sender included, once", async () => {
    await alice.send(
      xml("message", { to: ROOM, type: "groupchat", id: "m1" }, xml("body", {}, "hello bob")),
    );
    const [toAlice, toBob] = await Promise.all([
      alice.waitFor(isBody("hello bob")),
      bob.waitFor(isBody("hello bob")),
    ]);
    expect(toAlice.attrs.from).toBe(`${ROOM}/Alice`);
    expect(toBob.getChild("stanza-id", "urn:xmpp:sid:0")!.attrs.by).toBe(ROOM);
  });

  it("keeps the room across a worker restart (SIGTERM drains and exits 0)", async () => {
    await service.stop();
    expect((await service.process.exited).code).toBe(0);
    service = await start();
    await bob.send(xml("message", { to: ROOM, type: "groupchat" }, xml("body", {}, "still here?")));
    await Promise.all([alice.waitFor(isBody("still here?")), bob.waitFor(isBody("still here?"))]);
  });

  it("keeps the room across a worker crash (SIGKILL), history included", async () => {
    service.process.signal("SIGKILL");
    await service.process.exited;
    service = await start();
    const carol = await user("carol");
    await carol.send(
      xml(
        "presence",
        { to: `${ROOM}/Carol` },
        xml("x", { xmlns: "http://jabber.org/protocol/muc" }),
      ),
    );
    await carol.waitFor(isPresenceFrom("Carol"));
    const history = [
      await carol.waitFor(isBody("hello bob")),
      await carol.waitFor(isBody("still here?")),
    ];
    for (const m of history) expect(m.getChild("delay", "urn:xmpp:delay")).toBeDefined();
    await carol.waitFor((el) => el.is("message") && el.getChild("subject") !== undefined);
    // 7.2.3: the others first (in no particular order), the newcomer's own presence last.
    const presences = carol.received.filter((el) => el.is("presence")).map((el) => el.attrs.from);
    expect(presences.at(-1)).toBe(`${ROOM}/Carol`);
    expect(presences.slice(0, -1).sort()).toEqual([`${ROOM}/Alice`, `${ROOM}/Bob`]);
  });

  it("tells the others when a user leaves", async () => {
    await bob.send(xml("presence", { to: `${ROOM}/Bob`, type: "unavailable" }));
    const own = await bob.waitFor(isPresenceFrom("Bob", "unavailable"));
    expect(codes(own)).toEqual(["110"]);
    const seen = await alice.waitFor(isPresenceFrom("Bob", "unavailable"));
    expect(seen.getChild("x", MUC_USER)!.getChild("item")!.attrs.role).toBe("none");
  });

  it("serves /healthz, /readyz and /metrics", async () => {
    expect(await service.get("/healthz")).toMatchObject({ status: 200 });
    expect(await service.get("/readyz")).toMatchObject({ status: 200 });
    const metrics = await service.get("/metrics");
    expect(metrics.body).toMatch(
      /fedmuc_stanzas_handled_total\{name="presence",outcome="ok"\} [1-9]/,
    );
    expect(metrics.body).toContain("fedmuc_component_online 1");
    expect(metrics.body).toMatch(/fedmuc_component_stanzas_in [1-9]/);
    expect(metrics.body).toMatch(/fedmuc_component_queued_bytes 0/);
  });
});
