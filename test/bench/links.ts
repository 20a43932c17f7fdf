// Link benchmark on the two-site bed (this service as each site's MUC, real S2S across the link
// shaper): one message's stanza on the link, part by part, against one plain copy of it; bytes
// over the link per groupchat message with 1, 10 and 100 spoke occupants, against
// the same users joined to the hub's room directly over S2S (same run); the time to resync after
// outages of the acceptance scenario; the throughput a 9.6 kbit/s link reaches, against the direct
// path. Reports figures, asserts nothing; appends them to test/bench/links-results.md.
// Run: npm run bench:links; the BENCH_LINK_* variables below tune it (BENCH_LINK_OUTAGES=60,600
// adds the 10 min outage).
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { ACCEPTANCE, withAcceptanceBed } from "../harness/acceptance.js";
import { ROOMS, TALK, startFederatedSites, type FederatedSites } from "../harness/fmuc.js";
import { runScenario, type ScenarioResult } from "../harness/outage-scenario.js";
import { oneMessage } from "./link-account.js";
import { bytesPerMessage } from "./link-bytes.js";
import { linksReport } from "./link-report.js";
import { throughput } from "./link-throughput.js";

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const list = (name: string, fallback: string): number[] =>
  (process.env[name] ?? fallback)
    .split(",")
    .filter((x) => x !== "")
    .map(Number);
const SETTINGS = {
  occupants: list("BENCH_LINK_OCCUPANTS", "1,10,100"),
  messages: num("BENCH_LINK_MESSAGES", 20),
  bodyChars: num("BENCH_LINK_BODY", 100),
  outages: list("BENCH_LINK_OUTAGES", "60"), // seconds
  slowRate: num("BENCH_LINK_SLOW_RATE", 9_600),
  slowLatencyMs: num("BENCH_LINK_SLOW_LATENCY_MS", 1_000),
  burst: num("BENCH_LINK_BURST", 30),
  burstBodyChars: num("BENCH_LINK_BURST_BODY", 200),
};
const RESULTS = fileURLToPath(new URL("links-results.md", import.meta.url));
// No liveness pings in the byte counts (they would come once a minute).
const QUIET = { FMUC_PING_INTERVAL_MS: "3600000" };

const say = (text: string): boolean => process.stdout.write(`${text}\n`);

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? NaN;
  const s = SETTINGS;
  say(`bytes per message: ${s.occupants.join(", ")} spoke occupants, ${s.messages} messages`);
  const { bytes, account } = await onBed(async (bed) => ({
    bytes: await bytesPerMessage(bed, s.occupants, s.messages, s.bodyChars),
    account: await oneMessage(bed, s.bodyChars),
  }));
  say(`throughput: a burst of ${s.burst} at ${s.slowRate} bit/s`);
  const slow = await onBed((bed) =>
    throughput(bed, s.slowRate, s.slowLatencyMs, s.burst, s.burstBodyChars),
  );
  const resync: { outageS: number; result: ScenarioResult }[] = [];
  for (const outageS of s.outages) {
    say(`resync after a ${outageS} s outage (the acceptance scenario)`);
    await withAcceptanceBed({}, async (bed) => {
      const outageMs = outageS * 1000;
      const resyncBoundMs = Math.max(ACCEPTANCE.resyncBoundMs, outageMs / 2);
      const result = await runScenario(bed, {
        ...ACCEPTANCE,
        label: `r${outageS}`,
        outageMs,
        resyncBoundMs,
      });
      resync.push({ outageS, result });
    });
  }
  const settings =
    `body ${s.bodyChars} chars (burst ${s.burstBodyChars}); burst ${s.burst} messages at ` +
    `${s.slowRate} bit/s, ${s.slowLatencyMs} ms latency; resync: 3 + 3 occupants at ` +
    `${ACCEPTANCE.rate} bit/s, ${ACCEPTANCE.latencyMs} ms latency, one message every ` +
    `${ACCEPTANCE.intervalMs} ms per occupant; Node ${process.version}; load average before ` +
    loadBefore.toFixed(2);
  linksReport(
    { bytes, account, slow, resync, slowRate: s.slowRate },
    {
      command: commandLine(),
      nproc: availableParallelism(),
      settings,
    },
    RESULTS,
  );
}

/** A bed with anonymous users on both sites (the spoke's load clients) and the hub's alice. */
async function onBed<T>(run: (bed: FederatedSites) => Promise<T>): Promise<T> {
  const bed = await startFederatedSites({
    hub: {
      users: ["alice"],
      services: [{ component: ROOMS, env: { FMUC_ALLOW: TALK.domain, ...QUIET } }],
      anonymousHost: true,
    },
    spoke: {
      users: [],
      services: [{ component: TALK, env: { FMUC_UPSTREAM: ROOMS.domain, ...QUIET } }],
      anonymousHost: true,
    },
  });
  try {
    return await run(bed);
  } finally {
    await bed.stop();
  }
}

function commandLine(): string {
  const vars = Object.entries(process.env)
    .filter(([k]) => k.startsWith("BENCH_LINK_"))
    .map(([k, v]) => `${k}=${v} `)
    .join("");
  return `${vars}npm run bench:links`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
