// The metric names a worker exports, from the registry it builds (services/muc-node/src/metrics.ts)
// on readers that report nothing: what the chart's alerts and dashboard may query.
import { ComponentConnection } from "@fedmuc/component";
import { createRegistry } from "@fedmuc/telemetry";
import {
  publishComponentMetrics,
  publishLinks,
  publishReadiness,
  workerMetrics,
} from "../../services/muc-node/src/metrics.js";

/** The series names Prometheus scrapes from one family of each type. */
const SERIES: Record<string, readonly string[]> = {
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

/** Every series name of a worker's /metrics: histograms as their _bucket, _sum and _count. */
export async function workerSeriesNames(): Promise<ReadonlySet<string>> {
  const registry = createRegistry();
  workerMetrics(registry);
  // Never started: its metrics() has every key the worker publishes, at zero.
  const component = new ComponentConnection({
    service: "xmpp://127.0.0.1:5347",
    domain: "rooms.example.org",
    password: "unused",
    handler: async () => {},
  });
  publishComponentMetrics(registry, () => component.metrics());
  publishLinks(registry, async () => []);
  publishReadiness(registry, async () => ({ problems: [], redisUp: true }));
  const families = await registry.getMetricsAsJSON();
  return new Set(
    families.flatMap((f) => (SERIES[f.type] ?? [""]).map((suffix) => `${f.name}${suffix}`)),
  );
}
