// The local demo: Redis, Prosody with two accounts, and one worker of the service as its MUC
// component. Two bots join a room and exchange a message to show it works; then it waits for you.
// It reuses the end-to-end harness, which knows how to start each server on free ports.
import { connectClient, xml, type TestClient } from "../../test/harness/client.js";
import { startProsody } from "../../test/harness/prosody.js";
import { startRedis } from "../../test/harness/redis.js";
import { startService } from "../../test/harness/service.js";

const SERVICE = { domain: "rooms.localhost", secret: "demo-secret" };
const ROOM = `lobby@${SERVICE.domain}`;
const USERS = ["alice", "bob"].map((user) => ({ user, password: user }));
const once = process.argv.includes("--once");

const say = (text: string) => process.stdout.write(`${text}\n`);

const redis = await startRedis();
const prosody = await startProsody({ components: [SERVICE], users: USERS });
const service = await startService({
  componentPort: prosody.componentPort,
  ...SERVICE,
  redisUrl: redis.url,
  keyPrefix: "demo:",
});

async function bot(name: string): Promise<TestClient> {
  const client = await connectClient({
    port: prosody.c2sPort,
    domain: prosody.domain,
    username: name,
    password: name,
  });
  await client.send(
    xml(
      "presence",
      { to: `${ROOM}/${name}-bot` },
      xml("x", { xmlns: "http://jabber.org/protocol/muc" }),
    ),
  );
  await client.waitFor((el) => el.is("presence") && el.attrs.from === `${ROOM}/${name}-bot`);
  return client;
}

/** The owner makes the room persistent, so it stays when the bots leave (XEP-0045 10.1.3). */
async function configure(owner: TestClient): Promise<void> {
  const field = (name: string, value: string) =>
    xml("field", { var: `muc#roomconfig_${name}` }, xml("value", {}, value));
  await owner.send(
    xml(
      "iq",
      { to: ROOM, type: "set", id: "config" },
      xml(
        "query",
        { xmlns: "http://jabber.org/protocol/muc#owner" },
        xml(
          "x",
          { xmlns: "jabber:x:data", type: "submit" },
          field("roomname", "Lobby"),
          field("persistentroom", "1"),
        ),
      ),
    ),
  );
  await owner.waitFor((el) => el.is("iq") && el.attrs.id === "config");
}

const alice = await bot("alice");
await configure(alice);
const bob = await bot("bob");
await alice.send(
  xml("message", { to: ROOM, type: "groupchat" }, xml("body", {}, "Hello from alice-bot!")),
);
const heard = await bob.waitFor((el) => el.getChildText("body") === "Hello from alice-bot!");
say(`demo: bob-bot heard ${heard.attrs.from}: "${heard.getChildText("body")}"`);
await Promise.all([alice.stop(), bob.stop()]);

say(`
The service is running as the MUC component ${SERVICE.domain} of a local Prosody.

  Connect any XMPP client to 127.0.0.1 port ${prosody.c2sPort} (plain, no TLS)
  as alice@${prosody.domain} (password alice) or bob@${prosody.domain} (password bob),
  and join the room ${ROOM}.

  Health and metrics: http://127.0.0.1:${service.httpPort}/readyz and /metrics
  Service log: ${service.logFile}

Press Ctrl-C to stop everything.`);

if (!once) {
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}
await service.stop();
await prosody.stop();
await redis.stop();
say("demo: stopped");
