// Idle cost of federated rooms on the two-site bed (this service as each site's MUC, real S2S
// across the link shaper): a spoke with R federated rooms (one user in each, one at the hub) left
// alone for a while; the bytes its links put on its component stream (both ways, health checks
// included) and the bytes the shaper carried, for each R. The goal (issue: a hub for many spokes)
// is idle bytes flat in R. Reports figures, asserts nothing; appends them to
// test/bench/hub-results.md, with the Redis memory each federated room takes at each site. Run:
// npm run bench:idle; BENCH_IDLE_ROOMS, BENCH_IDLE_SECONDS, BENCH_IDLE_PING_MS and
// BENCH_IDLE_SETTLE_S tune it.
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { createRoom, join } from "../harness/muc.js";
import { ROOMS, TALK, startFederatedSites } from "../harness/fmuc.js";
import { metric } from "../harness/metrics.js";
import { linksOf } from "../harness/service.js";
import { appendRun } from "./report.js";
import { growthPer, redisUsage as usage, type Usage } from "./usage.js";
import { commandLine, run, say } from "./cli.js";

const list = (name: string, fallback: string): number[] =>
  (process.env[name] ?? fallback).split(",").filter(Boolean).map(Number);
const ROOM_COUNTS = list("BENCH_IDLE_ROOMS", "10,100");
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const PING_MS = Number(process.env.BENCH_IDLE_PING_MS ?? 5000);
// Until what the joins set off is over: their retry timers, the acknowledgements of what they
// sent and those acknowledgements' timeouts (30 s), so that what is measured is the idle state.
const SETTLE_S = Number(process.env.BENCH_IDLE_SETTLE_S ?? 35);
const RESULTS = fileURLToPath(new URL("hub-results.md", import.meta.url));

const HEADER = `# Hub benchmark results

Written by \`npm run bench:idle\` (test/bench/idle.ts); each run appends a section. Two sites over
real S2S through the link shaper; the spoke's rooms each federate with a hub room (one user at
each end), then the bed is left alone: the bytes the spoke's links put on its component stream
(out and in: health checks and their answers) and what the shaper carried, per room count; and
the Redis memory a federated room takes at each site: the growth of MEMORY USAGE summed over
every key (room state, link state, pending link jobs) and of the number of keys, per room.
`;

interface Row {
  rooms: number;
  componentBytes: number;
  shaperBytes: number;
  /** Per federated room at each site: the growth of its keys' memory and of their number. */
  spoke: Usage;
  hub: Usage;
}

/** Link bytes of the spoke to the hub's service, both ways, as its metrics count them. */
async function linkBytes(service: Parameters<typeof metric>[0]): Promise<number> {
  const series = (d: string) =>
    `fedmuc_link_bytes_total{direction="${d}",peer_service="${ROOMS.domain}"}`;
  return (await metric(service, series("out"))) + (await metric(service, series("in")));
}

async function idleWith(rooms: number): Promise<Row> {
  const env = { FMUC_PING_INTERVAL_MS: String(PING_MS), LOG_LEVEL: "warn" };
  const bed = await startFederatedSites({
    hub: {
      users: ["alice"],
      services: [{ component: ROOMS, env: { ...env, FMUC_ALLOW: TALK.domain } }],
    },
    spoke: {
      users: ["hamlet"],
      services: [{ component: TALK, env: { ...env, FMUC_UPSTREAM: ROOMS.domain } }],
    },
  });
  try {
    const { alice, hamlet } = await bed.connectUsers();
    const memory = async () => Promise.all([usage(bed.redis.spoke), usage(bed.redis.hub)]);
    const [spokeBefore, hubBefore] = await memory();
    for (let i = 0; i < rooms; i++) {
      await createRoom(alice, `idle${i}@${ROOMS.domain}`, "Alice");
      await join(hamlet, `idle${i}@${TALK.domain}`, "Hamlet");
    }
    const deadline = Date.now() + 120_000;
    while ((await linksOf(bed.spoke, "state=up")).length < rooms) {
      if (Date.now() > deadline) throw new Error(`not all ${rooms} links came up`);
      await delay(200);
    }
    await delay(SETTLE_S * 1000);
    const [spokeAfter, hubAfter] = await memory();
    const before = await linkBytes(bed.spoke);
    bed.sites.shaper.resetStats();
    await delay(SECONDS * 1000); // the idle period measured
    const stats = bed.sites.shaper.stats();
    return {
      rooms,
      componentBytes: (await linkBytes(bed.spoke)) - before,
      shaperBytes: stats.hubToSpoke.bytes + stats.spokeToHub.bytes,
      spoke: growthPer(spokeAfter, spokeBefore, rooms),
      hub: growthPer(hubAfter, hubBefore, rooms),
    };
  } finally {
    await bed.stop();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const rooms of ROOM_COUNTS) {
    say(`idle: ${rooms} federated rooms for ${SECONDS} s, checks every ${PING_MS} ms`);
    const row = await idleWith(rooms);
    say(`  ${row.componentBytes} B on the spoke's component stream, ${row.shaperBytes} B over S2S`);
    rows.push(row);
  }
  const base = rows[0]!;
  const brief = [
    `Idle ${SECONDS} s after ${SETTLE_S} s of settling, FMUC_PING_INTERVAL_MS=${PING_MS}:`,
    "",
    "| rooms | link bytes on the spoke's component stream | bytes over S2S | ratio to the first | Redis per room: spoke / hub (keys) |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.rooms} | ${r.componentBytes} | ${r.shaperBytes} | ${(r.componentBytes / base.componentBytes).toFixed(2)} | ${Math.round(r.spoke.bytes)} B (${r.spoke.keys.toFixed(1)}) / ${Math.round(r.hub.bytes)} B (${r.hub.keys.toFixed(1)}) |`,
    ),
  ];
  const settings = `Node ${process.version}`;
  appendRun(
    RESULTS,
    { command: commandLine("bench:idle"), nproc: availableParallelism(), settings },
    brief,
    [],
    HEADER,
  );
}

run(main, "bench:idle");
