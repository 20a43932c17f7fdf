// The worker's own metrics, beside the process defaults.
import type { ComponentMetrics } from "@fedmuc/component";
import { serviceOf } from "@fedmuc/muc-core";
import type { LinkHealth } from "@fedmuc/room-store";
import { Counter, Gauge, Histogram, type Registry } from "@fedmuc/telemetry";
import { LINK_STATES, linkCounts } from "./links-page.js";

export function workerMetrics(registry: Registry) {
  return {
    stanzas: new Counter({
      name: "fedmuc_stanzas_handled_total",
      help: "Inbound stanzas handled, by stanza name and outcome",
      labelNames: ["name", "outcome"] as const,
      registers: [registry],
    }),
    linkStates: new Counter({
      name: "fedmuc_link_state_changes_total",
      help: "XEP-0289 links entering a state (joining, up, down, resyncing, none: gone)",
      labelNames: ["state"] as const,
      registers: [registry],
    }),
    linkStanzas: new Counter({
      name: "fedmuc_link_stanzas_total",
      help: "XEP-0289 stanzas over federation links, by direction and the peer's service",
      labelNames: ["direction", "peer_service"] as const,
      registers: [registry],
    }),
    linkBytes: new Counter({
      name: "fedmuc_link_bytes_total",
      help: "XEP-0289 bytes of stanzas over federation links, by direction and the peer's service",
      labelNames: ["direction", "peer_service"] as const,
      registers: [registry],
    }),
    linkResent: new Counter({
      name: "fedmuc_link_resent_stanzas_total",
      help: "XEP-0289 link session stanzas sent again (asked for by the peer, or unacknowledged)",
      labelNames: ["peer_service"] as const,
      registers: [registry],
    }),
    // What links' bounded backlogs dropped (FMUC_OUTBOX_MAX_BYTES, FMUC_OUTBOX_MAX_AGE_MS).
    linkDroppedStanzas: new Counter({
      name: "fedmuc_link_dropped_stanzas_total",
      help: "XEP-0289 stanzas dropped from a federation link's backlog, over its bound while the peer was away, by the peer's service",
      labelNames: ["peer_service"] as const,
      registers: [registry],
    }),
    linkDroppedMessages: new Counter({
      name: "fedmuc_link_dropped_messages_total",
      help: "XEP-0289 messages among the stanzas dropped from a federation link's backlog, by the peer's service",
      labelNames: ["peer_service"] as const,
      registers: [registry],
    }),
    linkRateWaits: new Counter({
      name: "fedmuc_link_rate_waits_total",
      help: "XEP-0289 link deliveries that waited for their peer service's rate (FMUC_PEER_RATES), by the peer's service",
      labelNames: ["peer_service"] as const,
      registers: [registry],
    }),
    handleSeconds: new Histogram({
      name: "fedmuc_stanza_handle_seconds",
      help: "Time to handle one inbound stanza, commit included, by stanza name (message, presence, iq)",
      labelNames: ["name"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    // Up to minutes: a link that is down keeps its stanzas in the outbox until it is up again.
    linkStanzaSeconds: new Histogram({
      name: "fedmuc_link_stanza_seconds",
      help: "XEP-0289 link stanzas: handling of one received (in), or its wait from the outbox to its send (out)",
      labelNames: ["direction"] as const,
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}

/** The component connection's counters and gauges, read when scraped: fedmuc_component_<name>. */
export function publishComponentMetrics(registry: Registry, read: () => ComponentMetrics): void {
  const names = Object.keys(read()) as (keyof ComponentMetrics)[];
  for (const name of names) {
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    new Gauge({
      name: `fedmuc_component_${snake}`,
      help: `XEP-0114 connection: ${name}`,
      registers: [registry],
      collect() {
        this.set(read()[name]);
      },
    });
  }
}

export type WorkerMetrics = ReturnType<typeof workerMetrics>;

/** A gauge filled, at each scrape, from a value read once for several gauges. */
interface FedGauge<T> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  fill(gauge: Gauge, value: T): void;
}

/** Registers `gauges` on one `read` per scrape: the first one's collect starts the read (the
 * registry starts the collects in registration order), the others use what it reads. */
function publishFromOneRead<T>(
  registry: Registry,
  read: () => Promise<T>,
  gauges: readonly FedGauge<T>[],
): void {
  let current: Promise<T> | undefined;
  gauges.forEach((g, index) => {
    new Gauge({
      name: g.name,
      help: g.help,
      labelNames: g.labelNames ?? [],
      registers: [registry],
      async collect() {
        if (index === 0 || current === undefined) current = read();
        const value = await current;
        this.reset();
        g.fill(this, value);
      },
    });
  });
}

/** Per peer service, `value` of its links combined by `combine`. */
function perPeerService(
  links: readonly LinkHealth[],
  value: (l: LinkHealth) => number,
  combine: (a: number, b: number) => number,
): Map<string, number> {
  const figures = new Map<string, number>();
  for (const link of links) {
    const service = serviceOf(link.peer);
    const before = figures.get(service);
    figures.set(service, before === undefined ? value(link) : combine(before, value(link)));
  }
  return figures;
}

/** The service's links, read from its index once per scrape: how many are in each state, and
 * per peer service what waits in their outboxes and how long the longest-down one has been down
 * (what the link alerts watch; every worker reports the same service-wide figures). */
export function publishLinks(
  registry: Registry,
  read: () => Promise<readonly LinkHealth[]>,
  now: () => number = Date.now,
): void {
  const byPeerService = (
    name: string,
    help: string,
    value: (l: LinkHealth) => number,
    combine: (a: number, b: number) => number,
  ): FedGauge<readonly LinkHealth[]> => ({
    name,
    help,
    labelNames: ["peer_service"],
    fill(gauge, links) {
      for (const [service, figure] of perPeerService(links, value, combine)) {
        gauge.set({ peer_service: service }, figure);
      }
    },
  });
  publishFromOneRead(registry, read, [
    {
      name: "fedmuc_links",
      help: "XEP-0289 links of this service by state",
      labelNames: ["state"],
      fill(gauge, links) {
        for (const state of LINK_STATES)
          gauge.set({ state }, links.filter((l) => l.state === state).length);
      },
    },
    {
      name: "fedmuc_peer_links",
      help: "XEP-0289 links of this service by peer service and state",
      labelNames: ["peer_service", "state"],
      fill(gauge, links) {
        for (const [service, states] of linkCounts(links))
          for (const [state, n] of states) gauge.set({ peer_service: service, state }, n);
      },
    },
    byPeerService(
      "fedmuc_link_backlog_stanzas",
      "XEP-0289 stanzas waiting in the outboxes of the links to a peer service",
      (l) => l.backlog,
      (a, b) => a + b,
    ),
    byPeerService(
      "fedmuc_link_backlog_bytes",
      "XEP-0289 Redis memory of the outboxes of the links to a peer service (MEMORY USAGE)",
      (l) => l.backlogBytes,
      (a, b) => a + b,
    ),
    byPeerService(
      "fedmuc_link_backlog_age_seconds",
      "How long the oldest stanza waiting for a peer service has waited (0: none waits)",
      (l) => (l.oldestQueuedAt === undefined ? 0 : Math.max(0, (now() - l.oldestQueuedAt) / 1000)),
      Math.max,
    ),
    byPeerService(
      "fedmuc_link_down_seconds",
      "How long the longest-down link to a peer service has been down (0: none is)",
      (l) => (l.downSince === undefined ? 0 : Math.max(0, (now() - l.downSince) / 1000)),
      Math.max,
    ),
  ]);
}

/** What /readyz reports, as gauges for the alerts, from one check per scrape. */
export function publishReadiness(
  registry: Registry,
  check: () => Promise<{ problems: readonly string[]; redisUp: boolean }>,
): void {
  publishFromOneRead(registry, check, [
    {
      name: "fedmuc_ready",
      help: "1 while the worker can serve (what /readyz says), 0 otherwise",
      fill: (gauge, r) => gauge.set(r.problems.length === 0 ? 1 : 0),
    },
    {
      name: "fedmuc_redis_up",
      help: "1 while the worker's Redis answers a PING, 0 otherwise",
      fill: (gauge, r) => gauge.set(r.redisUp ? 1 : 0),
    },
  ]);
}
