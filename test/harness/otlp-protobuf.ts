// OTLP/protobuf trace requests: a small reader of the protobuf wire format, and the decoding of
// ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) into OTLP's JSON mapping,
// which otlp-json.ts turns into ReceivedSpans. Unknown fields of any wire type are skipped.
import {
  OtlpDecodeError,
  spansOfRequest,
  type OtlpAnyValue,
  type OtlpEvent,
  type OtlpKeyValue,
  type OtlpLink,
  type OtlpResourceSpans,
  type OtlpSpan,
  type OtlpTraceRequest,
  type ReceivedSpan,
} from "./otlp-json.js";

/** One field as read off the wire; `where` names it for errors. */
export type Field = { number: number; where: string } & (
  | { wire: 0; value: bigint } // varint
  | { wire: 1; value: bigint } // fixed64
  | { wire: 2; value: Uint8Array } // length-delimited
  | { wire: 5; value: number } // fixed32
);

// Nesting (groups, arrays and kvlists of values) deeper than this is an attack, not a span.
const MAX_DEPTH = 32;

export class WireReader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.take(1)[0] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new OtlpDecodeError(`varint longer than 10 bytes at byte ${this.at}`);
  }

  fixed64(): bigint {
    const bytes = this.take(8);
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  }

  fixed32(): number {
    const bytes = this.take(4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  }

  lengthDelimited(): Uint8Array {
    const length = this.varint();
    if (length > BigInt(this.bytes.length - this.at)) {
      throw new OtlpDecodeError(`length ${length} at byte ${this.at} runs past the end`);
    }
    return this.take(Number(length));
  }

  /** The next field's number and wire type. */
  tag(): { number: number; wire: number } {
    const tag = this.varint();
    const number = Number(tag >> 3n);
    if (number === 0 || number > 0x1fffffff) {
      throw new OtlpDecodeError(`bad field number ${number} before byte ${this.at}`);
    }
    return { number, wire: Number(tag & 7n) };
  }

  /** Skips the rest of the group (wire types 3 and 4, long deprecated) `number` whose start tag was just read. */
  skipGroup(number: number, depth = 0): void {
    if (depth > MAX_DEPTH) throw new OtlpDecodeError(`groups nested deeper than ${MAX_DEPTH}`);
    for (;;) {
      const tag = this.tag();
      if (tag.wire === 4) {
        if (tag.number === number) return;
        throw new OtlpDecodeError(`group ${number} ended by the end of group ${tag.number}`);
      }
      if (tag.wire === 3) this.skipGroup(tag.number, depth + 1);
      else this.value(tag.wire, `field ${tag.number}`);
    }
  }

  /** The value of a field of wire type 0, 1, 2 or 5. */
  value(wire: number, where: string): Field["value"] {
    switch (wire) {
      case 0:
        return this.varint();
      case 1:
        return this.fixed64();
      case 2:
        return this.lengthDelimited();
      case 5:
        return this.fixed32();
      default:
        throw new OtlpDecodeError(`${where}: unexpected wire type ${wire}`);
    }
  }

  private take(count: number): Uint8Array {
    if (this.at + count > this.bytes.length) {
      throw new OtlpDecodeError(`message ends inside a value at byte ${this.at}`);
    }
    this.at += count;
    return this.bytes.subarray(this.at - count, this.at);
  }
}

/** The fields of the message `bytes`, groups skipped. */
export function* fields(bytes: Uint8Array, message: string): Generator<Field> {
  const reader = new WireReader(bytes);
  while (!reader.done) {
    const { number, wire } = reader.tag();
    const where = `${message} field ${number}`;
    if (wire === 3) reader.skipGroup(number);
    else yield { number, where, wire, value: reader.value(wire, where) } as Field;
  }
}

function expectWire<W extends Field["wire"]>(field: Field, wire: W): Extract<Field, { wire: W }> {
  if (field.wire !== wire) {
    throw new OtlpDecodeError(`${field.where}: wire type ${field.wire}, expected ${wire}`);
  }
  return field as Extract<Field, { wire: W }>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

const bytesOf = (field: Field): Uint8Array => expectWire(field, 2).value;
const hexOf = (field: Field): string => Buffer.from(bytesOf(field)).toString("hex");
const varintOf = (field: Field): bigint => expectWire(field, 0).value;
const fixed64Of = (field: Field): bigint => expectWire(field, 1).value;

function textOf(field: Field): string {
  try {
    return utf8.decode(bytesOf(field));
  } catch (err) {
    throw new OtlpDecodeError(`${field.where}: not UTF-8`, { cause: err });
  }
}

function doubleOf(field: Field): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, fixed64Of(field), true);
  return view.getFloat64(0, true);
}

type Handlers = Partial<Record<number, (field: Field) => void>>;

/** Reads the message `bytes`, handing each known field to its handler. */
function decode(bytes: Uint8Array, message: string, handlers: Handlers): void {
  for (const field of fields(bytes, message)) handlers[field.number]?.(field);
}

