// The local demo: Redis, Prosody with two accounts, and two workers of the service as two MUC
// components: a hub (rooms.localhost) and a spoke (talk.localhost) whose rooms federate with the
// hub's (XEP-0289). A bot on each side shows a message crossing, and the message's trace across
// both services, from an OTLP receiver the demo runs itself; then it waits for you.
// It reuses the end-to-end harness, which knows how to start each server on free ports, and its
// client side of XEP-0045 (test/harness/muc.ts).
import { connectClient, xml, type TestClient } from "../../test/harness/client.js";
import { createRoom, groupchatBody, join } from "../../test/harness/muc.js";
import { OtlpReceiver } from "../../test/harness/otlp-receiver.js";
import { startProsody } from "../../test/harness/prosody.js";
import { startRedis } from "../../test/harness/redis.js";
import { startService } from "../../test/harness/service.js";
import { renderTrace } from "../../test/harness/trace-tree.js";
import { named, spanWhere, stanzaSpan, traceWith } from "../../test/harness/traces.js";

const HUB = { domain: "rooms.localhost", secret: "demo-hub-secret" };
const SPOKE = { domain: "talk.localhost", secret: "demo-spoke-secret" };
const HUB_ROOM = `lobby@${HUB.domain}`;
const SPOKE_ROOM = `lobby@${SPOKE.domain}`;
const USERS = ["alice", "bob"].map((user) => ({ user, password: user }));
const once = process.argv.includes("--once");

const say = (text: string) => process.stdout.write(`${text}\n`);

const redis = await startRedis();
const prosody = await startProsody({ components: [HUB, SPOKE], users: USERS });
// Both services export their spans (OTLP/HTTP, the standard variables) to a receiver here.
const receiver = await OtlpReceiver.start();
const tracing = (service: string) => ({
  OTEL_TRACES_EXPORTER: "otlp",
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_SERVICE_NAME: service,
  OTEL_BSP_SCHEDULE_DELAY: "100",
});
const start = (side: typeof HUB, keyPrefix: string, env: Record<string, string>) =>
  startService({
    componentPort: prosody.componentPort,
    ...side,
    redis,
    keyPrefix,
    env,
  });
const hub = await start(HUB, "demo-hub:", { FMUC_ALLOW: SPOKE.domain, ...tracing("fedmuc-hub") });
const spoke = await start(SPOKE, "demo-spoke:", {
  FMUC_UPSTREAM: HUB.domain,
  ...tracing("fedmuc-spoke"),
});

const bot = (name: string): Promise<TestClient> =>
  connectClient({ port: prosody.c2sPort, domain: prosody.domain, username: name, password: name });

const alice = await bot("alice");
// The owner makes the hub's room persistent, so it stays when the bots leave (XEP-0045 10.1.3).
await createRoom(alice, HUB_ROOM, "alice-bot", { roomname: "Lobby", persistentroom: "1" });
const bob = await bot("bob");
// Bob enters the spoke's room of the same name; the spoke joins the hub's room for him.
await join(bob, SPOKE_ROOM, "bob-bot");
// Once joined, the spoke reads the hub room's disco#info: from then on the link carries traces.
await spanWhere(receiver, stanzaSpan("fedmuc-spoke", "fmuc-config"), 10_000);
const hello = xml("body", {}, "Hello from the hub!");
await alice.send(xml("message", { to: HUB_ROOM, type: "groupchat", id: "demo-hello" }, hello));
const heard = await bob.waitFor(groupchatBody("Hello from the hub!"), 10_000);
say(`demo: bob-bot, at the spoke, heard ${heard.attrs.from}: "${heard.getChildText("body")}"`);
await Promise.all([alice.stop(), bob.stop()]);
const sent = await spanWhere(receiver, stanzaSpan("fedmuc-hub", "demo-hello"), 10_000);
const trace = await traceWith(receiver, sent.traceId, [named("fedmuc-spoke", "fedmuc.room.send")]);
say(`demo: the message's trace ${sent.traceId}, from the hub's handling to the spoke's:`);
say(renderTrace(trace));

say(`
The service runs twice, as two MUC components of a local Prosody: a hub (${HUB.domain}) and a
spoke (${SPOKE.domain}) whose rooms federate with the hub's rooms of the same name.

  Connect any XMPP client to 127.0.0.1 port ${prosody.c2sPort} (plain, no TLS)
  as alice@${prosody.domain} (password alice) or bob@${prosody.domain} (password bob),
  and join ${HUB_ROOM} (the hub) or ${SPOKE_ROOM} (the spoke): both are one room.

  Health and metrics: http://127.0.0.1:${hub.httpPort}/readyz (hub),
  http://127.0.0.1:${spoke.httpPort}/readyz (spoke), and /metrics on each
  Service logs: ${hub.logFile} and ${spoke.logFile}

  Traces go to a receiver this demo runs (${receiver.endpoint}); to send them to a real
  collector instead, start the service with OTEL_TRACES_EXPORTER=otlp and
  OTEL_EXPORTER_OTLP_ENDPOINT=http://<collector>:4318 (OTLP over HTTP; see README.md,
  "Operations").

Press Ctrl-C to stop everything.`);

if (!once) {
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}
await Promise.all([hub.stop(), spoke.stop()]);
await prosody.stop();
await redis.stop();
await receiver.stop();
say("demo: stopped");
