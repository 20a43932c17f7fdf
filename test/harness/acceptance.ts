// The constrained-links acceptance scenario's set-up, shared by its suite
// (test/e2e/constrained-link.test.ts) and the link benchmark: three occupants on each side, a
// 64 kbit/s link with 1 s latency each way, a 60 s outage, steady chat.
import { ROOMS, TALK, startFederatedSites, type FederatedSites } from "./fmuc.js";
import type { Scenario } from "./outage-scenario.js";

const USERS = { hub: ["alice", "hatter", "queen"], spoke: ["hamlet", "ophelia", "horatio"] };

// A join left unanswered is sent again after FMUC_JOIN_TIMEOUT_MS (default 30 s, kept: over this
// link S2S alone takes some 15 s to come back) plus a backoff with jitter, here capped at 10 s
// (default 60 s), so the first join after the restore leaves within 40 s of it.
const RETRY = { FMUC_RETRY_MAX_MS: "10000" };

export const ACCEPTANCE: Omit<Scenario, "label"> = {
  users: USERS,
  rate: 64_000,
  latencyMs: 1_000,
  outageMs: 60_000,
  // Per occupant: 1.5 messages a second from each side, 90 from each in the outage (more than
  // MUC_HISTORY_MAX, 50: the resync must not depend on the room's capped history).
  intervalMs: 2_000,
  calmMs: 10_000,
  // The next join within 40 s, S2S back within 15 s, then the missed bytes at the link's rate
  // (about 100 kB here: 13 s at 64 kbit/s) and a few round trips.
  resyncBoundMs: 90_000,
  replica: false,
  restarts: [],
};

/** The two-site bed with the scenario's users, running `run`, then stopped. */
export async function withAcceptanceBed(
  spokeEnv: Record<string, string>,
  run: (bed: FederatedSites) => Promise<void>,
): Promise<void> {
  const bed = await startFederatedSites({
    hub: {
      users: USERS.hub,
      services: [{ component: ROOMS, env: { FMUC_ALLOW: TALK.domain, ...RETRY } }],
    },
    spoke: {
      users: USERS.spoke,
      services: [{ component: TALK, env: { FMUC_UPSTREAM: ROOMS.domain, ...RETRY, ...spokeEnv } }],
    },
  });
  try {
    await run(bed);
  } finally {
    await bed.stop();
  }
}