function anyValue(bytes: Uint8Array, depth = 0): OtlpAnyValue {
  if (depth > MAX_DEPTH) throw new OtlpDecodeError(`values nested deeper than ${MAX_DEPTH}`);
  const inner = {
    value: (b: Uint8Array) => anyValue(b, depth + 1),
    keyValue: (b: Uint8Array) => keyValue(b, depth + 1),
  };
  let value: OtlpAnyValue = {};
  decode(bytes, "AnyValue", {
    1: (f) => (value = { stringValue: textOf(f) }),
    2: (f) => (value = { boolValue: varintOf(f) !== 0n }),
    3: (f) => (value = { intValue: BigInt.asIntN(64, varintOf(f)).toString() }),
    4: (f) => (value = { doubleValue: doubleOf(f) }),
    5: (f) => (value = { arrayValue: { values: repeated(bytesOf(f), "ArrayValue", inner.value) } }),
    6: (f) =>
      (value = { kvlistValue: { values: repeated(bytesOf(f), "KeyValueList", inner.keyValue) } }),
    7: (f) => (value = { bytesValue: Buffer.from(bytesOf(f)).toString("base64") }),
  });
  return value;
}

function keyValue(bytes: Uint8Array, depth = 0): OtlpKeyValue {
  const kv: OtlpKeyValue = { key: "" };
  decode(bytes, "KeyValue", {
    1: (f) => (kv.key = textOf(f)),
    2: (f) => (kv.value = anyValue(bytesOf(f), depth)),
  });
  return kv;
}

/** The messages of field 1 of `bytes` (ArrayValue, KeyValueList, Resource's attributes). */
function repeated<T>(bytes: Uint8Array, message: string, item: (bytes: Uint8Array) => T): T[] {
  const items: T[] = [];
  decode(bytes, message, { 1: (f) => items.push(item(bytesOf(f))) });
  return items;
}

function event(bytes: Uint8Array): OtlpEvent {
  const e: OtlpEvent = { timeUnixNano: "0", name: "", attributes: [] };
  decode(bytes, "Span.Event", {
    1: (f) => (e.timeUnixNano = fixed64Of(f).toString()),
    2: (f) => (e.name = textOf(f)),
    3: (f) => e.attributes.push(keyValue(bytesOf(f))),
  });
  return e;
}

function link(bytes: Uint8Array): OtlpLink {
  const l: OtlpLink = { traceId: "", spanId: "", attributes: [] };
  decode(bytes, "Span.Link", {
    1: (f) => (l.traceId = hexOf(f)),
    2: (f) => (l.spanId = hexOf(f)),
    4: (f) => l.attributes.push(keyValue(bytesOf(f))),
  });
  return l;
}

function span(bytes: Uint8Array): OtlpSpan {
  const s: OtlpSpan = {
    traceId: "",
    spanId: "",
    name: "",
    startTimeUnixNano: "0",
    endTimeUnixNano: "0",
    attributes: [],
    events: [],
    links: [],
  };
  decode(bytes, "Span", {
    1: (f) => (s.traceId = hexOf(f)),
    2: (f) => (s.spanId = hexOf(f)),
    4: (f) => (s.parentSpanId = hexOf(f)),
    5: (f) => (s.name = textOf(f)),
    6: (f) => (s.kind = Number(BigInt.asIntN(32, varintOf(f)))),
    7: (f) => (s.startTimeUnixNano = fixed64Of(f).toString()),
    8: (f) => (s.endTimeUnixNano = fixed64Of(f).toString()),
    9: (f) => s.attributes.push(keyValue(bytesOf(f))),
    11: (f) => s.events.push(event(bytesOf(f))),
    13: (f) => s.links.push(link(bytesOf(f))),
    15: (f) =>
      decode(bytesOf(f), "Status", {
        3: (c) => (s.status = { code: Number(BigInt.asIntN(32, varintOf(c))) }),
      }),
  });
  return s;
}

function resourceSpans(bytes: Uint8Array): OtlpResourceSpans {
  const rs: OtlpResourceSpans = { scopeSpans: [] };
  decode(bytes, "ResourceSpans", {
    1: (f) => (rs.resource = { attributes: repeated(bytesOf(f), "Resource", keyValue) }),
    2: (f) => {
      const ss: OtlpResourceSpans["scopeSpans"][number] = { spans: [] };
      decode(bytesOf(f), "ScopeSpans", {
        1: (scope) =>
          decode(bytesOf(scope), "InstrumentationScope", {
            1: (name) => (ss.scope = { name: textOf(name) }),
          }),
        2: (s) => ss.spans.push(span(bytesOf(s))),
      });
      rs.scopeSpans.push(ss);
    },
  });
  return rs;
}

/** An ExportTraceServiceRequest in OTLP's JSON mapping. */
export function decodeTraceRequest(bytes: Uint8Array): OtlpTraceRequest {
  return { resourceSpans: repeated(bytes, "ExportTraceServiceRequest", resourceSpans) };
}

/** The spans of an OTLP/protobuf request body. */
export function decodeProtobufRequest(body: Uint8Array): ReceivedSpan[] {
  return spansOfRequest(decodeTraceRequest(body));
}
