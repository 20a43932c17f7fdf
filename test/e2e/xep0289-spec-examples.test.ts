// XEP-0289 section 5, example by example, as the specification writes them: two sites joined by
// real S2S (wonderland.lit with rooms.wonderland.lit, denmark.lit with talk.denmark.lit), this
// service as each site's MUC, each with its own Redis, and real clients. Each example checks who
// receives which stanza from which address, exactly once, and that no client sees fmuc.
// Exactly once: a barrier after each step (a message from each site that every client waits
// for) comes after any duplicate, since each link delivers in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectUser, testAccounts, type TestClient } from "../harness/client.js";
import {
  NS,
  configure,
  createRoom,
  expectResult,
  groupchatBody,
  itemOf,
  join,
  leave,
  marks,
  once,
  presenceFrom,
  sendGroupchat,
  sendSubject,
  statusCodes,
  xml,
  type Marks,
  type Predicate,
} from "../harness/muc.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { startService, waitForLog, type ServiceHandle } from "../harness/service.js";
// CHAT: a MUC service of denmark.lit that wonderland.lit does not federate with.
import {
  CHAT,
  ROOMS,
  TALK,
  barrier as roomsBarrier,
  subjectIs,
  withFmuc,
} from "../harness/fmuc.js";
import { startSites, type SitesHandle } from "../harness/sites.js";

const RABBITHOLE = `rabbithole@${ROOMS.domain}`;
const ELSINORE = `elsinore@${TALK.domain}`;

let bed: SitesHandle;
const redis: RedisHandle[] = [];
const services: ServiceHandle[] = [];
let alice: TestClient, hatter: TestClient, hamlet: TestClient, ophelia: TestClient;

beforeAll(async () => {
  bed = await startSites({
    hub: { users: testAccounts(["alice", "hatter"]), components: [ROOMS] },
    spoke: { users: testAccounts(["hamlet", "ophelia"]), components: [TALK, CHAT] },
  });
  redis.push(await startRedis(), await startRedis());
  const start = (site: typeof bed.hub, side: typeof ROOMS, r: RedisHandle, env = {}) =>
    startService({
      componentPort: site.componentPort,
      ...side,
      redis: r,
      keyPrefix: uniquePrefix(),
      env: { LOG_LEVEL: "info", ...env },
    });
  services.push(
    await start(bed.hub, ROOMS, redis[0]!, { FMUC_ALLOW: TALK.domain }),
    await start(bed.spoke, TALK, redis[1]!),
    await start(bed.spoke, CHAT, redis[1]!, { FMUC_UPSTREAM: ROOMS.domain }),
  );
  [alice, hatter, hamlet, ophelia] = await Promise.all([
    connectUser(bed.hub, "alice"),
    connectUser(bed.hub, "hatter"),
    connectUser(bed.spoke, "hamlet"),
    connectUser(bed.spoke, "ophelia"),
  ]);

  // The state the examples start from: rabbithole, owned by Alice, with a subject and two
  // messages of history, one from Hatter, who has left; non-anonymous, as the examples show
  // real JIDs. Elsinore is configured as an FMUC node federating with rabbithole, and empty.
  await createRoom(alice, RABBITHOLE, "Alice", { whois: "anyone" });
  await sendSubject(alice, RABBITHOLE, "This is the subject");
  await alice.waitFor((el) => el.getChildText("subject") === "This is the subject");
  await sendGroupchat(alice, RABBITHOLE, "This is an old message from the history");
  await alice.waitFor(groupchatBody("This is an old message from the history"));
  await join(hatter, RABBITHOLE, "Hatter");
  await sendGroupchat(hatter, RABBITHOLE, "This is another old message from the history");
  await hatter.waitFor(groupchatBody("This is another old message from the history"));
  await leave(hatter, RABBITHOLE, "Hatter");
  await createRoom(ophelia, ELSINORE, "Ophelia", { persistentroom: "1" });
  expectResult(await configure(ophelia, ELSINORE, { "fedmuc#upstream": RABBITHOLE }));
  await alice.waitFor(presenceFrom(`${RABBITHOLE}/Ophelia`), 15_000);
  // Joined once the subject came back; then elsinore is left empty.
  await ophelia.waitFor(subjectIs("This is the subject"), 15_000);
  await leave(ophelia, ELSINORE, "Ophelia");
  await alice.waitFor(presenceFrom(`${RABBITHOLE}/Ophelia`, "unavailable"), 15_000);
  await waitForLog(services[1]!.logFile, `left the set of ${RABBITHOLE}`);
}, 120_000);

afterAll(async () => {
  await Promise.all([alice, hatter, hamlet, ophelia].map((c) => c?.stop()));
  await Promise.all(services.map((s) => s.stop()));
  await Promise.all(redis.map((r) => r.stop()));
  await bed?.stop();
});

/** Everything the previous step caused has reached every client: a message from each site,
 * sent after it, has reached every client in both rooms. */
