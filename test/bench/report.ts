// The figures: a summary table (medians over the rounds) on stdout, and a dated section with the
// summary and every round appended to test/bench/results.md.
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { median } from "./stats.js";

export interface Figures {
  /** Copies delivered per second at the receivers. */
  rate: number;
  p50: number;
  p99: number;
  delivered: number;
  expected: number;
  errors: number;
}

export interface Row {
  label: string;
  /** Set when the target was skipped or failed; the figures are then absent. */
  note?: string;
  /** Closed loop: the most the target carries. */
  saturated?: Figures;
  /** Open loop at a fixed rate. */
  paced?: Figures;
  /** % of one core over the saturated phase, by role, and `others` (the rest of the machine). */
  cpu?: Record<string, number>;
}

const HEADER = `# Benchmark results

Written by \`npm run bench\` (test/bench/fanout.ts) and \`npm run bench:scale\` (test/bench/scale.ts,
whose sections say what they measure); each run appends a section. \`npm run bench\`: one Prosody;
a room of 100 anonymous occupants of whom 10 send; each copy of a groupchat message is counted and
timed (send to receipt, one clock) at its receiver. Targets run in turn, in interleaved rounds.

- paced: open loop at a modest fixed rate every target carries: latency without queueing.
- saturated: closed loop, each sender keeps a window of messages in flight (the next one leaves
  when one comes back to it): the target's throughput (delivered/s); its latency is mostly
  queueing. CPU % is over this phase (100 = one core); \`others\` is the rest of the machine.
- per Prosody CPU-s: copies delivered per CPU-second Prosody used (Prosody is the bottleneck).
- Compare targets within one run: the ratios are taken round by round, then their median.
`;

export const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits);
const short = (label: string): string => label.split(" ")[0] ?? label;
/** Copies per CPU-second of Prosody. */
const efficiency = (r: Row): number => (r.saturated?.rate ?? NaN) / ((r.cpu?.prosody ?? NaN) / 100);
/** CPU-seconds of the component (the MUC service's process) per copy delivered: what tracing
 * costs shows here, where Prosody, the bottleneck, hides it from the rates. */
const componentCost = (r: Row): number =>
  (r.cpu?.component ?? NaN) / 100 / (r.saturated?.rate ?? NaN);

const COLUMNS =
  "| target | delivered/s | per Prosody CPU-s | saturated p50 / p99 ms | paced p50 / p99 ms | CPU % of a core |\n" +
  "| --- | ---: | ---: | ---: | ---: | --- |";

/** What did not arrive (or came back as errors) in the row's phases, or "". */
export function incomplete(r: Row): string {
  return [r.saturated, r.paced]
    .filter((f) => f && (f.delivered < f.expected || f.errors > 0))
    .map((f) => ` (${f?.delivered}/${f?.expected} delivered, ${f?.errors} errors)`)
    .join("");
}

/** CPU % by role: "prosody 92, clients 4". */
export const cpuText = (r: Row): string =>
  Object.entries(r.cpu ?? {})
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(", ");

/** Latency p50 / p99 of a phase, ms. */
export const latency = (f: Figures | undefined): string => `${fmt(f?.p50, 1)} / ${fmt(f?.p99, 1)}`;

function line(r: Row): string {
  if (r.note !== undefined) return `| ${r.label} | - | - | - | - | ${r.note.split("\n")[0]} |`;
  return (
    `| ${r.label} | ${fmt(r.saturated?.rate)}${incomplete(r)} | ${fmt(efficiency(r))} | ` +
    `${latency(r.saturated)} | ${latency(r.paced)} | ${cpuText(r)} |`
  );
}

/** One row per target: the median of each figure over the rounds where it ran. */
export function summarize(rounds: Row[][]): Row[] {
  const labels = [...new Set(rounds.flat().map((r) => r.label))];
  return labels.map((label) => {
    const runs = rounds.flat().filter((r) => r.label === label && r.note === undefined);
    if (runs.length === 0) return rounds.flat().find((r) => r.label === label) as Row;
    const med = (pick: (r: Row) => number | undefined): number => median(runs.map(pick));
    const figures = (f: (r: Row) => Figures | undefined): Figures => ({
      rate: med((r) => f(r)?.rate),
      p50: med((r) => f(r)?.p50),
      p99: med((r) => f(r)?.p99),
      delivered: runs.reduce((n, r) => n + (f(r)?.delivered ?? 0), 0),
      expected: runs.reduce((n, r) => n + (f(r)?.expected ?? 0), 0),
      errors: runs.reduce((n, r) => n + (f(r)?.errors ?? 0), 0),
    });
    const roles = Object.keys(runs[0]?.cpu ?? {});
    return {
      label,
      saturated: figures((r) => r.saturated),
      paced: figures((r) => r.paced),
      cpu: Object.fromEntries(roles.map((k) => [k, med((r) => r.cpu?.[k])])),
    };
  });
}

/**
 * Each later target relative to each earlier one, taken within each round (same conditions),
 * then the median over the rounds and the range: "(c)/(b) 0.42 (0.40-0.45)".
 */
export function ratios<R extends Row>(rounds: R[][], of: (r: R) => number): string {
  const labels = [...new Set(rounds.flat().map((r) => r.label))];
  const value = (rows: R[], label: string): number => {
    const row = rows.find((r) => r.label === label && r.note === undefined);
    return row ? of(row) : NaN;
  };
  return labels
    .flatMap((a, i) =>
      labels.slice(0, i).map((b) => {
        const per = rounds.map((rows) => value(rows, a) / value(rows, b)).filter((x) => x > 0);
        if (per.length === 0) return undefined;
        const range = `${fmt(Math.min(...per), 2)}-${fmt(Math.max(...per), 2)}`;
        return `${short(a)}/${short(b)} ${fmt(median(per), 2)} (${range})`;
      }),
    )
    .filter((x) => x !== undefined)
    .join(", ");
}

export interface RunMeta {
  command: string;
  nproc: number;
  settings: string;
}

export function report(rounds: Row[][], meta: RunMeta, file: string): void {
  const summary = summarize(rounds);
  const brief = [
    `Medians over ${rounds.length} round(s):`,
    "",
    COLUMNS,
    ...summary.map(line),
    "",
    `Ratios of delivered/s, median (range) over rounds: ${ratios(rounds, (r) => r.saturated?.rate ?? NaN) || "-"}`,
    `Ratios of per Prosody CPU-s: ${ratios(rounds, efficiency) || "-"}`,
    `Ratios of the component's CPU per copy delivered: ${ratios(rounds, componentCost) || "-"}`,
  ];
  const details = rounds.flatMap((rows, i) => [
    "",
    `Round ${i + 1}:`,
    "",
    COLUMNS,
    ...rows.map(line),
  ]);
  appendRun(file, meta, brief, details);
}

/** Prints the brief; appends a dated section (command, settings, brief, details) to `file`,
 * which starts with `header` when new. */
export function appendRun(
  file: string,
  meta: RunMeta,
  brief: string[],
  details: string[],
  header = HEADER,
): void {
  const head = [
    `## ${new Date().toISOString()}`,
    "",
    `- command: \`${meta.command}\``,
    `- nproc: ${meta.nproc}; ${meta.settings}`,
    "",
  ];
  process.stdout.write(`\n${brief.join("\n")}\n`);
  if (!existsSync(file)) writeFileSync(file, header);
  appendFileSync(file, `\n${[...head, ...brief, ...details].join("\n")}\n`);
}
