// Redis for tests: $REDIS_URL if set, else a container where Docker answers, else a local
// redis-server on a free port in its own directory.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import {
  makeTempDir,
  removeTempDir,
  startProcess,
  waitForPort,
  type ManagedProcess,
} from "./process.js";

export interface RedisHandle {
  url: string;
  /** The local redis-server's pid (absent for $REDIS_URL and containers). */
  readonly pid?: number;
  stop(): Promise<void>;
  /** Stop and start the same server again (same url, same data directory). */
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
  if (external) return { url: external, stop: async () => {} };
  if (await dockerAnswers()) return startRedisContainer(opts);
  return startLocalRedis(opts);
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
    get url() {
      return url;
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
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir];
  args.push(...serverArgs(opts.persistence));

  const launch = async (): Promise<ManagedProcess> => {
    const proc = await startProcess({
      name: "redis-server",
      command: "redis-server",
      args,
      cwd: dir,
      logFile: join(dir, "redis.log"),
    });
    try {
      await waitForPort({
        port,
        service: "redis-server",
        logFile: proc.logFile,
        alive: () => !proc.hasExited(),
      });
    } catch (err) {
      await proc.stop();
      throw err;
    }
    return proc;
  };

  let proc: ManagedProcess | undefined;
  try {
    proc = await launch();
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
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
