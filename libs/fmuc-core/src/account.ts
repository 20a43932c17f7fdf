// The bytes of a link stanza, part by part (libs/fmuc-core/README.md "What a message costs on
// the link"): what each element and attribute of the wire format costs, so that every byte is
// known before any is cut. The parts add up to the stanza's bytes as serialized.
import { NS, clone, type Element } from "@fedmuc/xmpp";

export const PARTS = [
  "stanza",
  "addresses",
  "ids",
  "fmuc",
  "numbering",
  "time",
  "trace",
  "body",
  "other",
] as const;
export type Part = (typeof PARTS)[number];
export type ByteAccount = Record<Part, number>;

const bytes = (el: Element | string): number => Buffer.byteLength(el.toString());

/** What the attribute `name` of `el` costs as serialized (its space, name, quotes, value). */
function attributeBytes(el: Element, name: string): number {
  if (el.attrs[name] === undefined) return 0;
  const without = clone(el);
  delete without.attrs[name];
  return bytes(el) - bytes(without);
}

/** The part a child of the stanza belongs to. */
function partOf(child: Element): Part {
  const ns = child.attrs.xmlns;
  if (child.name === "body") return "body";
  if (ns === NS.fmuc) return "fmuc";
  if (ns === NS.sid || ns === NS.occupantId) return "ids";
  if (ns === NS.delay) return "time";
  if (ns === NS.fedmuc && child.name === "trace") return "trace";
  if (ns === NS.fedmuc && (child.name === "seq" || child.name === "ack")) return "numbering";
  return "other";
}

export function byteAccount(stanza: Element): ByteAccount {
  const account = Object.fromEntries(PARTS.map((p) => [p, 0])) as ByteAccount;
  let children = 0;
  for (const child of stanza.children) {
    const size = bytes(child);
    children += size;
    if (typeof child === "string") {
      account.other += size;
      continue;
    }
    const part = partOf(child);
    // A numbered stanza's queued time is a timestamp, whatever element carries it.
    const at = part === "numbering" ? attributeBytes(child, "at") : 0;
    account[part] += size - at;
    account.time += at;
  }
  const addresses = attributeBytes(stanza, "from") + attributeBytes(stanza, "to");
  const id = attributeBytes(stanza, "id");
  account.addresses += addresses;
  account.ids += id;
  account.stanza += bytes(stanza) - children - addresses - id;
  return account;
}
