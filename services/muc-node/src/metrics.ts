// The worker's own metrics, beside the process defaults.
import type { ComponentMetrics } from "@fedmuc/component";
import { Counter, Gauge, Histogram, type Registry } from "@fedmuc/telemetry";

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
    handleSeconds: new Histogram({
      name: "fedmuc_stanza_handle_seconds",
      help: "Time to handle one inbound stanza, commit included",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
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

/** The links of the service by state, read from its index when scraped. */
export function publishLinkStates(
  registry: Registry,
  read: () => Promise<{ state: string }[]>,
): void {
  const states = ["joining", "up", "down", "resyncing"];
  new Gauge({
    name: "fedmuc_links",
    help: "XEP-0289 links of this service by state",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const links = await read();
      for (const state of states) {
        this.set({ state }, links.filter((l) => l.state === state).length);
      }
    },
  });
}
