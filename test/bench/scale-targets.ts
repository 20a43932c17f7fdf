// The MUC implementations the scale benchmark compares on one machine: ejabberd's own MUC,
// Prosody's own MUC, and this service behind the same ejabberd with one worker and with two
// (random per-stanza distribution, no domain_balancing), each service on a private Redis.
import { startEjabberd, type EjabberdHandle } from "../harness/ejabberd.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { startService, type ServiceHandle } from "../harness/service.js";
import type { XmppServerHandle } from "../harness/xmpp-server.js";

const SERVER_MUC = "conf.localhost";
const ONE_WORKER = { domain: "fedmuc1.localhost", secret: "bench-one-worker" };
const TWO_WORKERS = { domain: "fedmuc2.localhost", secret: "bench-two-workers" };

export interface ScaleTarget {
  readonly label: string;
  readonly server: "ejabberd" | "prosody";
  /** The MUC service: rooms are `<name>@<domain>`. */
  readonly domain: string;
  /** This service's workers (none for a server's own MUC). */
  readonly workers: number;
}

export const SCALE_TARGETS: readonly ScaleTarget[] = [
  { label: "(a) ejabberd MUC", server: "ejabberd", domain: SERVER_MUC, workers: 0 },
  { label: "(b) Prosody MUC", server: "prosody", domain: SERVER_MUC, workers: 0 },
  { label: "(c) fedmuc, 1 worker", server: "ejabberd", domain: ONE_WORKER.domain, workers: 1 },
  { label: "(d) fedmuc, 2 workers", server: "ejabberd", domain: TWO_WORKERS.domain, workers: 2 },
];

/** A started target: its server, and for this service its Redis and key prefix. */
export interface Started {
  readonly target: ScaleTarget;
  readonly server: XmppServerHandle;
  readonly redis?: { readonly handle: RedisHandle; readonly keyPrefix: string };
  /** Processes whose CPU time is reported, by role. */
  readonly pids: Record<string, number | undefined>;
}

export interface Bed {
  readonly started: Started[];
  stop(): Promise<void>;
}

/** Starts the servers the chosen targets need, then the service's workers. */
export async function startBed(targets: readonly ScaleTarget[]): Promise<Bed> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const needs = (server: ScaleTarget["server"]) => targets.some((t) => t.server === server);
    let ejabberd: EjabberdHandle | undefined;
    let prosody: ProsodyHandle | undefined;
    if (needs("ejabberd")) {
      ejabberd = await startEjabberd({
        components: [ONE_WORKER, TWO_WORKERS],
        mucComponent: SERVER_MUC,
        anonymousHost: true,
      });
      stops.push(() => ejabberd!.stop());
    }
    if (needs("prosody")) {
      prosody = await startProsody({
        components: [],
        mucComponent: SERVER_MUC,
        anonymousHost: true,
      });
      stops.push(() => prosody!.stop());
    }
    const started: Started[] = [];
    for (const target of targets) {
      const server = (target.server === "ejabberd" ? ejabberd : prosody)!;
      const pids: Record<string, number | undefined> = { [target.server]: server.pid };
      if (target.workers === 0) {
        started.push({ target, server, pids });
        continue;
      }
      const handle = await startRedis();
      stops.push(() => handle.stop());
      const keyPrefix = uniquePrefix();
      const component = target.workers === 1 ? ONE_WORKER : TWO_WORKERS;
      for (let w = 1; w <= target.workers; w++) {
        const worker: ServiceHandle = await startService({
          componentPort: server.componentPort,
          ...component,
          redis: handle,
          keyPrefix,
          env: { LOG_LEVEL: "info" }, // the harness's default, debug, logs every stanza
        });
        stops.push(() => worker.stop());
        pids[`worker${target.workers > 1 ? w : ""}`] = worker.process.pid;
      }
      pids.redis = handle.pid;
      started.push({ target, server, redis: { handle, keyPrefix }, pids });
    }
    return { started, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
