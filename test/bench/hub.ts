// The hub benchmark (issue: a hub for many spokes): this service as the hub, two workers on one
// Redis behind ejabberd, and S scripted spokes of R federated rooms each (test/harness/hub-bed.ts:
// one component per spoke service, the plain XEP-0289 wire format; ten thousand links of real
// spokes would take twenty more services and their Redis on two cores, and what is measured is
// the hub). It reports, appending to test/bench/hub-results.md:
// - Redis per idle federated room (room state with one local user, and its link);
// - hub CPU and link bytes per hour per idle spoke, with one check of the path per spoke
//   service (this design) and with one check per link (the earlier design), in the same run;
// - how the link work spreads over the two workers;
// - the time until every link works again after every hub worker restarts at once, against the
//   same burst before;
// - a spoke back from an outage: the time until all its links are up, and a live message's
//   latency while its rooms resync, without and with a rate limit for that spoke.
// Run: npm run bench:hub; BENCH_HUB_SPOKES, BENCH_HUB_ROOMS, BENCH_HUB_IDLE_S, BENCH_HUB_PING_MS,
// BENCH_HUB_OUTAGE_S, BENCH_HUB_RATE (bytes/s, 0: no rate-limited run) tune it.
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { hubRoom, spokeDomain, startHubBed, type HubBed } from "../harness/hub-bed.js";
import { metric } from "../harness/metrics.js";
import type { Checks } from "../harness/scripted-spoke.js";
import { commandLine, env, run, say } from "./cli.js";
import { appendRun } from "./report.js";
import { growthPer, redisUsage } from "./usage.js";

const SPOKES = env("BENCH_HUB_SPOKES", 20);
const ROOMS = env("BENCH_HUB_ROOMS", 500);
const IDLE_S = env("BENCH_HUB_IDLE_S", 60);
const PING_MS = env("BENCH_HUB_PING_MS", 10_000);
const OUTAGE_S = env("BENCH_HUB_OUTAGE_S", 600);
const RATE = env("BENCH_HUB_RATE", 1200);
// Until what the joins set off is over (their timers, the acknowledgements' timeouts).
const SETTLE_S = env("BENCH_HUB_SETTLE_S", 35);
const RESULTS = fileURLToPath(new URL("hub-results.md", import.meta.url));

const sum = async (bed: HubBed, series: string) =>
  (await Promise.all(bed.workers.map((w) => metric(w, series)))).reduce((a, b) => a + b, 0);
const cpu = (bed: HubBed) => sum(bed, "fedmuc_process_cpu_seconds_total");

/** Each spoke's bytes with the hub, both ways. */
const spokeBytes = (bed: HubBed) => bed.spokes.reduce((n, s) => n + s.bytesIn + s.bytesOut, 0);

async function idle(bed: HubBed, checks: Checks) {
  for (const s of bed.spokes) s.checks(checks, PING_MS);
  await delay(PING_MS); // the first round of checks is on its way
  const [bytes, seconds] = [spokeBytes(bed), await cpu(bed)];
  await delay(IDLE_S * 1000);
  const perHourPerSpoke = (n: number) => (n * 3600) / IDLE_S / SPOKES;
  const result = {
    bytes: perHourPerSpoke(spokeBytes(bed) - bytes),
    cpu: perHourPerSpoke((await cpu(bed)) - seconds),
  };
  for (const s of bed.spokes) s.checks("none");
  return result;
}

/** One message in each room of every spoke; the time until each has reached its spoke. */
async function burst(bed: HubBed, label: string): Promise<number> {
  const started = Date.now();
  const arrivals: Promise<number>[] = [];
  for (const [s, spoke] of bed.spokes.entries()) {
    for (let r = 0; r < ROOMS; r++) {
      const body = `${label} ${s}.${r}`;
      arrivals.push(spoke.arrived(body));
      bed.owner.say(hubRoom(s, r), body);
    }
  }
  return Math.max(...(await Promise.all(arrivals))) - started;
}

/** Spoke 0 is cut off for OUTAGE_S while the hub's users talk in each of its rooms; then it
 * comes back, checks the path, and rejoins all its rooms asking for what it missed. */
async function outage(bed: HubBed, label: string) {
  const spoke = bed.spokes[0]!;
  await spoke.disconnect();
  say(`  ${label}: ${spoke.options.domain} cut off for ${OUTAGE_S} s`);
  const cut = new Date();
  for (let r = 0; r < ROOMS; r++) bed.owner.say(hubRoom(0, r), `${label}: missed in ${r}`);
  await delay(OUTAGE_S * 1000);
  await spoke.connect();
  const back = Date.now();
  say(`  ${label}: ${spoke.options.domain} back; rejoining its rooms`);
  spoke.checks("service", PING_MS);
  const rejoined = spoke.joinAll(cut);
  // A live message once the first room is up again, while the others resync.
  const first = await spoke.joinedSince(back);
  const body = `${label}: live`;
  const sent = Date.now();
  const arrived = spoke.arrived(body);
  bed.owner.say(hubRoom(0, first), body);
  const latency = (await arrived) - sent;
  await rejoined;
  spoke.checks("none");
  return { allUp: Math.max(...spoke.joinedAt.values()) - back, latency };
}