function barrier(inRoom: { hub: TestClient[]; spoke: TestClient[] }): Promise<void> {
  return roomsBarrier(
    ...(inRoom.hub[0] ? [{ room: RABBITHOLE, clients: inRoom.hub }] : []),
    ...(inRoom.spoke[0] ? [{ room: ELSINORE, clients: inRoom.spoke }] : []),
  );
}

const chatBody =
  (body: string): Predicate =>
  (el) =>
    el.is("message") && el.attrs.type === "chat" && el.getChildText("body") === body;
const bareOf = (jid: string) => jid.split("/")[0]!;

describe("XEP-0289 5.1 initial federation", () => {
  let before: Marks;
  it("Example 1-3, 5: Hamlet joins elsinore; elsinore federates with rabbithole and relays its state to him", async () => {
    before = marks(alice, hamlet);
    const joined = await join(hamlet, ELSINORE, "Hamlet");
    await alice.waitFor(presenceFrom(`${RABBITHOLE}/Hamlet`), 15_000);
    await barrier({ hub: [alice], spoke: [hamlet] });

    // "First FMUC Node relays the state to the joined client", all from elsinore.
    const aliceThere = once(hamlet, presenceFrom(`${ELSINORE}/Alice`), before);
    expect(itemOf(aliceThere)).toMatchObject({
      affiliation: "owner",
      role: "moderator",
      jid: alice.jid,
    });
    expect(joined.self.attrs.from).toBe(`${ELSINORE}/Hamlet`);
    expect(itemOf(joined.self)).toMatchObject({ jid: hamlet.jid });
    const history = joined.history.map((m) => [m.attrs.from, m.getChildText("body")]);
    expect(history).toEqual([
      [`${ELSINORE}/Alice`, "This is an old message from the history"],
      [`${ELSINORE}/Hatter`, "This is another old message from the history"],
    ]);
    for (const m of joined.history) {
      expect(m.getChild("delay", NS.delay)?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    expect(joined.subject.getChildText("subject")).toBe("This is the subject");
    once(hamlet, subjectIs("This is the subject"), before);

    // At rabbithole, Alice sees Hamlet arrive once, with his real JID (non-anonymous room).
    const hamletThere = once(alice, presenceFrom(`${RABBITHOLE}/Hamlet`), before);
    expect(itemOf(hamletThere)).toMatchObject({ jid: hamlet.jid, role: "participant" });
  });

  it("Example 4: rabbithole rejects a node it does not federate with, and that room chats on alone", async () => {
    const room = `rabbithole@${CHAT.domain}`;
    const joined = await join(ophelia, room, "Ophelia");
    expect(joined.self.attrs.type).toBeUndefined();
    // rabbithole answers bare JID to bare JID with <reject>, which the node logs with its reason.
    await waitForLog(
      services[2]!.logFile,
      `${RABBITHOLE} rejected the link: ${RABBITHOLE} does not federate with ${room}`,
    );
    await sendGroupchat(ophelia, room, "alone in my room");
    await ophelia.waitFor(groupchatBody("alone in my room"));
    await leave(ophelia, room, "Ophelia");
    expect(alice.received.filter(presenceFrom(`${RABBITHOLE}/Ophelia`))).toHaveLength(1);
  });
});

describe("XEP-0289 5.2 sending messages", () => {
  it("Example 6: Hamlet's message reaches him from elsinore and Alice from rabbithole, once each", async () => {
    const before = marks(alice, hamlet);
    await sendGroupchat(hamlet, ELSINORE, "Hi Alice");
    await alice.waitFor(groupchatBody("Hi Alice"), 15_000);
    await barrier({ hub: [alice], spoke: [hamlet] });
    expect(once(hamlet, groupchatBody("Hi Alice"), before).attrs.from).toBe(`${ELSINORE}/Hamlet`);
    expect(once(alice, groupchatBody("Hi Alice"), before).attrs.from).toBe(`${RABBITHOLE}/Hamlet`);
  });

  it("Example 7: Alice's reply reaches her from rabbithole and Hamlet from elsinore, once each", async () => {
    const before = marks(alice, hamlet);
    await sendGroupchat(alice, RABBITHOLE, "Hi Hamlet");
    await hamlet.waitFor(groupchatBody("Hi Hamlet"), 15_000);
    await barrier({ hub: [alice], spoke: [hamlet] });
    expect(once(alice, groupchatBody("Hi Hamlet"), before).attrs.from).toBe(`${RABBITHOLE}/Alice`);
    expect(once(hamlet, groupchatBody("Hi Hamlet"), before).attrs.from).toBe(`${ELSINORE}/Alice`);
  });
});

describe("XEP-0289 5.3 subsequent activity", () => {
  it("Example 8: Hatter joins rabbithole; Alice and Hamlet see him once, he sees both", async () => {
    const before = marks(alice, hamlet);
    const joined = await join(hatter, RABBITHOLE, "Hatter");
    await hamlet.waitFor(presenceFrom(`${ELSINORE}/Hatter`), 15_000);
    await barrier({ hub: [alice, hatter], spoke: [hamlet] });
    const others = joined.others.map((p) => [p.attrs.from, itemOf(p).jid]);
    expect(others).toEqual(
      expect.arrayContaining([
        [`${RABBITHOLE}/Alice`, alice.jid],
        [`${RABBITHOLE}/Hamlet`, hamlet.jid],
      ]),
    );
    expect(statusCodes(joined.self)).toEqual(expect.arrayContaining([110, 100]));
    expect(joined.subject.getChildText("subject")).toBe("This is the subject");
    expect(itemOf(once(alice, presenceFrom(`${RABBITHOLE}/Hatter`), before)).jid).toBe(hatter.jid);
    expect(itemOf(once(hamlet, presenceFrom(`${ELSINORE}/Hatter`), before))).toMatchObject({
      jid: hatter.jid,
      affiliation: "none",
      role: "participant",
    });
  });
});

describe("XEP-0289 5.6 private messages", () => {
  it("Example 11: Hamlet's private message to Alice goes node by node and reaches her from rabbithole/Hamlet", async () => {
    const before = marks(alice, hamlet);
    const text = "Hi, I want to say something in private";
    await hamlet.send(
      xml("message", { to: `${ELSINORE}/Alice`, type: "chat" }, xml("body", {}, text)),
    );
    await alice.waitFor(chatBody(text), 15_000);
    await barrier({ hub: [alice, hatter], spoke: [hamlet] });
    expect(once(alice, chatBody(text), before).attrs.from).toBe(`${RABBITHOLE}/Hamlet`);
    expect(hatter.received.filter(chatBody(text))).toEqual([]);
  });
});

describe("XEP-0289 5.4 leaving", () => {
  it("Example 9: Hatter leaves; he, Alice and Hamlet each see it once", async () => {
    const before = marks(alice, hamlet, hatter);
    const self = await leave(hatter, RABBITHOLE, "Hatter");
    expect(statusCodes(self)).toContain(110);
    await hamlet.waitFor(presenceFrom(`${ELSINORE}/Hatter`, "unavailable"), 15_000);
    await barrier({ hub: [alice], spoke: [hamlet] });
    const atHub = once(alice, presenceFrom(`${RABBITHOLE}/Hatter`, "unavailable"), before);
    expect(itemOf(atHub)).toMatchObject({ role: "none", jid: hatter.jid });
    const atSpoke = once(hamlet, presenceFrom(`${ELSINORE}/Hatter`, "unavailable"), before);
    expect(itemOf(atSpoke)).toMatchObject({ role: "none", jid: hatter.jid });
  });

  it("Example 10: the last user leaves elsinore; elsinore leaves the set and rabbithole confirms with <left/>", async () => {
    const before = marks(alice);
    await leave(hamlet, ELSINORE, "Hamlet");
    await alice.waitFor(presenceFrom(`${RABBITHOLE}/Hamlet`, "unavailable"), 15_000);
    once(alice, presenceFrom(`${RABBITHOLE}/Hamlet`, "unavailable"), before);
    // elsinore got rabbithole's <left/> (it says so in its log; no client sees it).
    await waitForLog(services[1]!.logFile, `left the set of ${RABBITHOLE}`, 15_000, 2);
  });

  it("after it: Hamlet comes back; elsinore joins again, asking only for what it missed, which reaches him once", async () => {
    await sendGroupchat(alice, RABBITHOLE, "after elsinore left");
    await alice.waitFor(groupchatBody("after elsinore left"));
    const again = await join(hamlet, ELSINORE, "Hamlet");
    const afterJoin = hamlet.received.indexOf(again.subject) + 1;
    // (It may come while the join is being read, which takes it from the buffer: look at all.)
    if (!hamlet.received.some(groupchatBody("after elsinore left"))) {
      await hamlet.waitFor(groupchatBody("after elsinore left"), 15_000);
    }
    await barrier({ hub: [alice], spoke: [hamlet] });
    const adopted = hamlet.received
      .slice(afterJoin)
      .filter((el) => el.is("message") && el.getChild("delay", NS.delay) !== undefined);
    expect(adopted.map((el) => el.getChildText("body"))).toEqual(["after elsinore left"]);
    await leave(hamlet, ELSINORE, "Hamlet");
  });

  it("no client ever received an fmuc payload, nor a stanza from the other site's room", () => {
    for (const c of [alice, hatter, hamlet, ophelia]) {
      expect(withFmuc(c)).toEqual([]);
    }
    const rooms = (c: TestClient) => new Set(c.received.map((el) => bareOf(el.attrs.from ?? "")));
    expect(rooms(hamlet).has(RABBITHOLE)).toBe(false);
    expect(rooms(alice).has(ELSINORE)).toBe(false);
  });
});
