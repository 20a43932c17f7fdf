// The worker's own metrics, beside the process defaults.
import { Counter, Gauge, Histogram, type Registry } from "@fedmuc/telemetry";

export function workerMetrics(registry: Registry) {
  return {
    stanzas: new Counter({
      name: "fedmuc_stanzas_handled_total",
      help: "Inbound stanzas handled, by stanza name and outcome",
      labelNames: ["name", "outcome"] as const,
      registers: [registry],
    }),
    handleSeconds: new Histogram({
      name: "fedmuc_stanza_handle_seconds",
      help: "Time to handle one inbound stanza, commit included",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    online: new Gauge({
      name: "fedmuc_component_online",
      help: "1 while the component stream is authenticated with the XMPP server",
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof workerMetrics>;
