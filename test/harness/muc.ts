// XEP-0045 helpers for the end-to-end suites: one test bed per file (Redis, Prosody, the service),
// and the client side of the protocol (join, configure, admin queries, barriers, assertions on
// what arrived), so that the suites read like the XEP.
// The helpers live by concern in muc-*.ts; this module is where the suites import them from.
import { afterAll, beforeAll } from "vitest";
import { connectUser, testAccounts, xml, type Element, type TestClient } from "./client.js";
import { startProsody, type ProsodyHandle } from "./prosody.js";
import { startRedis, uniquePrefix, type RedisHandle } from "./redis.js";
import { startService, type ServiceHandle } from "./service.js";

export { xml, type Element, type TestClient };
export { NS } from "./muc-ns.js";
export * from "./muc-read.js";
export * from "./muc-send.js";
export * from "./muc-enter.js";
export * from "./muc-owner.js";
export * from "./muc-admin.js";

export interface MucBedOptions {
  /** Accounts to register up front (password: `<user>-pw`). */
  users: readonly string[];
  /** Extra environment of the service. */
  env?: Record<string, string>;
  /** Also run Prosody's own MUC at `conf.localhost`, for comparison. */
  prosodyMuc?: boolean;
}

export interface MucBed {
  /** The service's domain. */
  readonly domain: string;
  /** The domain of Prosody's own MUC (with `prosodyMuc`). */
  readonly prosodyMucDomain: string;
  readonly redis: RedisHandle;
  readonly prosody: ProsodyHandle;
  readonly service: ServiceHandle;
  /** A new connection of a registered user; stopped in afterAll. */
  connect(user: string): Promise<TestClient>;
  /** New connections of several users at once, in the order given. */
  connectAll<const U extends readonly string[]>(
    ...users: U
  ): Promise<{ -readonly [K in keyof U]: TestClient }>;
  /** A room address not used before in this file. */
  room(label: string, domain?: string): string;
  /** SIGTERM the worker (it drains and exits 0), then start a fresh one on the same Redis. */
  restartService(): Promise<void>;
  /** SIGTERM the worker; `startService` brings one back. */
  stopService(): Promise<void>;
  startService(): Promise<void>;
}

/** Starts Redis, Prosody and the service in beforeAll, stops them in afterAll. */
export function mucBed(options: MucBedOptions): MucBed {
  const domain = "rooms.localhost";
  const prosodyMucDomain = "conf.localhost";
  const secret = "muc-e2e-secret";
  const keyPrefix = uniquePrefix();
  const clients: TestClient[] = [];
  let redis: RedisHandle | undefined;
  let prosody: ProsodyHandle | undefined;
  let service: ServiceHandle | undefined;
  let rooms = 0;

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the test bed has no ${what} (beforeAll failed?)`);
    return value;
  };
  const launch = async (): Promise<void> => {
    service = await startService({
      componentPort: need(prosody, "prosody").componentPort,
      domain,
      secret,
      redis: need(redis, "redis"),
      keyPrefix,
      env: options.env,
    });
  };

  beforeAll(async () => {
    redis = await startRedis();
    prosody = await startProsody({
      components: [{ domain, secret }],
      users: testAccounts(options.users),
      mucComponent: options.prosodyMuc ? prosodyMucDomain : undefined,
    });
    await launch();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await service?.stop();
    await prosody?.stop();
    await redis?.stop();
  });

  return {
    domain,
    prosodyMucDomain,
    get redis() {
      return need(redis, "redis");
    },
    get prosody() {
      return need(prosody, "prosody");
    },
    get service() {
      return need(service, "service");
    },
    async connect(user) {
      const client = await connectUser(need(prosody, "prosody"), user);
      clients.push(client);
      return client;
    },
    connectAll(...users) {
      return Promise.all(users.map((u) => this.connect(u))) as never;
    },
    room(label, roomDomain = domain) {
      rooms += 1;
      return `${label}-${rooms}@${roomDomain}`;
    },
    async restartService() {
      await need(service, "service").stop();
      await launch();
    },
    async stopService() {
      await need(service, "service").stop();
    },
    startService: launch,
  };
}
