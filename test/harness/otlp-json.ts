// OTLP trace requests in OTLP's JSON mapping (camelCase keys, hex ids, 64-bit integers as decimal
// strings, enums as numbers) → ReceivedSpans. The protobuf decoder (otlp-protobuf.ts) produces
// the same mapping, so both encodings end in `spansOfRequest` and give the same spans.

/** An attribute's value. A kvlist becomes a list of [key, value] pairs, bytes a base64 string,
 * a 64-bit integer a number (exact up to 2^53), an empty AnyValue "". */
export type AttrValue = string | number | boolean | AttrValue[];
export type Attributes = Record<string, AttrValue>;

export type SpanKindName =
  "unspecified" | "internal" | "server" | "client" | "producer" | "consumer";
export type StatusName = "unset" | "ok" | "error";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  /** The resource attribute service.name ("" without it). */
  service: string;
  resource: Attributes;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  events: { name: string; timeNs: bigint; attributes: Attributes }[];
  links: { traceId: string; spanId: string; attributes: Attributes }[];
  status: StatusName;
  /** The instrumentation scope's name. */
  scope: string;
}

/** A request body that is not a valid ExportTraceServiceRequest; `message` says where. */
export class OtlpDecodeError extends Error {
  override readonly name = "OtlpDecodeError";
}

// The JSON mapping, as the protobuf decoder writes it (a JSON body is checked field by field).
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  arrayValue?: { values: OtlpAnyValue[] };
  kvlistValue?: { values: OtlpKeyValue[] };
  bytesValue?: string;
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
export interface OtlpEvent {
  timeUnixNano: string;
  name: string;
  attributes: OtlpKeyValue[];
}
export interface OtlpLink {
  traceId: string;
  spanId: string;
  attributes: OtlpKeyValue[];
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  events: OtlpEvent[];
  links: OtlpLink[];
  status?: { code?: number };
}
export interface OtlpResourceSpans {
  resource?: { attributes: OtlpKeyValue[] };
  scopeSpans: { scope?: { name: string }; spans: OtlpSpan[] }[];
}
export interface OtlpTraceRequest {
  resourceSpans: OtlpResourceSpans[];
}

const KINDS: readonly SpanKindName[] = [
  "unspecified",
  "internal",
  "server",
  "client",
  "producer",
  "consumer",
];
const STATUSES: readonly StatusName[] = ["unset", "ok", "error"];
// Arrays and kvlists nest; deeper than this is an attack, not a span.
const MAX_DEPTH = 32;

type Json = Record<string, unknown>;

function fail(where: string, what: string): never {
  throw new OtlpDecodeError(`${where}: ${what}`);
}

// Missing and null fields take proto3's defaults.
function object(value: unknown, where: string): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) fail(where, "expected an object");
  return value as Json;
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(where, "expected an array");
  return value;
}

function text(value: unknown, where: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") fail(where, "expected a string");
  return value;
}

function integer(value: unknown, where: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  fail(where, "expected an integer (a number or a decimal string)");
}

function double(value: unknown, where: string): number {
  if (typeof value === "number") return value;
  // proto3 JSON writes NaN and the infinities, and allows any number, as strings.
  if (value === "NaN") return NaN;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) {
    return Number(value);
  }
  fail(where, "expected a number");
}

function enumName<T extends string>(value: unknown, names: readonly T[], where: string): T {
  if (value === undefined || value === null) return names[0] as T;
  if (typeof value === "number" && names[value] !== undefined) return names[value];
  fail(where, `expected an enum number 0..${names.length - 1}`);
}

function hexId(value: unknown, bytes: number, where: string): string {
  const id = text(value, where).toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(id)) {
    fail(where, `expected ${bytes * 2} hex digits, got ${JSON.stringify(value)}`);
  }
  return id;
}

