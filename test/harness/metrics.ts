// Reading a service's Prometheus text (/metrics) in tests.
import type { ServiceHandle } from "./service.js";

/** A number from Prometheus text: the first sample whose name and labels are `series`
 * (e.g. `fedmuc_links{state="up"}`), 0 if there is none. */
export function sample(metrics: string, series: string): number {
  const line = metrics.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The service's current value of `series`. */
export async function metric(service: ServiceHandle, series: string): Promise<number> {
  return sample((await service.get("/metrics")).body, series);
}

/** Groupchat messages (and other message stanzas) the service handled without error. */
export function messagesHandled(service: ServiceHandle): Promise<number> {
  return metric(service, 'fedmuc_stanzas_handled_total{name="message",outcome="ok"}');
}