async function main(): Promise<void> {
  const links = SPOKES * ROOMS;
  say(`hub: ${SPOKES} spokes x ${ROOMS} rooms = ${links} links`);
  const bed = await startHubBed({
    spokes: SPOKES,
    rooms: ROOMS,
    env: { FMUC_PING_INTERVAL_MS: String(PING_MS) },
  });
  const { owner, redis, spokes } = bed;
  try {
    const empty = await redisUsage(redis);
    let t = Date.now();
    await owner.createRooms(
      spokes.flatMap((_, s) => Array.from({ length: ROOMS }, (_, r) => hubRoom(s, r))),
    );
    say(`  ${links} hub rooms created in ${Date.now() - t} ms`);
    const roomsOnly = await redisUsage(redis);
    t = Date.now();
    await Promise.all(spokes.map((s) => s.joinAll()));
    const joinMs = Date.now() - t;
    say(`  ${links} links up in ${joinMs} ms`);
    await delay(SETTLE_S * 1000);
    const settled = await redisUsage(redis);
    const room = growthPer(settled, empty, links);
    const link = growthPer(settled, roomsOnly, links);
    say(
      `  Redis per federated room ${Math.round(room.bytes)} B, of which its link ${Math.round(link.bytes)} B`,
    );

    const service = await idle(bed, "service");
    const rooms = await idle(bed, "rooms");
    say(`  idle per spoke per hour: ${service.bytes} B / ${rooms.bytes} B (per-link checks)`);

    const before = await Promise.all(bed.workers.map(bed.linkStanzas));
    const steady = await burst(bed, "steady");
    const after = await Promise.all(bed.workers.map(bed.linkStanzas));
    const spread = after.map((n, i) => n - before[i]!);
    say(
      `  burst of ${links} messages: ${steady} ms; link stanzas per worker ${spread.join(" / ")}`,
    );

    const restartAt = Date.now();
    await bed.killWorkers();
    await bed.startWorkers();
    const restarted = (await burst(bed, "restarted")) + (Date.now() - restartAt);
    say(`  after every worker restarts: ${restarted} ms until a burst has reached every link`);

    const plain = await outage(bed, "plain");
    say(
      `  outage: all ${ROOMS} links up ${plain.allUp} ms after return; live message ${plain.latency} ms`,
    );
    let limited: typeof plain | undefined;
    if (RATE > 0) {
      await bed.killWorkers();
      await bed.startWorkers({ FMUC_PEER_RATES: `${spokeDomain(0)}=${RATE}` });
      limited = await outage(bed, "limited");
      say(`  with ${RATE} B/s: all up ${limited.allUp} ms; live message ${limited.latency} ms`);
    }

    const brief = [
      `${SPOKES} scripted spokes x ${ROOMS} rooms = ${links} links to one hub (2 workers, one Redis, ejabberd); checks every ${PING_MS} ms:`,
      "",
      "| figure | this design | baseline | ratio |",
      "| --- | ---: | ---: | ---: |",
      `| Redis per idle federated room (room, one local user, link) | ${Math.round(room.bytes)} B (${room.keys.toFixed(1)} keys) | | |`,
      `| of which the link (the spoke's occupant, link state) | ${Math.round(link.bytes)} B | | |`,
      `| link bytes per idle spoke per hour | ${Math.round(service.bytes)} B | ${Math.round(rooms.bytes)} B (a check per link) | ${(service.bytes / rooms.bytes).toFixed(3)} |`,
      `| hub CPU per idle spoke per hour | ${service.cpu.toFixed(2)} s | ${rooms.cpu.toFixed(2)} s (a check per link) | ${(service.cpu / rooms.cpu).toFixed(3)} |`,
      `| all ${links} links up from nothing | ${joinMs} ms | | |`,
      `| a message in every room reaches its spoke, after every worker restarted at once | ${restarted} ms | ${steady} ms (same burst before) | ${(restarted / steady).toFixed(2)} |`,
      `| link stanzas per worker in that burst | ${spread.join(" / ")} | | ${(Math.min(...spread) / Math.max(...spread)).toFixed(2)} |`,
      `| ${ROOMS} links of a spoke up after a ${OUTAGE_S} s outage | ${plain.allUp} ms | | |`,
      `| live message latency during that resync | ${plain.latency} ms | | |`,
      ...(limited
        ? [
            `| the same with ${RATE} B/s for that spoke: all up | ${limited.allUp} ms | ${plain.allUp} ms (no rate) | ${(limited.allUp / plain.allUp).toFixed(2)} |`,
            `| live message latency during that resync | ${limited.latency} ms | ${plain.latency} ms (no rate) | ${(limited.latency / plain.latency).toFixed(2)} |`,
          ]
        : []),
    ];
    appendRun(
      RESULTS,
      {
        command: commandLine("bench:hub"),
        nproc: availableParallelism(),
        settings: `Node ${process.version}`,
      },
      brief,
      [],
    );
  } finally {
    await bed.stop();
  }
}

run(main, "bench:hub");
