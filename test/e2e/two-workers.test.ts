// Two workers serve one component domain behind ejabberd, which hands each stanza to either of
// them at random: every use case must come out the same whichever worker handles a stanza.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectUser, testAccounts } from "../harness/client.js";
import { startEjabberd, type EjabberdHandle } from "../harness/ejabberd.js";
import {
  NS,
  expectResult,
  instantRoom,
  joinPresence,
  occupant,
  presenceFrom,
  xml,
  type TestClient,
} from "../harness/muc.js";
import { messagesHandled } from "../harness/metrics.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { startService, type ServiceHandle } from "../harness/service.js";

const SERVICE = { domain: "rooms.localhost", secret: "two-workers" };
const ROOM = `pair@${SERVICE.domain}`;
const NAMES = ["ann", "ben", "cat", "dan"];
const MESSAGES = 20;

let redis: RedisHandle;
let ejabberd: EjabberdHandle;
const workers: ServiceHandle[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  ejabberd = await startEjabberd({
    components: [SERVICE],
    users: testAccounts(NAMES),
  });
  const keyPrefix = uniquePrefix();
  for (let i = 0; i < 2; i++) {
    workers.push(
      await startService({
        componentPort: ejabberd.componentPort,
        ...SERVICE,
        redis,
        keyPrefix,
      }),
    );
  }
  for (const user of NAMES) {
    clients.push(await connectUser(ejabberd, user));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await Promise.all(workers.map((w) => w.stop()));
  await ejabberd?.stop();
  await redis?.stop();
});

const selfPresence = (nick: string) => presenceFrom(occupant(ROOM, nick));
/** Sends the join only: the waits are the test's. */
const join = (c: TestClient, nick: string) => c.send(joinPresence(ROOM, nick));

describe("two workers behind ejabberd, random distribution", () => {
  it("both workers are connected", async () => {
    for (const w of workers) expect((await w.get("/readyz")).status).toBe(200);
  });

  it("admits everyone once and shows each occupant to every other", async () => {
    const [owner, ...others] = clients;
    await join(owner!, "ann");
    await owner!.waitFor(selfPresence("ann"));
    expectResult(await instantRoom(owner!, ROOM));
    await Promise.all(others.map((c, i) => join(c, NAMES[i + 1]!)));
    for (const [i, c] of clients.entries()) {
      for (const nick of NAMES) if (nick !== NAMES[i]) await c.waitFor(selfPresence(nick));
    }
    const available = (c: TestClient) =>
      c.received
        .filter((el) => el.is("presence") && el.attrs.type === undefined)
        .map((el) => el.attrs.from);
    for (const c of clients) {
      expect([...available(c)].sort()).toEqual(NAMES.map((n) => occupant(ROOM, n)).sort());
    }
  });

  it("delivers every message to every occupant exactly once", async () => {
    const bodies = clients.flatMap((_, i) =>
      Array.from({ length: MESSAGES }, (_, k) => `${NAMES[i]}-${k}`),
    );
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = 0; k < MESSAGES; k++) {
          await c.send(
            xml("message", { to: ROOM, type: "groupchat" }, xml("body", {}, `${NAMES[i]}-${k}`)),
          );
        }
      }),
    );
    for (const c of clients) {
      const last = bodies.map((b) => c.waitFor((el) => el.getChildText("body") === b, 10_000));
      await Promise.all(last);
      const got = c.received.filter((el) => el.is("message") && el.getChildText("body") !== null);
      const texts = got.map((el) => el.getChildText("body"));
      expect(texts.length).toBe(bodies.length);
      expect(new Set(texts).size).toBe(bodies.length);
      const ids = got.map((el) => el.getChild("stanza-id", NS.sid)?.attrs.id);
      expect(new Set(ids).size).toBe(bodies.length);
    }
  });

  it("shared the work: each worker handled groupchat messages", async () => {
    for (const w of workers) expect(await messagesHandled(w)).toBeGreaterThan(0);
  });
});
