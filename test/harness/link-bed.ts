// Two sites with this service as each one's MUC: the two-site bed (sites.ts), a Redis per site,
// the hub's service (rooms.wonderland.lit, FMUC_ALLOW the spoke's) and the spoke's
// (talk.denmark.lit, FMUC_UPSTREAM the hub's), each on its own Prosody's component port. Either
// service can be restarted on its Redis and key prefix, by SIGTERM (a drain) or SIGKILL (a crash).
import { startRedis, uniquePrefix, type RedisHandle } from "./redis.js";
import { startService, type ServiceHandle } from "./service.js";
import { startSites, type SiteHandle, type SitesHandle, type SitesOptions } from "./sites.js";
import type { Site } from "./shaper.js";

export const HUB_MUC = { domain: "rooms.wonderland.lit", secret: "rooms-secret" };
export const SPOKE_MUC = { domain: "talk.denmark.lit", secret: "talk-secret" };

export interface LinkBedOptions {
  /** Users, components are added (the service's component on each site). */
  sites?: SitesOptions;
  /** Extra environment of each site's service. */
  env?: Partial<Record<Site, Record<string, string>>>;
}

export interface LinkBed {
  readonly sites: SitesHandle;
  /** Each site's service as it runs now (a restart replaces it). */
  service(site: Site): ServiceHandle;
  /** Stops the site's service (SIGTERM: it drains; SIGKILL: a crash), then starts a new one on
   * the same Redis and key prefix; resolves once it is ready. */
  restart(site: Site, signal: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** A room address at the site's service. */
  room(site: Site, name: string): string;
  stop(): Promise<void>;
}

const MUC: Record<Site, typeof HUB_MUC> = { hub: HUB_MUC, spoke: SPOKE_MUC };

export async function startLinkBed(opts: LinkBedOptions = {}): Promise<LinkBed> {
  const withMuc = (site: Site) => ({
    ...opts.sites?.[site],
    components: [...(opts.sites?.[site]?.components ?? []), MUC[site]],
  });
  const sites = await startSites({ hub: withMuc("hub"), spoke: withMuc("spoke") });
  const redis: Partial<Record<Site, RedisHandle>> = {};
  const services: Partial<Record<Site, ServiceHandle>> = {};
  const prefix: Record<Site, string> = { hub: uniquePrefix(), spoke: uniquePrefix() };
  const baseEnv: Record<Site, Record<string, string>> = {
    hub: { FMUC_ALLOW: SPOKE_MUC.domain },
    spoke: { FMUC_UPSTREAM: HUB_MUC.domain },
  };
  const server: Record<Site, SiteHandle> = { hub: sites.hub, spoke: sites.spoke };
  const launch = async (site: Site): Promise<void> => {
    services[site] = await startService({
      componentPort: server[site].componentPort,
      ...MUC[site],
      redis: redis[site]!,
      keyPrefix: prefix[site],
      env: { LOG_LEVEL: "info", ...baseEnv[site], ...opts.env?.[site] },
    });
  };
  const stop = async (): Promise<void> => {
    await Promise.all(Object.values(services).map((s) => s.stop()));
    await Promise.all(Object.values(redis).map((r) => r.stop()));
    await sites.stop();
  };
  try {
    [redis.hub, redis.spoke] = await Promise.all([startRedis(), startRedis()]);
    await Promise.all([launch("hub"), launch("spoke")]);
  } catch (err) {
    await stop().catch(() => {}); // the first error is the one to report
    throw err;
  }
  const service = (site: Site): ServiceHandle => {
    const s = services[site];
    if (!s) throw new Error(`the ${site}'s service is not running`);
    return s;
  };
  return {
    sites,
    service,
    async restart(site, signal) {
      const old = service(site);
      delete services[site];
      if (signal === "SIGKILL") {
        old.process.signal("SIGKILL");
        await old.process.exited;
      }
      await old.stop(); // SIGTERM and wait; after a kill, only removes its directory
      await launch(site);
    },
    room: (site, name) => `${name}@${MUC[site].domain}`,
    stop,
  };
}
