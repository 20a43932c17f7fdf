// The service's OCI image end to end: built by infra/scripts/image.sh (or $FEDMUC_IMAGE, built
// by infra/scripts/test.sh), run by infra/scripts/containerd.sh under containerd with host
// networking and a read-only root file system, behind the test bed's Prosody on its Redis. It
// becomes ready, serves a room to real clients, runs as user 10001, and on SIGTERM drains and
// exits 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectUser, testAccounts } from "../harness/client.js";
import {
  imageArchive,
  inspectImage,
  runContainer,
  type Container,
  type ImageFacts,
} from "../harness/container.js";
import {
  createRoom,
  groupchatBody,
  join,
  occupant,
  sendGroupchat,
  type TestClient,
} from "../harness/muc.js";
import { freePort } from "../harness/ports.js";
import { makeTempDir, removeTempDir } from "../harness/process.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";
import { redisEnv, startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";

const DOMAIN = "rooms.localhost";
const SECRET = "image-e2e-secret";
const ROOM = `image@${DOMAIN}`;
const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

let dir: string;
let image: ImageFacts;
let redis: RedisHandle;
let prosody: ProsodyHandle;
let container: Container;
let httpPort: number;
const clients: TestClient[] = [];

beforeAll(async () => {
  dir = await makeTempDir("image");
  const archive = await imageArchive(dir);
  image = await inspectImage(archive);
  console.log(
    `image ${archive}: archive ${MiB(image.archiveBytes)}, unpacked layers ${MiB(image.unpackedBytes)}`,
  );
  redis = await startRedis();
  prosody = await startProsody({
    components: [{ domain: DOMAIN, secret: SECRET }],
    users: testAccounts(["alice", "bob"]),
  });
  httpPort = await freePort();
  container = await runContainer({
    archive,
    dir,
    // What Kubernetes would give it: nothing writable but an empty /tmp.
    options: ["--read-only", "--mount", "type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev"],
    env: {
      XMPP_COMPONENT_URL: `xmpp://127.0.0.1:${prosody.componentPort}`,
      XMPP_COMPONENT_DOMAIN: DOMAIN,
      XMPP_COMPONENT_SECRET: SECRET,
      ...redisEnv(redis),
      REDIS_KEY_PREFIX: uniquePrefix(),
      HTTP_PORT: String(httpPort),
    },
  });
}, 20 * 60_000); // a fresh machine builds the base image first

afterAll(async () => {
  const steps = [
    ...clients.map((c) => () => c.stop()),
    () => container?.stop(),
    () => prosody?.stop(),
    () => redis?.stop(),
    () => (dir ? removeTempDir(dir) : undefined),
  ];
  for (const step of steps) await step()?.catch((err: unknown) => console.error(err));
});

const logged = (msg: string) =>
  container
    .lines()
    .map((l) => JSON.parse(l))
    .filter((l) => l.msg === msg);

describe("the OCI image under containerd", () => {
  it("becomes ready on /readyz", async () => {
    await container.waitReady(httpPort);
    expect(logged("started")).toMatchObject([{ domain: DOMAIN, httpPort, pid: 1 }]);
  }, 90_000);

  it("runs as user 10001 on a read-only root file system, with /tmp writable", async () => {
    expect(image.config.User).toBe("10001:10001");
    expect((await container.exec("id", "-u")).stdout.trim()).toBe("10001");
    const mounts = (await container.exec("cat", "/proc/self/mounts")).stdout.split("\n");
    const options = (path: string) =>
      mounts
        .map((l) => l.split(" "))
        .find((f) => f[1] === path)?.[3]
        ?.split(",");
    expect(options("/")).toContain("ro");
    expect(options("/tmp")).toContain("rw");
    await container.exec("touch", "/tmp/probe");
    await expect(container.exec("touch", "/app/probe")).rejects.toThrow(/Read-only file system/);
  });

  it("carries a groupchat message from one real client to another through Prosody", async () => {
    const [alice, bob] = await Promise.all([
      connectUser(prosody, "alice"),
      connectUser(prosody, "bob"),
    ]);
    clients.push(alice, bob);
    await createRoom(alice, ROOM, "Alice");
    await join(bob, ROOM, "Bob");
    await sendGroupchat(alice, ROOM, "hello from the image");
    const got = await bob.waitFor(groupchatBody("hello from the image"));
    expect(got.attrs.from).toBe(occupant(ROOM, "Alice"));
  });

  it("drains on SIGTERM to the container and exits 0, logging only JSON", async () => {
    await container.signal("SIGTERM");
    expect(await container.exited).toBe(0);
    const lines = container.lines();
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(logged("draining")).toMatchObject([{ signal: "SIGTERM" }]);
    expect(logged("stopped")).toMatchObject([{ signal: "SIGTERM" }]);
    expect(JSON.parse(lines.at(-1)!).msg).toBe("stopped");
  }, 30_000);
});
