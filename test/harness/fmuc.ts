// XEP-0289 helpers for the federation suites: services of this project behind one Prosody, or a
// hub and a spoke service on the two-site bed (sites.ts), each with its own Redis, and the
// client-side checks every federation suite makes (barriers across sites, no fmuc payload at
// any client).
import { connectUser, testAccounts, type Element, type TestClient } from "./client.js";
import {
  createRoom,
  groupchatBody,
  join,
  presenceFrom,
  seen,
  sendGroupchat,
  type FormValues,
  type Predicate,
} from "./muc.js";
import { startProsody, type ProsodyHandle } from "./prosody.js";
import { startRedis, uniquePrefix, type RedisHandle, type StartRedisOptions } from "./redis.js";
import { restartService, startService, type ServiceHandle } from "./service.js";
import { startSites, type SiteOptions, type SitesHandle } from "./sites.js";
import type { Site } from "./shaper.js";
import type { ComponentSpec } from "./xmpp-server.js";

export const FMUC = "http://isode.com/protocol/fmuc";

/** The MUC services of XEP-0289's examples: the hub's, and the spoke's (and a second one). */
export const ROOMS = { domain: "rooms.wonderland.lit", secret: "rooms-secret" };
export const TALK = { domain: "talk.denmark.lit", secret: "talk-secret" };
export const CHAT = { domain: "chat.denmark.lit", secret: "chat-secret" };
/** The room `name` of the hub's service, and of the spoke's. */
export const hubRoom = (name: string): string => `${name}@${ROOMS.domain}`;
export const spokeRoom = (name: string): string => `${name}@${TALK.domain}`;

/** Rooms federated across the two sites: each of `names` made at the hub by `owner` (as Alice),
 * then entered at the spoke by `guest` (as Hamlet); see federatedRooms. */
export async function federateRooms(
  owner: TestClient,
  guest: TestClient,
  names: readonly string[],
): Promise<void> {
  for (const name of names) {
    await federatedRooms(
      { user: owner, room: hubRoom(name), nick: "Alice" },
      { user: guest, room: spokeRoom(name), nick: "Hamlet" },
    );
  }
}

const FMUC_ELEMENT = /<fmuc[^>]*xmlns="http:\/\/isode\.com\/protocol\/fmuc"/;

/** The stanzas a client received that carry an fmuc payload (there must be none, 5.1). */
export const withFmuc = (c: TestClient): Element[] =>
  c.received.filter((el) => FMUC_ELEMENT.test(el.toString()));

export const subjectIs =
  (text: string): Predicate =>
  (el) =>
    el.is("message") && el.getChildText("subject") === text;

/** A room and clients in it; the first one speaks for the room in a barrier. */
export interface InRoom {
  readonly room: string;
  readonly clients: readonly TestClient[];
}

let barriers = 0;

/**
 * Everything the previous steps caused has reached every client: a message from each room,
 * sent after them, has reached every client of every room. Each link and each client stream
 * delivers in order, so anything due before the barrier came before it (a duplicate too).
 */
export async function barrier(...rooms: InRoom[]): Promise<void> {
  const n = ++barriers;
  const bodies = rooms.map((r, i) => `barrier ${n}.${i}`);
  await Promise.all(rooms.map((r, i) => sendGroupchat(r.clients[0]!, r.room, bodies[i]!)));
  for (const c of rooms.flatMap((r) => r.clients)) {
    for (const body of bodies) await c.waitFor(groupchatBody(body), 20_000);
  }
}

/** Short timers for the suites that cut the link: its outages are noticed and healed in
 * seconds. */
export const OUTAGE_TIMERS = {
  FMUC_JOIN_TIMEOUT_MS: "1500",
  FMUC_RETRY_MAX_MS: "1000",
  FMUC_PING_INTERVAL_MS: "2000",
};

/** A hub room and a spoke room federated: the hub's user creates hers (with `config`), the
 * spoke's user joins his, and once each sees the other the link is up. */
export async function federatedRooms(
  hub: InRoomAs & { config?: FormValues },
  spoke: InRoomAs,
): Promise<void> {
  await createRoom(hub.user, hub.room, hub.nick, hub.config);
  await join(spoke.user, spoke.room, spoke.nick);
  // The other's presence may have come with the join's answer: seen already, or awaited.
  await seen(hub.user, presenceFrom(`${hub.room}/${spoke.nick}`), 15_000);
  await seen(spoke.user, presenceFrom(`${spoke.room}/${hub.nick}`), 15_000);
}

interface InRoomAs {
  readonly user: TestClient;
  readonly room: string;
  readonly nick: string;
}

/** A service of this project on one site: its component and its environment. */
export interface SiteService {
  component: ComponentSpec;
  env?: Record<string, string>;
}