function anyValue(value: unknown, where: string, depth: number): AttrValue {
  if (depth > MAX_DEPTH) fail(where, `values nested deeper than ${MAX_DEPTH}`);
  const v = object(value, where);
  const set = (key: string): boolean => v[key] !== undefined && v[key] !== null;
  if (set("stringValue")) return text(v.stringValue, `${where}.stringValue`);
  if (set("boolValue")) {
    if (typeof v.boolValue !== "boolean") fail(`${where}.boolValue`, "expected a boolean");
    return v.boolValue;
  }
  if (set("intValue")) return Number(integer(v.intValue, `${where}.intValue`));
  if (set("doubleValue")) return double(v.doubleValue, `${where}.doubleValue`);
  if (set("bytesValue")) return text(v.bytesValue, `${where}.bytesValue`);
  if (set("arrayValue")) {
    const at = `${where}.arrayValue.values`;
    const values = list(object(v.arrayValue, `${where}.arrayValue`).values, at);
    return values.map((item, i) => anyValue(item, `${at}[${i}]`, depth + 1));
  }
  if (set("kvlistValue")) {
    const at = `${where}.kvlistValue.values`;
    const values = list(object(v.kvlistValue, `${where}.kvlistValue`).values, at);
    return values.map((item, i) => keyValue(item, `${at}[${i}]`, depth + 1));
  }
  return "";
}

function keyValue(value: unknown, where: string, depth: number): [string, AttrValue] {
  const kv = object(value, where);
  return [text(kv.key, `${where}.key`), anyValue(kv.value, `${where}.value`, depth)];
}

function attributes(value: unknown, where: string): Attributes {
  return Object.fromEntries(list(value, where).map((kv, i) => keyValue(kv, `${where}[${i}]`, 0)));
}

function span(value: unknown, where: string, resource: Attributes, scope: string): ReceivedSpan {
  const s = object(value, where);
  const parent = text(s.parentSpanId, `${where}.parentSpanId`);
  return {
    traceId: hexId(s.traceId, 16, `${where}.traceId`),
    spanId: hexId(s.spanId, 8, `${where}.spanId`),
    ...(parent === "" ? {} : { parentSpanId: hexId(parent, 8, `${where}.parentSpanId`) }),
    name: text(s.name, `${where}.name`),
    kind: enumName(s.kind, KINDS, `${where}.kind`),
    service: String(resource["service.name"] ?? ""),
    resource,
    startNs: integer(s.startTimeUnixNano, `${where}.startTimeUnixNano`),
    endNs: integer(s.endTimeUnixNano, `${where}.endTimeUnixNano`),
    attributes: attributes(s.attributes, `${where}.attributes`),
    events: list(s.events, `${where}.events`).map((item, i) => {
      const at = `${where}.events[${i}]`;
      const e = object(item, at);
      return {
        name: text(e.name, `${at}.name`),
        timeNs: integer(e.timeUnixNano, `${at}.timeUnixNano`),
        attributes: attributes(e.attributes, `${at}.attributes`),
      };
    }),
    links: list(s.links, `${where}.links`).map((item, i) => {
      const at = `${where}.links[${i}]`;
      const l = object(item, at);
      return {
        traceId: hexId(l.traceId, 16, `${at}.traceId`),
        spanId: hexId(l.spanId, 8, `${at}.spanId`),
        attributes: attributes(l.attributes, `${at}.attributes`),
      };
    }),
    status: enumName(object(s.status, `${where}.status`).code, STATUSES, `${where}.status.code`),
    scope,
  };
}

/** The spans of an ExportTraceServiceRequest in the JSON mapping (parsed, not yet checked). */
export function spansOfRequest(request: unknown): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  list(object(request, "request").resourceSpans, "resourceSpans").forEach((item, i) => {
    const at = `resourceSpans[${i}]`;
    const rs = object(item, at);
    const resource = attributes(
      object(rs.resource, `${at}.resource`).attributes,
      `${at}.resource.attributes`,
    );
    list(rs.scopeSpans, `${at}.scopeSpans`).forEach((scopeItem, j) => {
      const where = `${at}.scopeSpans[${j}]`;
      const ss = object(scopeItem, where);
      const scope = text(object(ss.scope, `${where}.scope`).name, `${where}.scope.name`);
      list(ss.spans, `${where}.spans`).forEach((s, k) => {
        spans.push(span(s, `${where}.spans[${k}]`, resource, scope));
      });
    });
  });
  return spans;
}

/** The spans of an OTLP/JSON request body. */
export function decodeJsonRequest(body: Uint8Array): ReceivedSpan[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (err) {
    throw new OtlpDecodeError(`body is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return spansOfRequest(parsed);
}
