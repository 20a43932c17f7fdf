// Redis for tests: $REDIS_URL if set; a local three-master Redis Cluster with REDIS_MODE=cluster;
// else a container where Docker answers, else a local redis-server on a free port in its own
// directory. Clients and the service reach each kind through the service's own client factory.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createRedis, type ClientOptions, type RedisClient, type RedisTarget } from "@fedmuc/redis";
import { freePort } from "./ports.js";
import { makeTempDir, removeTempDir, type ManagedProcess } from "./process.js";
import { startRedisCluster } from "./redis-cluster.js";
import { launchRedisServer } from "./redis-server.js";

export interface RedisHandle {
  /** Where it is, for the client factory. */
  readonly target: RedisTarget;
  /** The local redis-server's pid (absent for $REDIS_URL, containers and clusters). */
  readonly pid?: number;
  stop(): Promise<void>;
  /** Stop and start the same server again (same address, same data directory). */
  restart?(): Promise<void>;
}

export interface StartRedisOptions {
  /** Append-only file with fsync on every write, so data survives restart(). */
  persistence?: boolean;
}

/** A fresh key prefix (`t-<random>:`) so each test has its own key space. */
export function uniquePrefix(): string {
  return `t-${randomBytes(6).toString("hex")}:`;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  const external = process.env.REDIS_URL;
  if (external) return { target: { kind: "single", url: external }, stop: async () => {} };
  if (process.env.REDIS_MODE === "cluster") return startRedisCluster();
  if (await dockerAnswers()) return startRedisContainer(opts);
  return startLocalRedis(opts);
}

/** A client of `redis` made by the service's factory (a Cluster client for a cluster). */
export function connectRedis(
  redis: Pick<RedisHandle, "target">,
  options: ClientOptions = { maxRetriesPerRequest: 20 },
): RedisClient {
  return createRedis(redis.target, options);
}

/** The service's variables that point it at `redis` (and at nothing else). */
export function redisEnv(redis: Pick<RedisHandle, "target">): Record<string, string> {
  const t = redis.target;
  const hostPorts = (list: readonly { host: string; port: number }[]) =>
    list.map((n) => `${n.host}:${n.port}`).join(",");
  return {
    REDIS_URL: t.kind === "single" ? t.url : "",
    REDIS_CLUSTER_NODES: t.kind === "cluster" ? hostPorts(t.nodes) : "",
    REDIS_SENTINELS: t.kind === "sentinel" ? hostPorts(t.sentinels) : "",
    REDIS_SENTINEL_NAME: t.kind === "sentinel" ? t.name : "",
  };
}

/** Keys matching `pattern` on every master: KEYS on a cluster client asks one node only. */
export async function keysMatching(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes = "nodes" in client ? client.nodes("master") : [client];
  const perNode = await Promise.all(nodes.map((node) => node.keys(pattern)));
  return perNode.flat().sort();
}

// Only ask testcontainers (a heavy import) when a Docker endpoint may exist at all.
function mayHaveDocker(): boolean {
  if (process.env.DOCKER_HOST) return true;
  const runtime = process.env.XDG_RUNTIME_DIR;
  return [
    "/var/run/docker.sock",
    join(homedir(), ".docker", "run", "docker.sock"),
    join(homedir(), ".testcontainers.properties"),
    ...(runtime ? [join(runtime, "docker.sock"), join(runtime, "podman", "podman.sock")] : []),
  ].some((path) => existsSync(path));
}

async function dockerAnswers(timeoutMs = 3_000): Promise<boolean> {
  if (!mayHaveDocker()) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
    });
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function serverArgs(persistence: boolean | undefined): string[] {
  return persistence
    ? ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
    : ["--save", "", "--appendonly", "no"];
}

async function startRedisContainer(opts: StartRedisOptions): Promise<RedisHandle> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const container = await new GenericContainer("redis:7")
    .withCommand(["redis-server", ...serverArgs(opts.persistence)])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  // A restarted container may get another host port: url is read afresh each time.
  const urlOf = (): string => `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  let url = urlOf();
  return {
    get target() {
      return { kind: "single", url } as const;
    },
    async stop() {
      await container.stop();
    },
    async restart() {
      await container.restart();
      url = urlOf();
    },
  };
}

async function startLocalRedis(opts: StartRedisOptions): Promise<RedisHandle> {
  const dir = await makeTempDir("redis");
  const port = await freePort();
  const launch = () => launchRedisServer({ port, dir, args: serverArgs(opts.persistence) });

  let proc: ManagedProcess | undefined;
  try {
    proc = await launch();
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  return {
    target: { kind: "single", url: `redis://127.0.0.1:${port}` },
    get pid() {
      return proc?.pid;
    },
    async stop() {
      await proc?.stop();
      proc = undefined;
      await removeTempDir(dir);
    },
    async restart() {
      await proc?.stop();
      proc = await launch();
    },
  };
}