export interface FederatedSiteOptions<U extends string = string> {
  users: readonly U[];
  /** The first is the site's MUC service; each runs with its own key prefix. */
  services: SiteService[];
  /** Components on the site's server that are not this service (e.g. a raw test component). */
  components?: ComponentSpec[];
  /** The site's Redis (e.g. persistent, to restart it). */
  redis?: StartRedisOptions;
  /** An anonymous host whose users may use S2S (load clients). */
  anonymousHost?: boolean;
}

export interface FederatedSitesOptions<U extends string = string> {
  hub: FederatedSiteOptions<U>;
  spoke: FederatedSiteOptions<U>;
}

export interface FederatedSites<U extends string = string> {
  readonly sites: SitesHandle;
  /** The services of each site, in the order given. */
  readonly services: Record<Site, ServiceHandle[]>;
  /** Each site's Redis. */
  readonly redis: Record<Site, RedisHandle>;
  /** The first service of the hub, and of the spoke. */
  readonly hub: ServiceHandle;
  readonly spoke: ServiceHandle;
  /** Restarts the site's first service on its Redis and key prefix (see restartService). */
  restart(site: Site, signal: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** A new connection of a registered user of `site`; stopped by stop(). */
  connect(site: Site, user: string): Promise<TestClient>;
  /** A connection of every user of both sites, by name. */
  connectUsers(): Promise<Record<U, TestClient>>;
  stop(): Promise<void>;
}

/** This project's `specs` on a server's component port, each with its own key prefix, started
 * one after the other into `started` (so that a failure leaves them there to stop). */
async function startServices(
  componentPort: number,
  redis: RedisHandle,
  specs: readonly SiteService[],
  started: ServiceHandle[],
): Promise<void> {
  for (const service of specs) {
    const env = { LOG_LEVEL: "info", ...service.env };
    const keyPrefix = uniquePrefix();
    started.push(
      await startService({ componentPort, ...service.component, redis, keyPrefix, env }),
    );
  }
}

/** The two-site bed with this service as each site's MUC, each site on its own Redis. */
export async function startFederatedSites<const U extends string>(
  opts: FederatedSitesOptions<U>,
): Promise<FederatedSites<U>> {
  const site = (o: FederatedSiteOptions<U>): SiteOptions => ({
    users: testAccounts(o.users),
    components: [...o.services.map((s) => s.component), ...(o.components ?? [])],
    anonymousHost: o.anonymousHost,
  });
  const sites = await startSites({ hub: site(opts.hub), spoke: site(opts.spoke) });
  const redis: Partial<Record<Site, RedisHandle>> = {};
  const services: Record<Site, ServiceHandle[]> = { hub: [], spoke: [] };
  const clients: TestClient[] = [];
  const stop = async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all([...services.hub, ...services.spoke].map((s) => s.stop()));
    await Promise.all(Object.values(redis).map((r) => r.stop()));
    await sites.stop();
  };
  try {
    for (const name of ["hub", "spoke"] as const) {
      const r = await startRedis(opts[name].redis);
      redis[name] = r;
      await startServices(sites[name].componentPort, r, opts[name].services, services[name]);
    }
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  const connect = async (name: Site, user: string) => {
    const client = await connectUser(sites[name], user);
    clients.push(client);
    return client;
  };
  return {
    sites,
    services,
    redis: redis as Record<Site, RedisHandle>,
    get hub() {
      return services.hub[0]!;
    },
    get spoke() {
      return services.spoke[0]!;
    },
    async restart(name, signal) {
      services[name][0] = await restartService(services[name][0]!, signal);
    },
    connect,
    async connectUsers() {
      const users = [
        ...opts.hub.users.map((u) => [u, "hub"] as const),
        ...opts.spoke.users.map((u) => [u, "spoke"] as const),
      ];
      const clients = await Promise.all(users.map(([u, site]) => connect(site, u)));
      return Object.fromEntries(users.map(([u], i) => [u, clients[i]])) as Record<U, TestClient>;
    },
    stop,
  };
}

/** Services of this project as separate components behind one Prosody, on one Redis (each with
 * its own key prefix). */
export interface ServerBed {
  readonly prosody: ProsodyHandle;
  /** The services, in the order given. */
  readonly services: ServiceHandle[];
  /** A new connection of a registered user; stopped by stop(). */
  user(name: string): Promise<TestClient>;
  stop(): Promise<void>;
}

export async function startServerBed(opts: {
  users: readonly string[];
  services: SiteService[];
}): Promise<ServerBed> {
  const redis = await startRedis();
  const components = opts.services.map((s) => s.component);
  const services: ServiceHandle[] = [];
  const clients: TestClient[] = [];
  let prosody: ProsodyHandle | undefined;
  const stop = async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(services.map((s) => s.stop()));
    await prosody?.stop();
    await redis.stop();
  };
  try {
    prosody = await startProsody({ components, users: testAccounts(opts.users) });
    await startServices(prosody.componentPort, redis, opts.services, services);
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  const server = prosody;
  return {
    prosody: server,
    services,
    async user(name) {
      const client = await connectUser(server, name);
      clients.push(client);
      return client;
    },
    stop,
  };
}
