// The MUC implementations compared, all behind one Prosody: its own MUC, the in-memory echo
// component (a child process) and our service (a child process on a private Redis), untraced and
// traced: every span exported (sampler ratio 1.0) or one trace in a hundred (0.01), over OTLP
// (http/protobuf, the default) to a receiver in this process, as to a collector.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import type { ProsodyHandle } from "../harness/prosody.js";
import { makeTempDir, removeTempDir, startProcess, tailFile } from "../harness/process.js";
import { startRedis, uniquePrefix } from "../harness/redis.js";
import { OtlpReceiver } from "../harness/otlp-receiver.js";
import { say } from "./cli.js";
import { startService } from "../harness/service.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const ECHO = { domain: "echo.localhost", secret: "bench-echo-secret" };
export const SERVICE = { domain: "rooms.localhost", secret: "bench-service-secret" };
// The traced services run beside it (every target starts at once): components of their own.
export const TRACED = { domain: "traced.localhost", secret: "bench-traced-secret" };
export const SAMPLED = { domain: "sampled.localhost", secret: "bench-sampled-secret" };
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
    start: (prosody) => startOurs(prosody, SERVICE),
  },
  {
    label: "(d) fedmuc traced 1.0",
    domain: TRACED.domain,
    start: (prosody) => startOurs(prosody, TRACED, "1.0"),
  },
  {
    label: "(e) fedmuc traced 0.01",
    domain: SAMPLED.domain,
    start: (prosody) => startOurs(prosody, SAMPLED, "0.01"),
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

/** The environment that exports traces to `receiver`, sampling `ratio` of them. */
const tracedEnv = (receiver: OtlpReceiver, ratio: string) => ({
  OTEL_TRACES_EXPORTER: "otlp",
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
  OTEL_TRACES_SAMPLER_ARG: ratio,
});

/** Our service as `component`, on a Redis of its own; traced at `ratio` when given. */
async function startOurs(
  prosody: ProsodyHandle,
  component: typeof SERVICE,
  ratio?: string,
): Promise<Running> {
  const redis = await startRedis();
  const receiver = ratio ? await OtlpReceiver.start() : undefined;
  try {
    const service = await startService({
      componentPort: prosody.componentPort,
      ...component,
      redis,
      keyPrefix: uniquePrefix(),
      // The harness's default, debug, logs every stanza.
      env: { LOG_LEVEL: "info", ...(receiver && ratio ? tracedEnv(receiver, ratio) : {}) },
    });
    return {
      pids: { component: service.process.pid, redis: redis.pid },
      async stop() {
        await service.stop();
        await redis.stop();
        // What was exported (flushed at the service's stop): evidence that tracing was on.
        if (receiver) say(`${component.domain}: ${receiver.spans.length} spans received`);
        await receiver?.stop();
      },
    };
  } catch (err) {
    await redis.stop();
    await receiver?.stop();
    throw err;
  }
}
