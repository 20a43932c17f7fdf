// The scale benchmark's figures: per room size, one row per target (medians over the rounds)
// and the ratios between targets taken round by round; printed and appended to results.md.
import { appendRun, cpuText, fmt, incomplete, latency, ratios, summarize } from "./report.js";
import type { ScaleRow } from "./scale-measure.js";
import { median } from "./stats.js";

export interface SizeResult {
  size: number;
  /** Seconds each target took to grow its room to this size (joins in parallel), by label. */
  fill: Record<string, number>;
  rounds: ScaleRow[][];
}

const COLUMNS =
  "| target | delivered/s | saturated p50 / p99 ms | paced p50 / p99 ms | join ms: median (max) " +
  "| Redis per message: round trips / commands | Redis bytes per occupant / per history message " +
  "| CPU % of a core (saturated) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |";

const perMessage = (r: ScaleRow) => r.redis?.roundTrips ?? NaN;
const joinMedian = (r: ScaleRow) => median(r.joinMs ?? []);

function line(rows: ScaleRow[]): string {
  const [first] = rows;
  const runs = rows.filter((r) => r.note === undefined);
  if (!first || runs.length === 0) {
    return `| ${first?.label ?? "?"} | - | - | - | - | - | - | ${first?.note?.split("\n")[0]} |`;
  }
  const [summary] = summarize([runs]);
  const med = (pick: (r: ScaleRow) => number | undefined) => median(runs.map(pick));
  const joins = runs.flatMap((r) => r.joinMs ?? []);
  const redis = runs[0]?.redis
    ? `${fmt(med(perMessage), 2)} / ${fmt(
        med((r) => r.redis?.commands),
        2,
      )}`
    : "-";
  const memory = runs[0]?.memory
    ? `${fmt(med((r) => r.memory?.perOccupant))} / ${fmt(med((r) => r.memory?.perHistoryEntry))}`
    : "-";
  const s = summary ?? first;
  return (
    `| ${first.label} | ${fmt(s.saturated?.rate)}${runs.map(incomplete).join("")} | ` +
    `${latency(s.saturated)} | ${latency(s.paced)} | ` +
    `${fmt(median(joins), 1)} (${fmt(Math.max(...joins), 1)}) | ${redis} | ${memory} | ${cpuText(s)} |`
  );
}

function section(result: SizeResult): string[] {
  const labels = [...new Set(result.rounds.flat().map((r) => r.label))];
  const byLabel = (label: string) => result.rounds.flat().filter((r) => r.label === label);
  const fill = Object.entries(result.fill)
    .map(([label, s]) => `${label.split(" ")[0]} ${fmt(s, 1)}`)
    .join(", ");
  return [
    "",
    `### Room of ${result.size} occupants`,
    "",
    COLUMNS,
    ...labels.map((l) => line(byLabel(l))),
    "",
    `- delivered/s, ratio (median over rounds, range): ${ratios(result.rounds, (r) => r.saturated?.rate ?? NaN) || "-"}`,
    `- join time, ratio: ${ratios(result.rounds, joinMedian) || "-"}`,
    `- delivered/s by round: ${labels
      .map(
        (l) =>
          `${l.split(" ")[0]} ${byLabel(l)
            .map((r) => fmt(r.saturated?.rate))
            .join(" ")}`,
      )
      .join("; ")}`,
    `- seconds to grow the room to ${result.size}: ${fill || "-"}`,
  ];
}

/** The Redis commands of one groupchat message, by target and size: "(c) 10: 1/4, 100: 1/4". */
function redisSummary(results: SizeResult[]): string[] {
  const labels = [...new Set(results.flatMap((r) => r.rounds.flat()).map((r) => r.label))];
  return labels.flatMap((label) => {
    const cells = results.flatMap((res) => {
      const runs = res.rounds.flat().filter((r) => r.label === label && r.redis);
      if (runs.length === 0) return [];
      const rt = median(runs.map(perMessage));
      const all = median(runs.map((r) => r.redis?.commands));
      const names = Object.entries(runs[0]?.redis?.byCommand ?? {})
        .map(([k, v]) => `${k} ${fmt(v, 2)}`)
        .join(", ");
      return [`${res.size}: ${fmt(rt, 2)} / ${fmt(all, 2)} (${names})`];
    });
    return cells.length ? [`- ${label}: ${cells.join("; ")}`] : [];
  });
}

export function reportScale(
  results: SizeResult[],
  meta: { command: string; nproc: number; settings: string },
  file: string,
): void {
  const brief = [
    "Scale benchmark (`npm run bench:scale`, test/bench/scale.ts): one ejabberd and one Prosody on",
    "this machine, anonymous occupants; each room grows from size to size; ratios are later/earlier",
    "target, taken within each round. Join: a newcomer's presence sent until its self-presence",
    "arrives. Redis per message: MONITOR on the room's keys over a few messages (round trips the",
    "workers sent; commands including those the Lua scripts ran). Redis bytes: MEMORY USAGE of the",
    "occupants hash / occupants, and of the history stream / its entries.",
    ...results.flatMap(section),
    "",
    "Redis round trips / commands per groupchat message, by room size:",
    "",
    ...redisSummary(results),
  ];
  appendRun(file, meta, brief, []);
}
