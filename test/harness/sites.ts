// Two sites with real S2S across a shaped link: a hub and a spoke Prosody, a private dnsmasq and
// the LinkShaper. Each bed takes a random 127.X.Y.0/24 block, so beds in parallel test files
// never meet:
//   .2 / .3    the hub's / spoke's real S2S listener (Prosody, port 5269)
//   .12 / .13  the shaper's listener for the hub / spoke (port 5269), forwarding to .2 / .3
//   .53        dnsmasq (port 53): each domain and its subdomains -> that site's shaper listener
// S2S stays on 5269 everywhere, so a peer needs no SRV record: the domain's address is enough.
// Every S2S connection, dialback verifications included, crosses the shaper both ways.
import { randomInt } from "node:crypto";
import { startDnsmasq, type DnsmasqHandle } from "./dnsmasq.js";
import { S2S_PORT } from "./prosody-config.js";
import { startProsody, type ProsodyHandle } from "./prosody.js";
import { LinkShaper, type Site } from "./shaper.js";
import type { ComponentSpec, UserSpec } from "./xmpp-server.js";

export interface SiteOptions {
  /** Default: wonderland.lit for the hub, denmark.lit for the spoke (XEP-0289's examples). */
  domain?: string;
  /** External components on the site's component port, e.g. rooms.wonderland.lit. */
  components?: ComponentSpec[];
  users?: UserSpec[];
  /** Adds the virtual host anon.<domain> with SASL ANONYMOUS, whose users may use S2S. */
  anonymousHost?: boolean;
}

export interface SitesOptions {
  hub?: SiteOptions;
  spoke?: SiteOptions;
}

export interface SiteHandle extends ProsodyHandle {
  /** Where the site's Prosody listens for S2S. */
  readonly s2sAddress: string;
  /** Where the site's peers connect (the shaper), and what DNS answers for its domain. */
  readonly linkAddress: string;
}

export interface SitesHandle {
  readonly hub: SiteHandle;
  readonly spoke: SiteHandle;
  readonly shaper: LinkShaper;
  readonly dns: DnsmasqHandle;
  /** The bed's 127.X.Y block, without the last byte. */
  readonly block: string;
  /** Both Prosodys' and dnsmasq's pids. */
  readonly pids: number[];
  /** Stops everything and removes the temporary directories; safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_DOMAIN: Record<Site, string> = { hub: "wonderland.lit", spoke: "denmark.lit" };
const HOST: Record<Site, { s2s: number; link: number }> = {
  hub: { s2s: 2, link: 12 },
  spoke: { s2s: 3, link: 13 },
};

const randomBlock = (): string => `127.${randomInt(16, 255)}.${randomInt(0, 256)}`;

/** A shaper on a fresh random block; another block if that one is taken (EADDRINUSE). */
async function shaperOnFreeBlock(): Promise<{ block: string; shaper: LinkShaper }> {
  for (let attempt = 1; ; attempt++) {
    const block = randomBlock();
    const end = (site: Site) => ({
      listen: { host: `${block}.${HOST[site].link}`, port: S2S_PORT },
      target: { host: `${block}.${HOST[site].s2s}`, port: S2S_PORT },
    });
    try {
      return { block, shaper: await LinkShaper.start({ hub: end("hub"), spoke: end("spoke") }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 5) throw err;
    }
  }
}

export async function startSites(opts: SitesOptions = {}): Promise<SitesHandle> {
  const { block, shaper } = await shaperOnFreeBlock();
  const domain = (site: Site) => opts[site]?.domain ?? DEFAULT_DOMAIN[site];
  const linkAddress = (site: Site) => `${block}.${HOST[site].link}`;
  const stoppers: (() => Promise<void>)[] = [() => shaper.close()];
  const stop = async (): Promise<void> => {
    const all = stoppers.splice(0).reverse();
    for (const result of await Promise.allSettled(all.map((f) => f()))) {
      if (result.status === "rejected") throw result.reason;
    }
  };
  try {
    const dns = await startDnsmasq({
      address: `${block}.53`,
      records: { [domain("hub")]: linkAddress("hub"), [domain("spoke")]: linkAddress("spoke") },
    });
    stoppers.push(() => dns.stop());
    const start = async (site: Site): Promise<SiteHandle> => {
      const s2sAddress = `${block}.${HOST[site].s2s}`;
      const prosody = await startProsody({
        domain: domain(site),
        components: opts[site]?.components ?? [],
        users: opts[site]?.users ?? [],
        anonymousHost: opts[site]?.anonymousHost,
        site: { s2sAddress, resolvConf: dns.resolvConf },
      });
      stoppers.push(() => prosody.stop());
      return Object.assign(prosody, { s2sAddress, linkAddress: linkAddress(site) });
    };
    // Both settle before anything is stopped, so no Prosody starts after stop().
    const settled = await Promise.allSettled([start("hub"), start("spoke")]);
    const [hub, spoke] = settled.map((r) => {
      if (r.status === "rejected") throw r.reason;
      return r.value;
    }) as [SiteHandle, SiteHandle];
    return { hub, spoke, shaper, dns, block, pids: [hub.pid, spoke.pid, dns.pid], stop };
  } catch (err) {
    await stop().catch(() => {}); // the first error is the one to report
    throw err;
  }
}
