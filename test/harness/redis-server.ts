// One local redis-server process (a plain server, a cluster node or a sentinel) on a given port
// in a given directory, its output in redis.log there; ready once the port accepts connections.
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { HarnessError } from "./errors.js";
import { startProcess, tailFile, waitForPort, type ManagedProcess } from "./process.js";

export interface RedisServerOptions {
  readonly port: number;
  readonly dir: string;
  /** Arguments after the port, bind and dir (a config file must come first: see `configFile`). */
  readonly args?: readonly string[];
  /** A config file to start from (a sentinel needs one it can rewrite). */
  readonly configFile?: string;
  readonly name?: string;
}

export async function launchRedisServer(opts: RedisServerOptions): Promise<ManagedProcess> {
  const name = opts.name ?? "redis-server";
  const proc = await startProcess({
    name,
    command: "redis-server",
    args: [
      ...(opts.configFile ? [opts.configFile] : []),
      ...["--port", String(opts.port), "--bind", "127.0.0.1", "--dir", opts.dir],
      ...(opts.args ?? []),
    ],
    cwd: opts.dir,
    logFile: join(opts.dir, "redis.log"),
  });
  try {
    await waitForPort({
      port: opts.port,
      service: name,
      logFile: proc.logFile,
      alive: () => !proc.hasExited(),
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** Asks one local server a command, on a connection of its own. */
export async function ask(port: number, command: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

/** Asks `check` until it says yes: for states Redis announces no event for (a cluster that has
 * converged, a replica a sentinel has found). Backoff 20 ms .. 250 ms, bounded total time. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  logFiles: readonly string[],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let backoff = 20; ; backoff = Math.min(backoff * 1.5, 250)) {
    if (await check().catch(() => false)) return;
    if (Date.now() + backoff > deadline) {
      const tails = logFiles.map((f) => `tail of ${f}:\n${tailFile(f, 10)}`).join("\n");
      throw new HarnessError("REDIS_NOT_READY", `${what}: not within ${timeoutMs} ms\n${tails}`);
    }
    await delay(backoff);
  }
}
