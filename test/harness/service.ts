// The service under test as a real process: `node services/muc-node/src/main.ts` on TypeScript
// sources, configured by environment, ready once /readyz answers 200.
import { copyFileSync, readFileSync, watch } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { HarnessError } from "./errors.js";
import { freePort } from "./ports.js";
import { redisEnv, type RedisHandle } from "./redis.js";
import {
  makeTempDir,
  removeTempDir,
  startProcess,
  tailFile,
  type ManagedProcess,
} from "./process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "services/muc-node/src/main.ts");

export interface ServiceOptions {
  componentPort: number;
  domain: string;
  secret: string;
  /** The Redis (server, cluster or sentinels) it keeps its rooms in. */
  redis: Pick<RedisHandle, "target">;
  keyPrefix: string;
  env?: Record<string, string>;
}

export interface ServiceHandle {
  readonly process: ManagedProcess;
  readonly httpPort: number;
  readonly logFile: string;
  get(path: string): Promise<{ status: number; body: string }>;
  /** SIGTERM and wait for the exit (once; again, the same wait). */
  stop(): Promise<void>;
  /** The whole log, once stopped (its directory is gone then). */
  readonly finalLog: string;
  /** What it was started with. */
  readonly options: ServiceOptions;
}

export async function startService(opts: ServiceOptions): Promise<ServiceHandle> {
  const dir = await makeTempDir("service");
  const httpPort = await freePort();
  const logFile = join(dir, "service.log");
  const proc = await startProcess({
    name: "service",
    command: process.execPath,
    args: ["--conditions=source", "--import", "tsx", MAIN],
    cwd: ROOT,
    logFile,
    env: {
      ...process.env,
      XMPP_COMPONENT_URL: `xmpp://127.0.0.1:${opts.componentPort}`,
      XMPP_COMPONENT_DOMAIN: opts.domain,
      XMPP_COMPONENT_SECRET: opts.secret,
      ...redisEnv(opts.redis),
      REDIS_KEY_PREFIX: opts.keyPrefix,
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: "debug",
      ...opts.env,
    },
  });
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`);
    return { status: res.status, body: await res.text() };
  };
  await waitReady(proc, get, logFile);
  let finalLog = "";
  let stopping: Promise<void> | undefined;
  // Once: a test may stop a service before its bed stops everything.
  const stop = () =>
    (stopping ??= (async () => {
      await proc.stop(15_000);
      finalLog = readFileSync(logFile, "utf8");
      keepLog(logFile, opts);
      await removeTempDir(dir);
    })());
  return {
    process: proc,
    httpPort,
    logFile,
    get,
    stop,
    get finalLog() {
      return finalLog;
    },
    options: opts,
  };
}

/** With FEDMUC_TEST_LOGS set to a directory, each service's log is copied there when it stops,
 * named by its domain, key prefix and stop time. */
function keepLog(logFile: string, opts: ServiceOptions): void {
  const dir = process.env.FEDMUC_TEST_LOGS;
  if (dir) copyFileSync(logFile, join(dir, `${opts.domain}-${opts.keyPrefix}-${Date.now()}.log`));
}

/** Stops `service` (SIGTERM: it drains; SIGKILL: a crash), then starts another one the same way
 * (same Redis and key prefix); resolves once the new one is ready. */
export async function restartService(
  service: ServiceHandle,
  signal: "SIGTERM" | "SIGKILL",
): Promise<ServiceHandle> {
  if (signal === "SIGKILL") {
    service.process.signal("SIGKILL");
    await service.process.exited;
  }
  await service.stop(); // after a kill: keeps its log, removes its directory
  return startService(service.options);
}

async function waitReady(
  proc: ManagedProcess,
  get: (path: string) => Promise<{ status: number }>,
  logFile: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let backoff = 25; Date.now() < deadline; backoff = Math.min(backoff * 2, 250)) {
    if (proc.hasExited()) break;
    const status = await get("/readyz").then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await delay(backoff);
  }
  await proc.stop();
  throw new HarnessError(
    "PORT_TIMEOUT",
    `the service did not become ready within ${timeoutMs} ms; tail of ${logFile}:\n${tailFile(logFile)}`,
  );
}

/** Resolves once `file` contains `text` (`times` times), watching it for changes (a log). */
export async function waitForLog(
  file: string,
  text: string,
  timeoutMs = 15_000,
  times = 1,
): Promise<void> {
  const holds = (log: string) => log.split(text).length > times;
  await waitForLogWhere(file, holds, `"${text}"`, timeoutMs);
}

/** Resolves once the whole of `file` satisfies `holds`, watching it for changes (a log);
 * `what` names what is awaited in the timeout's error. */
export async function waitForLogWhere(
  file: string,
  holds: (log: string) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const has = () => holds(readFileSync(file, "utf8"));
  if (has()) return;
  await new Promise<void>((resolve, reject) => {
    const watcher = watch(file, () => {
      if (!has()) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new HarnessError("LOG_TIMEOUT", `${what} not in ${file} after ${timeoutMs} ms`));
    }, timeoutMs);
    if (has()) watcher.emit("change"); // written between the first look and the watch
  });
}

export interface ListedLink {
  readonly room: string;
  readonly peer: string;
  readonly peer_service: string;
  readonly state: string;
}

/** The service's federation links as `/links` lists them: every page of those `params` ask for
 * (e.g. `state=down`), following each page's `next`. */
export async function linksOf(service: ServiceHandle, params = ""): Promise<ListedLink[]> {
  const links: ListedLink[] = [];
  for (let after: string | null = ""; after !== null;) {
    const query = new URLSearchParams(params);
    if (after) query.set("after", after);
    const res = await service.get(`/links?${query}`);
    if (res.status !== 200) {
      throw new HarnessError("HTTP_FAILED", `/links?${query}: ${res.status} ${res.body}`);
    }
    const page = JSON.parse(res.body) as { links: ListedLink[]; next: string | null };
    links.push(...page.links);
    after = page.next;
  }
  return links;
}
