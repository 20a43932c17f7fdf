// The ejabberd the chart deploys, run for real (Debian's ejabberd): the chart's ejabberd.yml with
// the component secret put in by the chart's own init-container script, only its ports moved to
// free ones. Two workers connect with that secret, and room affinity (domain_balancing over
// component_number = replicas) hands a room to one of them.
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { connectUser, testAccounts, type TestClient } from "../harness/client.js";
import { startEjabberd, type EjabberdHandle } from "../harness/ejabberd.js";
import { only, profileArgs, render, sets } from "../harness/helm.js";
import { messagesHandled } from "../harness/metrics.js";
import { createRoom, groupchatBody, join as joinRoom, sendGroupchat } from "../harness/muc.js";
import { makeTempDir, removeTempDir } from "../harness/process.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { startService, type ServiceHandle } from "../harness/service.js";

const run = promisify(execFile);
const DOMAIN = "localhost";
const COMPONENT = "rooms.localhost";
// Quotes, a hash and a colon: what a YAML file written carelessly would break on.
const SECRET = `s3:"c#r'e t\\`;

let dir: string;
let ejabberd: EjabberdHandle;
let redis: RedisHandle;
const workers: ServiceHandle[] = [];
const clients: TestClient[] = [];

type Container = { name: string; command: string[]; env: { name: string; value?: string }[] };

/** The chart's ejabberd.yml as its init container writes it, from the ConfigMap and the Secret. */
async function chartConfig(): Promise<string> {
  const objects = await render(4, [
    ...profileArgs("spoke"),
    ...sets({
      "secrets.XMPP_COMPONENT_SECRET": SECRET,
      "ejabberd.xmppDomain": DOMAIN,
      "config.XMPP_COMPONENT_DOMAIN": COMPONENT,
      "ejabberd.roomAffinity": true,
      replicas: 2,
    }),
  ]);
  const template = (only(objects, "ConfigMap", "ejabberd")["data"] as Record<string, string>)[
    "ejabberd.yml"
  ]!;
  const pod = (
    only(objects, "Deployment", "ejabberd")["spec"] as {
      template: { spec: { initContainers: Container[] } };
    }
  ).template.spec;
  const init = pod.initContainers.find((c) => c.name === "config")!;
  await writeFile(join(dir, "template.yml"), template);
  const [node, ...args] = init.command;
  expect(node).toBe("node");
  await run(process.execPath, args, {
    env: {
      ...Object.fromEntries(init.env.filter((e) => e.value).map((e) => [e.name, e.value!])),
      TEMPLATE: join(dir, "template.yml"),
      CONFIG: join(dir, "ejabberd.yml"),
      XMPP_COMPONENT_SECRET: SECRET,
    },
  });
  return readFile(join(dir, "ejabberd.yml"), "utf8");
}

/** The same configuration on this machine's free ports, on the loopback. */
function onPorts(config: string, ports: { c2sPort: number; componentPort: number }): string {
  const yml = parse(config) as { listen: { module: string; port: number; ip: string }[] };
  const portOf: Record<string, number> = {
    ejabberd_c2s: ports.c2sPort,
    ejabberd_service: ports.componentPort,
  };
  yml.listen = yml.listen.filter((l) => l.module in portOf); // no S2S here
  for (const l of yml.listen) Object.assign(l, { port: portOf[l.module], ip: "127.0.0.1" });
  return stringify(yml);
}

beforeAll(async () => {
  dir = await makeTempDir("chart-ejabberd");
  const config = await chartConfig();
  expect(
    parse(config).listen.find((l: { module: string }) => l.module === "ejabberd_service"),
  ).toMatchObject({ hosts: { [COMPONENT]: { password: SECRET } } });
  ejabberd = await startEjabberd({
    domain: DOMAIN,
    components: [{ domain: COMPONENT, secret: SECRET }],
    config: (ports) => onPorts(config, ports),
  });
  for (const { user, password } of testAccounts(["romeo", "juliet"])) {
    await ejabberd.register(user, password);
  }
  redis = await startRedis();
  const keyPrefix = uniquePrefix();
  for (let i = 0; i < 2; i++) {
    workers.push(
      await startService({
        componentPort: ejabberd.componentPort,
        domain: COMPONENT,
        secret: SECRET,
        redis,
        keyPrefix,
      }),
    );
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await Promise.all(workers.map((w) => w.stop()));
  await ejabberd?.stop();
  await redis?.stop();
  if (dir) await removeTempDir(dir);
});

describe("the chart's ejabberd", () => {
  it("takes both workers with the secret from the Secret, and gives a room to one of them", async () => {
    for (const w of workers) expect((await w.get("/readyz")).status).toBe(200);
    const [romeo, juliet] = [
      await connectUser(ejabberd, "romeo"),
      await connectUser(ejabberd, "juliet"),
    ];
    clients.push(romeo, juliet);
    const room = `balcony@${COMPONENT}`;
    await createRoom(romeo, room, "Romeo");
    await joinRoom(juliet, room, "Juliet");
    const before = await Promise.all(workers.map(messagesHandled));
    for (let i = 0; i < 10; i++) await sendGroupchat(romeo, room, `hark ${i}`);
    await juliet.waitFor(groupchatBody("hark 9"));
    const handled = (await Promise.all(workers.map(messagesHandled))).map((n, i) => n - before[i]!);
    expect([...handled].sort((a, b) => a - b)).toEqual([0, 10]); // bare_destination: one worker
  });
});
