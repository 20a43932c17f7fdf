// XEP-0289 links between two services behind one Prosody: a join sent again until the joined
// room answers (its service was down), and a room's owner choosing its upstream room in the
// configuration form, whose configuration it then mirrors.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectUser, testAccounts, type TestClient } from "../harness/client.js";
import {
  configure,
  createRoom,
  discoInfo,
  expectResult,
  groupchatBody,
  join,
  presenceFrom,
  seen,
  sendGroupchat,
  statusCodes,
  xml,
  type Element,
} from "../harness/muc.js";
import { metric, sample } from "../harness/metrics.js";
import { waitUntil } from "../harness/redis-server.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { linksOf, startService, type ServiceHandle } from "../harness/service.js";
import { withFmuc } from "../harness/fmuc.js";

const HUB = { domain: "hub.localhost", secret: "hub-secret" };
const SPOKE = { domain: "spoke.localhost", secret: "spoke-secret" };
// Rooms of this service federate only where their owners say so.
const TALK = { domain: "talk.localhost", secret: "talk-secret" };
const FAST_RETRY = { FMUC_JOIN_TIMEOUT_MS: "300", FMUC_RETRY_MAX_MS: "500" };

let redis: RedisHandle;
let prosody: ProsodyHandle;
const hubPrefix = uniquePrefix();
let hub: ServiceHandle | undefined;
const services: ServiceHandle[] = [];
const clients: TestClient[] = [];

const startHub = () =>
  startService({
    componentPort: prosody.componentPort,
    ...HUB,
    redis,
    keyPrefix: hubPrefix,
    env: { LOG_LEVEL: "info", FMUC_ALLOW: `${SPOKE.domain},${TALK.domain}` },
  });

beforeAll(async () => {
  redis = await startRedis();
  prosody = await startProsody({
    components: [HUB, SPOKE, TALK],
    users: testAccounts(["alice", "hamlet", "ophelia"]),
  });
  const start = (side: typeof HUB, env: Record<string, string>) =>
    startService({
      componentPort: prosody.componentPort,
      ...side,
      redis,
      keyPrefix: uniquePrefix(),
      env: { LOG_LEVEL: "info", ...FAST_RETRY, ...env },
    });
  hub = await startHub();
  services.push(await start(SPOKE, { FMUC_UPSTREAM: HUB.domain, FMUC_STRIP: "*=caps,status" }));
  services.push(await start(TALK, {}));
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await Promise.all([...services, ...(hub ? [hub] : [])].map((s) => s.stop()));
  await prosody?.stop();
  await redis?.stop();
});

async function user(name: string): Promise<TestClient> {
  const client = await connectUser(prosody, name);
  clients.push(client);
  return client;
}

describe("XEP-0289 a join is sent again until the joined room answers", () => {
  it("joins the hub's room once the hub's service is back, with nobody at the spoke noticing", async () => {
    const hubRoom = `lighthouse@${HUB.domain}`;
    const spokeRoom = `lighthouse@${SPOKE.domain}`;
    const alice = await user("alice");
    await createRoom(alice, hubRoom, "Alice", { persistentroom: "1" });
    await alice.stop();
    await hub!.stop(); // the hub's service is down: the server bounces what is sent to it
    hub = undefined;

    const hamlet = await user("hamlet");
    const joined = await join(hamlet, spokeRoom, "Hamlet");
    expect(joined.self.attrs.type).toBeUndefined(); // local chat works while the hub is away
    await sendGroupchat(hamlet, spokeRoom, "anyone there?");
    await hamlet.waitFor(groupchatBody("anyone there?"));
    // What the link alerts watch: the link to the hub is down, and what it is to carry waits.
    const downFor = `fedmuc_link_down_seconds{peer_service="${HUB.domain}"}`;
    await waitUntil(downFor, async () => (await metric(services[0]!, downFor)) > 0, []);
    const backlog = `fedmuc_link_backlog_stanzas{peer_service="${HUB.domain}"}`;
    expect(await metric(services[0]!, backlog)).toBeGreaterThanOrEqual(1);

    hub = await startHub();
    const alice2 = await user("alice");
    await join(alice2, hubRoom, "Alice");
    // The spoke's next attempt brings Hamlet into the hub's room.
    // (Hamlet may be there before Alice, and then comes with the room's occupants.)
    await seen(alice2, presenceFrom(`${hubRoom}/Hamlet`), 20_000);
    await seen(hamlet, presenceFrom(`${spokeRoom}/Alice`), 20_000);
    await sendGroupchat(alice2, hubRoom, "welcome back");
    await hamlet.waitFor(groupchatBody("welcome back"), 10_000);
    // Prosody bounces what is sent to a component that is not connected with
    // remote-server-timeout: a passing failure, so the link went down and nobody was removed.
    expect(readFileSync(services[0]!.logFile, "utf8")).toMatch(/is down \(remote-server-timeout\)/);
    expect(hamlet.received.filter((el) => el.attrs.type === "error")).toEqual([]);

    // What the operator sees: the link and its state, its history of states, its traffic.
    const spoke = services[0]!;
    const hubService = hubRoom.split("@")[1]!;
    const link = { room: spokeRoom, peer: hubRoom, peer_service: hubService, state: "up" };
    expect(await linksOf(spoke)).toContainEqual(link);
    // At hub scale: filtered by peer service and state, a page at a time; bad queries refused.
    expect(await linksOf(spoke, `peer_service=${hubService}&state=up&limit=1`)).toContainEqual(
      link,
    );
    expect(await linksOf(spoke, "state=down")).toEqual([]);
    const refused = await spoke.get("/links?state=asleep");
    expect([refused.status, refused.body]).toEqual([400, expect.stringMatching(/^state must be/)]);
    const metrics = (await spoke.get("/metrics")).body;
    const value = (series: string) => sample(metrics, series);
    expect(value('fedmuc_links{state="up"}')).toBeGreaterThanOrEqual(1);
    expect(value(downFor)).toBe(0);
    expect(value(backlog)).toBe(0);
    expect(value("fedmuc_ready")).toBe(1);
    expect(value("fedmuc_redis_up")).toBe(1);
    expect(value('fedmuc_link_state_changes_total{state="down"}')).toBeGreaterThanOrEqual(1);
    expect(value('fedmuc_link_state_changes_total{state="up"}')).toBeGreaterThanOrEqual(1);
    const peer = `peer_service="${HUB.domain}"`;
    expect(value(`fedmuc_link_bytes_total{direction="out",${peer}}`)).toBeGreaterThan(0);
    expect(value(`fedmuc_link_stanzas_total{direction="in",${peer}}`)).toBeGreaterThan(0);
    expect(withFmuc(hamlet)).toEqual([]);
    expect(withFmuc(alice2)).toEqual([]);
  }, 60_000);
});

