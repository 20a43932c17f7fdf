// The local demo: Redis, Prosody with two accounts, and one worker of the service as its MUC
// component. Two bots join a room and exchange a message to show it works; then it waits for you.
// It reuses the end-to-end harness, which knows how to start each server on free ports, and its
// client side of XEP-0045 (test/harness/muc.ts).
import { connectClient, type TestClient } from "../../test/harness/client.js";
import { createRoom, groupchatBody, join, sendGroupchat } from "../../test/harness/muc.js";
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

const bot = (name: string): Promise<TestClient> =>
  connectClient({ port: prosody.c2sPort, domain: prosody.domain, username: name, password: name });

const alice = await bot("alice");
// The owner makes the room persistent, so it stays when the bots leave (XEP-0045 10.1.3).
await createRoom(alice, ROOM, "alice-bot", { roomname: "Lobby", persistentroom: "1" });
const bob = await bot("bob");
await join(bob, ROOM, "bob-bot");
await sendGroupchat(alice, ROOM, "Hello from alice-bot!");
const heard = await bob.waitFor(groupchatBody("Hello from alice-bot!"));
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
