// The one-line account of an outage scenario's run (outage-scenario.ts), for the logs.
import type { Scenario, ScenarioResult } from "./outage-scenario.js";
import type { RecipientTally } from "./traffic.js";

export function summary(s: Scenario, r: ScenarioResult, sent: number): string {
  const b = r.bytes;
  const per = (f: (t: RecipientTally) => number) => r.tallies.map(f).join(",");
  return (
    `[outage ${s.label}] sent ${sent}, refused hub ${r.refused.hub.size} spoke ${r.refused.spoke.size}; ` +
    `converged ${r.convergedMs === null ? `no (bound ${s.resyncBoundMs} ms)` : `in ${r.convergedMs} ms`}, ` +
    `last arrival ${r.lastArrivalMs} ms after the restore; ` +
    `per recipient (hub's chat x6, then spoke's x6, recipients hub x3 then spoke x3): ` +
    `lost ${per((t) => t.lost.length)}; duplicates ${per((t) => t.duplicates)}, by stanza-id ` +
    `${per((t) => t.duplicateIds)}; out of order ${per((t) => t.outOfOrder)}; ${lostWhen(r)}; ` +
    `unavailable ${r.unavailable.length}; fmuc ${r.fmuc.length}; barrier ${r.barrier}; ` +
    `bytes/message down ${b.perMessage.hubToSpoke.toFixed(0)} up ${b.perMessage.spokeToHub.toFixed(0)}; ` +
    `missed down ${b.missed.hubToSpoke} up ${b.missed.spokeToHub}; resync ${b.resync} B ` +
    `(down ${b.resyncByDirection.hubToSpoke}, up ${b.resyncByDirection.spokeToHub}; ` +
    `${b.atConvergence} B when all had arrived or the bound passed) vs ` +
    `${b.expected.toFixed(0)} B: ratio ${b.ratio.toFixed(2)}`
  );
}

/** When the lost messages were sent, in seconds from the cut (first to last). */
function lostWhen(r: ScenarioResult): string {
  const at = [...new Set(r.tallies.flatMap((t) => t.lost.map((m) => m.body)))].map(
    (body) => (r.sentAt.get(body)! - r.cutAt) / 1000,
  );
  if (at.length === 0) return "nothing lost";
  const [first, last] = [Math.min(...at), Math.max(...at)].map((x) => x.toFixed(1));
  return `${at.length} distinct lost, sent ${first} to ${last} s from the cut`;
}
