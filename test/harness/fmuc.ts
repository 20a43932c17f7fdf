// XEP-0289 helpers for the federation suites: a hub and a spoke service of this project on the
// two-site bed (sites.ts), each with its own Redis, and the client-side checks every federation
// suite makes (barriers across sites, no fmuc payload at any client).
import { connectUser, testAccounts, type Element, type TestClient } from "./client.js";
import { groupchatBody, sendGroupchat, type Predicate } from "./muc.js";
import { startRedis, uniquePrefix, type RedisHandle } from "./redis.js";
import { startService, type ServiceHandle } from "./service.js";
import { startSites, type SiteHandle, type SitesHandle, type SitesOptions } from "./sites.js";
import type { ComponentSpec } from "./xmpp-server.js";

export const FMUC = "http://isode.com/protocol/fmuc";
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

export interface FederatedSitesOptions {
  hub: { users: readonly string[]; component: ComponentSpec; env?: Record<string, string> };
  spoke: { users: readonly string[]; component: ComponentSpec; env?: Record<string, string> };
  /** Extra components on the spoke's server (e.g. a raw test component). */
  spokeComponents?: ComponentSpec[];
}

export interface FederatedSites {
  readonly sites: SitesHandle;
  readonly hub: ServiceHandle;
  readonly spoke: ServiceHandle;
  /** A new connection of a registered user of `site`; stopped by stop(). */
  connect(site: "hub" | "spoke", user: string): Promise<TestClient>;
  stop(): Promise<void>;
}

/** The two-site bed with this service as the hub's and the spoke's MUC, each on its own Redis. */
export async function startFederatedSites(opts: FederatedSitesOptions): Promise<FederatedSites> {
  const bedOptions: SitesOptions = {
    hub: { users: testAccounts(opts.hub.users), components: [opts.hub.component] },
    spoke: {
      users: testAccounts(opts.spoke.users),
      components: [opts.spoke.component, ...(opts.spokeComponents ?? [])],
    },
  };
  const sites = await startSites(bedOptions);
  const redis: RedisHandle[] = [];
  const services: ServiceHandle[] = [];
  const clients: TestClient[] = [];
  const stop = async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(services.map((s) => s.stop()));
    await Promise.all(redis.map((r) => r.stop()));
    await sites.stop();
  };
  try {
    redis.push(await startRedis(), await startRedis());
    const start = (site: SiteHandle, side: FederatedSitesOptions["hub"], r: RedisHandle) =>
      startService({
        componentPort: site.componentPort,
        ...side.component,
        redis: r,
        keyPrefix: uniquePrefix(),
        env: { LOG_LEVEL: "info", ...side.env },
      });
    services.push(await start(sites.hub, opts.hub, redis[0]!));
    services.push(await start(sites.spoke, opts.spoke, redis[1]!));
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return {
    sites,
    hub: services[0]!,
    spoke: services[1]!,
    async connect(site, user) {
      const client = await connectUser(sites[site], user);
      clients.push(client);
      return client;
    },
    stop,
  };
}
