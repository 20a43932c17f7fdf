// The process under a supervisor: the worker itself (the image's entry point) and `npm start`
// drain on SIGTERM or SIGINT and exit 0, whether the signal goes to npm's pid or to the whole
// process group; with the XMPP server and Redis gone, the drain still ends within
// SHUTDOWN_TIMEOUT_MS, exits 1 naming what it could not finish, and every line is JSON.
import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../harness/ports.js";
import { isAlive, makeTempDir, removeTempDir, trackPid, untrackPid } from "../harness/process.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";
import { redisEnv, startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOMAIN = "rooms.localhost";
const SECRET = "supervisor-secret";
const SHUTDOWN_TIMEOUT_MS = 3_000;

interface Run {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  readonly lines: () => string[];
  /** The worker's own pid, from its "started" line. */
  readonly workerPid: () => number;
}

let dir: string;
let redis: RedisHandle;
let prosody: ProsodyHandle;
let serversGone = false;
let runs = 0;
/** Process groups started, killed at the end if a failed test left one running. */
const groups: number[] = [];

beforeAll(async () => {
  dir = await makeTempDir("supervisor");
  redis = await startRedis();
  prosody = await startProsody({ components: [{ domain: DOMAIN, secret: SECRET }] });
});
afterAll(async () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  if (!serversGone) await Promise.all([prosody?.stop(), redis?.stop()]);
  if (dir && !process.env.KEEP) await removeTempDir(dir);
});

/** Starts `command` as the leader of its own process group, its output in a file. */
async function launch(name: string, command: string, args: string[]): Promise<Run> {
  const logFile = join(dir, `${name}-${++runs}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: {
      ...process.env,
      XMPP_COMPONENT_URL: `xmpp://127.0.0.1:${prosody.componentPort}`,
      XMPP_COMPONENT_DOMAIN: DOMAIN,
      XMPP_COMPONENT_SECRET: SECRET,
      ...redisEnv(redis),
      REDIS_KEY_PREFIX: uniquePrefix(),
      HTTP_PORT: String(await freePort()),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    },
  });
  closeSync(fd);
  const pid = child.pid!;
  trackPid(pid, name);
  groups.push(pid);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => (untrackPid(pid), resolve(code))),
  );
  const lines = () => readFileSync(logFile, "utf8").split("\n").filter(Boolean);
  const run: Run = {
    pid,
    exited,
    lines,
    workerPid: () => JSON.parse(lines().find((l) => l.includes('"msg":"started"'))!).pid,
  };
  await waitForLine(run, (l) => l.includes('"msg":"started"'), 60_000);
  const port = JSON.parse(lines().find((l) => l.includes('"msg":"started"'))!).httpPort;
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);
  return run;
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(check()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await delay(50);
  }
}
const waitForLine = (run: Run, match: (line: string) => boolean, timeoutMs?: number) =>
  waitFor(() => run.lines().some(match), timeoutMs);

const npmStart = () => launch("npm-start", "npm", ["start", "--silent"]);
const worker = () => launch("worker", process.execPath, ["services/muc-node/dist/main.js"]);
const logged = (run: Run, msg: string) => run.lines().some((l) => l.includes(`"msg":"${msg}"`));

describe("a worker under a supervisor", () => {
  it("npm start: SIGTERM to npm's pid drains the worker, and npm exits 0 after it", async () => {
    const run = await npmStart();
    const workerPid = run.workerPid();
    expect(workerPid).not.toBe(run.pid);
    process.kill(run.pid, "SIGTERM");
    expect(await run.exited).toBe(0);
    expect(isAlive(workerPid)).toBe(false);
    expect(logged(run, "stopped")).toBe(true);
  });

  it("npm start: SIGTERM to the process group drains once and exits 0", async () => {
    const run = await npmStart();
    const workerPid = run.workerPid();
    process.kill(-run.pid, "SIGTERM");
    expect(await run.exited).toBe(0);
    expect(isAlive(workerPid)).toBe(false);
    expect(logged(run, "stopped")).toBe(true);
  });

  it("the worker itself: SIGINT drains and exits 0", async () => {
    const run = await worker();
    expect(run.workerPid()).toBe(run.pid);
    process.kill(run.pid, "SIGINT");
    expect(await run.exited).toBe(0);
    expect(logged(run, "stopped")).toBe(true);
  });

  it("with the XMPP server and Redis gone, drains within its bound, exits 1 naming what it left, in JSON only", async () => {
    const run = await worker();
    serversGone = true;
    await Promise.all([prosody.stop(), redis.stop()]);
    await waitForLine(run, (l) => l.includes("redis unreachable"));
    await waitForLine(run, (l) => l.includes('"module":"component"') && l.includes("ECONNREFUSED"));
    const start = Date.now();
    process.kill(run.pid, "SIGTERM");
    expect(await run.exited).toBe(1);
    expect(Date.now() - start).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2_000);
    const lines = run.lines();
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const last = JSON.parse(lines.at(-1)!);
    expect(last.msg).toMatch(/^stopped without finishing: /);
    expect(last.unfinished.length).toBeGreaterThan(0);
    expect(last.unfinished[0].step).toBe("stop the federation link jobs");
  });
});
