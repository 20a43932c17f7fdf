// The three MUC implementations compared, all behind one Prosody: its own MUC, the in-memory echo
// component (a child process) and our service (a child process on a private Redis).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import type { ProsodyHandle } from "../harness/prosody.js";
import { makeTempDir, removeTempDir, startProcess, tailFile } from "../harness/process.js";
import { startRedis, uniquePrefix } from "../harness/redis.js";
import { startService } from "../harness/service.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const ECHO = { domain: "echo.localhost", secret: "bench-echo-secret" };
export const SERVICE = { domain: "rooms.localhost", secret: "bench-service-secret" };
export const PROSODY_MUC = "conf.localhost";

export interface Running {
  /** Processes whose CPU time is reported, by role. */
  pids: Record<string, number | undefined>;
  stop(): Promise<void>;
}

export interface Target {
  label: string;
  /** The MUC service's domain: rooms are `<name>@<domain>`. */
  domain: string;
  /** Why this target cannot run now, if it cannot. */
  unavailable?: () => string | undefined;
  start(prosody: ProsodyHandle): Promise<Running>;
}

export const TARGETS: Target[] = [
  {
    label: "(a) Prosody MUC",
    domain: PROSODY_MUC,
    start: async () => ({ pids: {}, stop: async () => {} }),
  },
  { label: "(b) echo component", domain: ECHO.domain, start: startEcho },
  {
    label: "(c) fedmuc service",
    domain: SERVICE.domain,
    unavailable: () =>
      existsSync(join(ROOT, "libs/component/src/index.ts"))
        ? undefined
        : "libs/component/src/index.ts does not exist yet (the component connection is being written)",
    start: startOurs,
  },
];

async function startEcho(prosody: ProsodyHandle): Promise<Running> {
  const dir = await makeTempDir("bench-echo");
  const logFile = join(dir, "echo.log");
  const proc = await startProcess({
    name: "echo-component",
    command: process.execPath,
    args: ["--import", "tsx", join(ROOT, "test/bench/echo-component.ts")],
    cwd: ROOT,
    logFile,
    env: {
      ...process.env,
      ECHO_PORT: String(prosody.componentPort),
      ECHO_DOMAIN: ECHO.domain,
      ECHO_SECRET: ECHO.secret,
    },
  });
  const stop = async (): Promise<void> => {
    await proc.stop();
    await removeTempDir(dir);
  };
  for (let i = 0; i < 200 && !readFileSync(logFile, "utf8").includes("online"); i++) {
    if (proc.hasExited()) break;
    await delay(50);
  }
  if (!readFileSync(logFile, "utf8").includes("online")) {
    const tail = tailFile(logFile);
    await stop();
    throw new Error(`the echo component did not come online; tail of its log:\n${tail}`);
  }
  return { pids: { component: proc.pid }, stop };
}

async function startOurs(prosody: ProsodyHandle): Promise<Running> {
  const redis = await startRedis();
  try {
    const service = await startService({
      componentPort: prosody.componentPort,
      ...SERVICE,
      redis,
      keyPrefix: uniquePrefix(),
      env: { LOG_LEVEL: "info" }, // the harness's default, debug, logs every stanza
    });
    return {
      pids: { component: service.process.pid, redis: redis.pid },
      async stop() {
        await service.stop();
        await redis.stop();
      },
    };
  } catch (err) {
    await redis.stop();
    throw err;
  }
}
