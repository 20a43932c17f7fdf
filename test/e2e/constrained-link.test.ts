// The constrained-links acceptance scenario: a hub and a spoke site, each with this service as its
// MUC and its own Redis, joined by real S2S across a 64 kbit/s link with 1 s latency each way.
// Three occupants on each side chat steadily in one federated room; the link is cut for 60 s
// while both sides keep chatting, then restored. Within a bounded time every accepted message
// must reach every occupant exactly once (by body and by stanza-id), each sender's messages in
// order; nobody may leave or be kicked; no client may see an fmuc payload; and the resync may
// spend at most 1.2 times the bytes of the messages that were missed. Again with the services
// restarted during the outage, and again with the spoke in primary-replica mode, where the
// spoke's messages are refused while the link is down (they then do not count as sent).
//
// The resync's bytes, measured on the shaper (payload bytes, both directions):
// - bytes per message, per direction: a calm phase of the same chat before the outage (once
//   the join and what it set off have crossed), until everything has arrived everywhere; the
//   bytes that crossed each way divided by the messages that had to cross that way (the hub's
//   down; the spoke's up, and in primary-replica down again as the echo). Whatever else crossed
//   meanwhile (a liveness ping) is part of the price.
// - missed, per direction: the accepted messages that had to cross and that no occupant on the
//   far side had received when the link came back. Chat stops at the restore (sending stops,
//   then each sender's room answers a ping, so that every refusal is in), so what crosses after
//   it is resync alone: the rejoin, its state and history, and the traffic that waited.
// - resync bytes: everything that crossed, both ways, from the restore until every occupant had
//   every message and then a message from each side had crossed (each direction delivers in
//   order, so what the resync left queued on the link, retransmissions included, is counted;
//   those two messages count among the missed). The bound: resync bytes <= 1.2 x sum over
//   directions of missed x bytes per message.
import { describe, expect, it } from "vitest";
import { ACCEPTANCE, withAcceptanceBed } from "../harness/acceptance.js";
import type { FederatedSites } from "../harness/fmuc.js";
import { errorCondition, errorText } from "../harness/muc.js";
import { runScenario, type Scenario, type ScenarioResult } from "../harness/outage-scenario.js";
import type { Site } from "../harness/shaper.js";

const BYTES_BOUND = 1.2;
const TIMEOUT_MS = 300_000;

const scenario = (bed: FederatedSites, label: string, extra: Partial<Scenario> = {}) =>
  runScenario(bed, { ...ACCEPTANCE, label, ...extra });

/** What every variant must show, whatever was refused. */
function expectAcceptance(r: ScenarioResult): void {
  for (const t of r.tallies) {
    expect
      .soft(
        t.lost.map((s) => s.body),
        `lost at ${t.jid}`,
      )
      .toEqual([]);
    expect.soft(t.duplicates, `duplicates by body at ${t.jid}`).toBe(0);
    expect.soft(t.duplicateIds, `duplicates by stanza-id at ${t.jid}`).toBe(0);
    expect.soft(t.outOfOrder, `out of their sender's order at ${t.jid}`).toBe(0);
  }
  expect.soft(r.convergedMs, "every message everywhere, ms after the restore").not.toBeNull();
  expect.soft(r.unavailable, "unavailable presences seen by the clients").toEqual([]);
  expect.soft(r.fmuc, "fmuc payloads seen by the clients").toEqual([]);
  expect
    .soft(r.bytes.ratio, "resync bytes / missed messages' bytes")
    .toBeLessThanOrEqual(BYTES_BOUND);
  expect.soft(r.barrier, "a message from each side after the resync reached everyone").toBe(true);
}

describe("constrained link: a 60 s outage at 64 kbit/s, 1 s latency, 3 + 3 occupants chatting", () => {
  it(
    "primary-primary: both sides chat on; after the restore every message reaches everyone once, in order",
    async () => {
      await withAcceptanceBed({}, async (bed) => {
        const r = await scenario(bed, "a");
        expect.soft([...r.refused.hub.keys(), ...r.refused.spoke.keys()], "refused").toEqual([]);
        expectAcceptance(r);
      });
    },
    TIMEOUT_MS,
  );

  it(
    "worker restarts in the outage: the spoke's drained (SIGTERM), the hub's killed (SIGKILL); nothing accepted is lost",
    async () => {
      const restarts: Scenario["restarts"] = [
        { site: "spoke", signal: "SIGTERM", afterMs: ACCEPTANCE.outageMs / 3 },
        { site: "hub", signal: "SIGKILL", afterMs: (2 * ACCEPTANCE.outageMs) / 3 },
      ];
      await withAcceptanceBed({}, async (bed) => {
        const r = await scenario(bed, "b", { restarts });
        // Only what was sent while a site's service was down was refused (by its server).
        for (const site of ["hub", "spoke"] as Site[]) {
          const down = r.down.filter((w) => w.site === site);
          for (const [body, error] of r.refused[site]) {
            const at = r.sentAt.get(body)!;
            const during = down.some((w) => at >= w.from - 1_000 && at <= w.to);
            expect
              .soft(during, `${body} refused outside a restart: ${error.toString()}`)
              .toBe(true);
          }
        }
        expectAcceptance(r);
      });
    },
    TIMEOUT_MS,
  );

  it(
    "primary-replica: the spoke refuses its users' messages while the link is down; what it accepted reaches everyone once",
    async () => {
      await withAcceptanceBed({ FMUC_MODE: "primary-replica" }, async (bed) => {
        const r = await scenario(bed, "c", { replica: true });
        expect.soft([...r.refused.hub.keys()], "hub messages refused").toEqual([]);
        // Down within a second of the cut (the first message up bounces): from 5 s on, all refused.
        const surelyDown = r.spokeSent.filter((s) => s.at > r.cutAt + 5_000 && s.at < r.restoreAt);
        expect.soft(surelyDown.length).toBeGreaterThan(0);
        for (const s of surelyDown) {
          const error = r.refused.spoke.get(s.body);
          expect
            .soft(error && errorCondition(error), `${s.body} refused`)
            .toBe("resource-constraint");
          expect.soft(error && errorText(error), `${s.body}'s error text`).toMatch(/link/);
        }
        expectAcceptance(r);
      });
    },
    TIMEOUT_MS,
  );
});
