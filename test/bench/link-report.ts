// The link benchmark's figures: tables on stdout, and a dated section appended to
// test/bench/links-results.md.
import { ACCEPTANCE } from "../harness/acceptance.js";
import type { ScenarioResult } from "../harness/outage-scenario.js";
import { PARTS } from "@fedmuc/fmuc-core";
import type { Accounted } from "./link-account.js";
import type { Path } from "./link-audience.js";
import type { BytesRow } from "./link-bytes.js";
import { appendRun, type RunMeta } from "./report.js";
import type { ThroughputRow } from "./link-throughput.js";

export interface LinkFigures {
  bytes: BytesRow[];
  account: Record<Path, Accounted>;
  slow: ThroughputRow[];
  resync: { outageS: number; result: ScenarioResult }[];
  slowRate: number;
}

const HEADER = `# Link benchmark results

Written by \`npm run bench:links\` (test/bench/links.ts); each run appends a section. Two sites
(Prosody each, real S2S across the link shaper), this service as each site's MUC with its own
Redis. Bytes are the shaper's payload bytes, both directions (S2S stream and dialback included).

- one message, part by part: the stanza that carried one message of the hub's occupant across
  the shaper toward the spoke (S2S is plain text on the bed), on each path with one spoke user;
  its parts (libs/fmuc-core/src/account.ts) as serialized again, and its bytes as it crossed.
- bytes per message: a room at the hub with one occupant there and N anonymous users of the
  spoke's server; federated: they are in the spoke's room (this service, FMUC_UPSTREAM the hub's);
  direct: they are in the hub's room themselves, over S2S (no spoke service: the peer). Each side
  sends in turn; bytes over the link divided by the messages.
- throughput: a burst from the hub's occupant to one spoke occupant across a slow link; useful:
  message body bits per second at the receiver (first to last arrival) over the link's rate; use:
  all bits the link carried meanwhile over its rate (near 1: the link was kept full).
- resync: the acceptance scenario (test/e2e/constrained-link.test.ts, primary-primary); time
  from the restore until every occupant had every message (or not by the bound), until the last
  missed message arrived, and the floor: the missed messages' bytes at the link's rate.
`;

const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits);
const seconds = (ms: number | null) => (ms === null ? "no" : fmt(ms / 1000, 1));

function bytesTable(rows: BytesRow[]): string[] {
  return [
    "| spoke occupants | sender | federated B/message | direct B/message | direct / federated |",
    "| ---: | --- | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.occupants} | ${r.sender} | ${fmt(r.perMessage.federated)} | ` +
        `${fmt(r.perMessage.direct)} | ${fmt(r.perMessage.direct / r.perMessage.federated, 2)} |`,
    ),
  ];
}

function accountTable(account: Record<Path, Accounted>): string[] {
  const { federated, direct } = account;
  const row = (part: string, f: number, d: number) => `| ${part} | ${f} | ${d} |`;
  return [
    "| part | link copy B (federated) | plain copy B (direct) |",
    "| --- | ---: | ---: |",
    ...PARTS.map((p) => row(p, federated.account[p], direct.account[p])),
    row("**as it crossed**", federated.wire, direct.wire),
    "",
    `Link copy / plain copy: ${fmt(federated.wire / direct.wire, 2)}`,
  ];
}

function throughputTable(rows: ThroughputRow[], rate: number): string[] {
  const of = (path: string) => rows.find((r) => r.path === path);
  const ratio = (of("federated")?.useful ?? NaN) / (of("direct")?.useful ?? NaN);
  return [
    `| path | useful / ${rate} bit/s | link use | burst took s |`,
    "| --- | ---: | ---: | ---: |",
    ...rows.map(
      (r) => `| ${r.path} | ${fmt(r.useful, 2)} | ${fmt(r.use, 2)} | ${fmt(r.seconds, 1)} |`,
    ),
    "",
    `Useful throughput, federated / direct: ${fmt(ratio, 2)}`,
  ];
}

function resyncTable(runs: LinkFigures["resync"]): string[] {
  return [
    "| outage s | all everywhere after s | last arrival s | floor s | last / floor | lost | duplicates | left | resync bytes / missed |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...runs.map(({ outageS, result: r }) => {
      const b = r.bytes;
      const floorS = Math.max(
        ...(["hubToSpoke", "spokeToHub"] as const).map(
          (d) => (b.missed[d] * b.perMessage[d] * 8) / ACCEPTANCE.rate,
        ),
      );
      const lost = new Set(r.tallies.flatMap((t) => t.lost.map((m) => m.body))).size;
      const dups = Math.max(...r.tallies.map((t) => t.duplicates));
      const last = r.lastArrivalMs === null ? NaN : r.lastArrivalMs / 1000;
      return (
        `| ${outageS} | ${seconds(r.convergedMs)} | ${fmt(last, 1)} | ${fmt(floorS, 1)} | ` +
        `${fmt(last / floorS, 2)} | ${lost} | ${dups} | ${r.unavailable.length} | ${fmt(b.ratio, 2)} |`
      );
    }),
    "",
    "lost: distinct messages some occupant never got; duplicates: the most any occupant got twice;",
    "left: unavailable presences the clients saw (nobody should leave, unless the outage outlasts",
    "FMUC_GRACE_MS, 5 min by default: then the far side's occupants leave, and come back on resync).",
  ];
}

export function linksReport(f: LinkFigures, meta: RunMeta, file: string): void {
  const body = [
    "One message from the hub's occupant, its stanza toward the spoke, part by part:",
    "",
    ...accountTable(f.account),
    "",
    "Bytes over the link per groupchat message:",
    "",
    ...bytesTable(f.bytes),
    "",
    `Throughput at ${f.slowRate} bit/s:`,
    "",
    ...throughputTable(f.slow, f.slowRate),
    "",
    "Resync after an outage:",
    "",
    ...resyncTable(f.resync),
  ];
  appendRun(file, meta, body, [], HEADER);
}