describe("XEP-0289 the owner chooses the room's upstream in the configuration form", () => {
  it("elsinore joins rabbithole when its owner says so, mirrors its name, and leaves on 'none'", async () => {
    const hubRoom = `rabbithole@${HUB.domain}`;
    const room = `elsinore@${TALK.domain}`;
    const [alice, ophelia] = [await user("alice"), await user("ophelia")];
    await createRoom(alice, hubRoom, "Alice", { roomname: "The Rabbit Hole" });
    await createRoom(ophelia, room, "Ophelia");

    expectResult(await configure(ophelia, room, { "fedmuc#upstream": hubRoom }));
    await alice.waitFor(presenceFrom(`${hubRoom}/Ophelia`), 10_000);
    await ophelia.waitFor(presenceFrom(`${room}/Alice`), 10_000);
    await sendGroupchat(alice, hubRoom, "Down the hole");
    const heard: Element = await ophelia.waitFor(groupchatBody("Down the hole"), 10_000);
    expect(heard.attrs.from).toBe(`${room}/Alice`);

    // The configuration comes from upstream once joined (its name, here); occupants are told.
    await ophelia.waitFor(
      (el) => el.is("message") && el.attrs.from === room && statusCodes(el).includes(104),
      10_000,
    );
    const info = expectResult(await discoInfo(ophelia, room));
    const identity = info.getChild("query")?.getChild("identity");
    expect(identity?.attrs.name).toBe("The Rabbit Hole");

    expectResult(await configure(ophelia, room, { "fedmuc#upstream": "none" }));
    await alice.waitFor(
      (el) => el.attrs.from === `${hubRoom}/Ophelia` && el.attrs.type === "unavailable",
      10_000,
    );
    await ophelia.waitFor(
      (el) => el.attrs.from === `${room}/Alice` && el.attrs.type === "unavailable",
      10_000,
    );
    expect(withFmuc(ophelia)).toEqual([]);
    expect(withFmuc(alice)).toEqual([]);
  }, 60_000);
});

describe("XEP-0289 bandwidth: what a link does not carry (FMUC_STRIP)", () => {
  it("the spoke's link strips caps and status text from presences; its own users still see them", async () => {
    const hubRoom = `stripped@${HUB.domain}`;
    const spokeRoom = `stripped@${SPOKE.domain}`;
    const [alice, hamlet, ophelia] = [
      await user("alice"),
      await user("hamlet"),
      await user("ophelia"),
    ];
    await createRoom(alice, hubRoom, "Alice");
    const caps = xml("c", {
      xmlns: "http://jabber.org/protocol/caps",
      hash: "sha-1",
      node: "n",
      ver: "v",
    });
    await join(hamlet, spokeRoom, "Hamlet", {
      payload: [xml("show", {}, "away"), xml("status", {}, "in the castle"), caps],
    });
    const atHub = await alice.waitFor(presenceFrom(`${hubRoom}/Hamlet`), 15_000);
    expect(atHub.getChildText("show")).toBe("away");
    expect(atHub.getChild("status")).toBeUndefined();
    expect(atHub.getChild("c", "http://jabber.org/protocol/caps")).toBeUndefined();
    const joined = await join(ophelia, spokeRoom, "Ophelia");
    const atSpoke = joined.others.find(presenceFrom(`${spokeRoom}/Hamlet`));
    expect(atSpoke?.getChildText("status")).toBe("in the castle");
    expect(atSpoke?.getChild("c", "http://jabber.org/protocol/caps")).toBeDefined();
  }, 60_000);
});
