// The hub bed: this service as the hub (two workers on one Redis behind ejabberd, which hands each
// stanza to either), the hub's users scripted (scripted-owner.ts) and S scripted spokes of R
// federated rooms each (scripted-spoke.ts): spoke s's room r federates with the hub's room
// s<s>r<r>. For the hub suites and `npm run bench:hub`.
import { startEjabberd, type EjabberdHandle } from "./ejabberd.js";
import { metric } from "./metrics.js";
import { startRedis, uniquePrefix, type RedisHandle } from "./redis.js";
import { ScriptedOwner } from "./scripted-owner.js";
import { ScriptedSpoke } from "./scripted-spoke.js";
import { startService, type ServiceHandle } from "./service.js";

export const HUB = { domain: "rooms.localhost", secret: "hub-secret" };
const PEOPLE = { domain: "people.localhost", secret: "people-secret" };
export const spokeDomain = (s: number): string => `spoke${String(s).padStart(2, "0")}.localhost`;
export const hubRoom = (s: number, r: number): string => `s${s}r${r}@${HUB.domain}`;

export interface HubBedOptions {
  readonly spokes: number;
  readonly rooms: number;
  /** The hub workers' environment (on top of FMUC_ALLOW for the spokes and LOG_LEVEL=warn). */
  readonly env?: Record<string, string>;
}

export interface HubBed {
  readonly redis: RedisHandle;
  readonly ejabberd: EjabberdHandle;
  readonly owner: ScriptedOwner;
  readonly spokes: readonly ScriptedSpoke[];
  readonly keyPrefix: string;
  /** The hub's two workers, as last started. */
  workers: ServiceHandle[];
  /** Two workers on the bed's Redis and key prefix, with `env` on top of the bed's. */
  startWorkers(env?: Record<string, string>): Promise<void>;
  /** SIGKILL to every worker at once, as a crash of them all would be. */
  killWorkers(): Promise<void>;
  /** Makes every hub room (the owner stays in each) and joins every spoke room to its own. */
  federate(): Promise<void>;
  /** The stanzas a worker sent on links to the spokes. */
  linkStanzas(worker: ServiceHandle): Promise<number>;
  stop(): Promise<void>;
}

export async function startHubBed(opts: HubBedOptions): Promise<HubBed> {
  const services = Array.from({ length: opts.spokes }, (_, s) => ({
    domain: spokeDomain(s),
    secret: `spoke-${s}`,
  }));
  const redis = await startRedis();
  const ejabberd = await startEjabberd({ components: [HUB, PEOPLE, ...services] }).catch(
    async (err: unknown) => {
      await redis.stop();
      throw err;
    },
  );
  const { componentPort } = ejabberd;
  const spokes = services.map(
    (service, s) =>
      new ScriptedSpoke({
        ...service,
        componentPort,
        hub: HUB.domain,
        hubRoom: (r) => hubRoom(s, r),
        rooms: opts.rooms,
      }),
  );
  const owner = new ScriptedOwner({ ...PEOPLE, componentPort });
  const keyPrefix = uniquePrefix();
  const base = { FMUC_ALLOW: "*.localhost", LOG_LEVEL: "warn", ...opts.env };
  const bed: HubBed = {
    redis,
    ejabberd,
    owner,
    spokes,
    keyPrefix,
    workers: [],
    async startWorkers(env = {}) {
      const start = () =>
        startService({ componentPort, ...HUB, redis, keyPrefix, env: { ...base, ...env } });
      bed.workers = await Promise.all([start(), start()]);
    },
    async killWorkers() {
      for (const w of bed.workers) w.process.signal("SIGKILL");
      await Promise.all(bed.workers.map(async (w) => (await w.process.exited, await w.stop())));
      bed.workers = [];
    },
    async federate() {
      const rooms = spokes.flatMap((_, s) =>
        Array.from({ length: opts.rooms }, (_, r) => hubRoom(s, r)),
      );
      await owner.createRooms(rooms);
      await Promise.all(spokes.map((s) => s.joinAll()));
    },
    async linkStanzas(worker) {
      const counts = await Promise.all(
        spokes.map((_, s) =>
          metric(
            worker,
            `fedmuc_link_stanzas_total{direction="out",peer_service="${spokeDomain(s)}"}`,
          ),
        ),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
    async stop() {
      await owner.disconnect();
      await Promise.all(spokes.map((s) => s.disconnect()));
      await Promise.all(bed.workers.map((w) => w.stop()));
      await ejabberd.stop();
      await redis.stop();
    },
  };
  try {
    await bed.startWorkers();
    await owner.connect();
    for (const spoke of spokes) await spoke.connect();
    return bed;
  } catch (err) {
    await bed.stop().catch(() => {});
    throw err;
  }
}
