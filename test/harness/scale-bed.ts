// The scale-out bed: one Redis, one ejabberd, several workers connected as the same component,
// and one room that every test user has entered. Workers can be killed, stopped and replaced;
// the room's state is read straight from Redis, as a replacement worker would find it.
import { afterAll, beforeAll } from "vitest";
import { DEFAULT_CONFIG, type HistoryEntry, type Room } from "@fedmuc/muc-core";
import type { RedisClient } from "@fedmuc/redis";
import { RoomStore } from "@fedmuc/room-store";
import { connectUser, testAccounts, type TestClient } from "./client.js";
import type { DomainBalancing } from "./ejabberd-config.js";
import { startEjabberd, type EjabberdHandle } from "./ejabberd.js";
import { createRoom, join, settle, type FormValues } from "./muc.js";
import { connectRedis, startRedis, uniquePrefix, type RedisHandle } from "./redis.js";
import { startService, type ServiceHandle } from "./service.js";

export interface ScaleBedOptions {
  users: readonly string[];
  workers: number;
  /** Room affinity (bare_destination) over this many slots; without it, random per stanza. */
  componentNumber?: number;
  /** The room's configuration, submitted by its creator (the first user). */
  config: FormValues;
}

export interface ScaleBed {
  readonly domain: string;
  readonly room: string;
  readonly ejabberd: EjabberdHandle;
  /** The live workers, in the order started (a replacement goes last). */
  readonly workers: ServiceHandle[];
  /** One client per user, each an occupant of the room under its user name. */
  readonly clients: TestClient[];
  /** Starts one more worker on the same Redis and key prefix; ready once its stream is online. */
  addWorker(): Promise<ServiceHandle>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(worker: ServiceHandle): Promise<void>;
  /** SIGTERM: it drains and exits. */
  stop(worker: ServiceHandle): Promise<void>;
  /** The room as stored in Redis. */
  stored(): Promise<Room>;
  /** The room's whole history as stored, oldest first. */
  history(): Promise<HistoryEntry[]>;
}

const HISTORY_MAX = 10_000;

export function scaleBed(options: ScaleBedOptions): ScaleBed {
  const domain = "rooms.localhost";
  const secret = "scale-out";
  const room = `hall@${domain}`;
  const keyPrefix = uniquePrefix();
  const workers: ServiceHandle[] = [];
  const clients: TestClient[] = [];
  let redis: RedisHandle | undefined;
  let conn: RedisClient | undefined;
  let store: RoomStore | undefined;
  let ejabberd: EjabberdHandle | undefined;

  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the scale bed is not up (beforeAll failed?)");
    return value;
  };
  const remove = (worker: ServiceHandle): void => {
    const i = workers.indexOf(worker);
    if (i >= 0) workers.splice(i, 1);
  };

  const bed: ScaleBed = {
    domain,
    room,
    get ejabberd() {
      return need(ejabberd);
    },
    workers,
    clients,
    async addWorker() {
      const worker = await startService({
        componentPort: need(ejabberd).componentPort,
        domain,
        secret,
        redis: need(redis),
        keyPrefix,
        env: { LOG_LEVEL: "info", MUC_HISTORY_MAX: String(HISTORY_MAX) },
      });
      workers.push(worker);
      return worker;
    },
    async kill(worker) {
      remove(worker);
      worker.process.signal("SIGKILL");
      await worker.process.exited;
      await worker.stop(); // removes its directory
    },
    async stop(worker) {
      remove(worker);
      await worker.stop();
    },
    stored: () => need(store).load(room),
    history: () => need(store).history(room, "+", HISTORY_MAX),
  };

  const balancing: DomainBalancing | undefined =
    options.componentNumber === undefined
      ? undefined
      : { domain, componentNumber: options.componentNumber };

  beforeAll(async () => {
    redis = await startRedis();
    conn = connectRedis(redis);
    store = new RoomStore(conn, {
      prefix: keyPrefix,
      defaults: { ...DEFAULT_CONFIG, maxHistory: HISTORY_MAX },
    });
    ejabberd = await startEjabberd({
      components: [{ domain, secret }],
      domainBalancing: balancing,
      users: testAccounts(options.users),
    });
    for (let i = 0; i < options.workers; i++) await bed.addWorker();
    for (const user of options.users) clients.push(await connectUser(ejabberd, user));
    const [owner, ...others] = clients;
    const [ownerNick, ...otherNicks] = options.users;
    await createRoom(owner!, room, ownerNick!, options.config);
    for (const [i, c] of others.entries()) await join(c, room, otherNicks[i]!);
    await settle(room, ...clients);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(workers.map((w) => w.stop()));
    conn?.disconnect();
    await ejabberd?.stop();
    await redis?.stop();
  });

  return bed;
}
