// One trace's spans as a tree for the terminal: children under their parent, siblings by start,
// each line with kind, service, duration, offset from the trace's start and a few attributes.
import type { AttrValue, ReceivedSpan } from "./otlp-receiver.js";

/** The attributes worth a place on a span's line, in this order. */
const KEY_ATTRIBUTES = [
  "fedmuc.room",
  "xmpp.stanza",
  "xmpp.type",
  "messaging.destination.name",
  "messaging.operation.type",
  "fedmuc.link.peer",
  "fedmuc.decision",
  "fedmuc.error.condition",
];
const MAX_VALUE = 40;
const MAX_LINKS = 5;

/** Milliseconds with 2 decimals below 10 ms, 1 above. */
function millis(ns: bigint): string {
  const ms = Number(ns) / 1e6;
  return `${ms.toFixed(Math.abs(ms) < 10 ? 2 : 1)} ms`;
}

function short(value: AttrValue): string {
  const text = Array.isArray(value) ? value.map(short).join(",") : String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function byStart(a: ReceivedSpan, b: ReceivedSpan): number {
  if (a.startNs !== b.startNs) return a.startNs < b.startNs ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function label(span: ReceivedSpan, traceStart: bigint, known: ReadonlySet<string>): string {
  const attributes = KEY_ATTRIBUTES.filter((key) => span.attributes[key] !== undefined).map(
    (key) => `${key}=${short(span.attributes[key] as AttrValue)}`,
  );
  const parent = span.parentSpanId;
  return [
    span.name,
    span.kind,
    `[${span.service}]`,
    millis(span.endNs - span.startNs),
    `+${millis(span.startNs - traceStart)}`,
    ...attributes,
    ...(span.status === "error" ? ["✗ error"] : []),
    ...(parent !== undefined && !known.has(parent) ? [`(parent ${parent} missing)`] : []),
  ].join(" ");
}

function linksOf(span: ReceivedSpan, byId: ReadonlyMap<string, ReceivedSpan>): string | undefined {
  if (span.links.length === 0) return undefined;
  const targets = span.links.slice(0, MAX_LINKS).map((l) => byId.get(l.spanId)?.name ?? l.spanId);
  const more = span.links.length - targets.length;
  return `↳ links: ${targets.join(", ")}${more > 0 ? ` … +${more}` : ""}`;
}

/** The spans of one trace as an indented tree; spans whose parent is not among them are roots. */
export function renderTrace(spans: readonly ReceivedSpan[]): string {
  if (spans.length === 0) return "(no spans)";
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const known = new Set(byId.keys());
  const roots: ReceivedSpan[] = [];
  const children = new Map<string, ReceivedSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId;
    if (parent === undefined || parent === span.spanId || !known.has(parent)) roots.push(span);
    else if (children.has(parent)) children.get(parent)!.push(span);
    else children.set(parent, [span]);
  }
  for (const list of children.values()) list.sort(byStart);

  const start = spans.reduce((min, s) => (s.startNs < min ? s.startNs : min), spans[0]!.startNs);
  const end = spans.reduce((max, s) => (s.endNs > max ? s.endNs : max), spans[0]!.endNs);
  const traces = [...new Set(spans.map((span) => span.traceId))].join(", ");
  const lines = [`trace ${traces} · ${spans.length} spans · ${millis(end - start)}`];
  const seen = new Set<ReceivedSpan>();
  const walk = (span: ReceivedSpan, first: string, rest: string): void => {
    if (seen.has(span)) return;
    seen.add(span);
    lines.push(first + label(span, start, known));
    const kids = children.get(span.spanId) ?? [];
    const links = linksOf(span, byId);
    if (links !== undefined) lines.push(`${rest}${kids.length > 0 ? "│  " : "   "}${links}`);
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      walk(kid, rest + (last ? "└─ " : "├─ "), rest + (last ? "   " : "│  "));
    });
  };
  for (const root of roots.sort(byStart)) walk(root, "", "");
  // Spans in a cycle of parents reach no root: shown after the rest, each from where it starts.
  for (const span of [...spans].sort(byStart)) walk(span, "", "");
  return lines.join("\n");
}
