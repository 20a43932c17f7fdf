// Reading what arrived: predicates on stanzas, counts, marks and exactly-once assertions.
import { expect } from "vitest";
import { type Element, type TestClient } from "./client.js";
import { NS } from "./muc-ns.js";

export const bare = (jid: string): string => jid.split("/")[0]!;
export const occupant = (room: string, nick: string): string => `${room}/${nick}`;

/** The status codes of a muc#user payload, sorted (the XEP gives them no order). */
export function statusCodes(el: Element): number[] {
  const x = el.getChild("x", NS.mucUser);
  return (x?.getChildren("status") ?? []).map((s) => Number(s.attrs.code)).sort((a, b) => a - b);
}

/** The attributes of the muc#user <item/>. */
export function itemOf(el: Element): Record<string, string | undefined> {
  const item = el.getChild("x", NS.mucUser)?.getChild("item");
  if (!item) throw new Error(`no muc#user item in ${el.toString()}`);
  return item.attrs as Record<string, string | undefined>;
}

/** The defined condition of an error stanza (RFC 6120 8.3.3), if it is one. */
export function errorCondition(el: Element): string | undefined {
  if (el.attrs.type !== "error") return undefined;
  return el
    .getChild("error")
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS.stanzas)?.name;
}

export function errorText(el: Element): string | undefined {
  return el.getChild("error")?.getChild("text", NS.stanzas)?.getText();
}

export type Predicate = (el: Element) => boolean;

/** Presence from `from` of `type` (undefined: available). */
export const presenceFrom =
  (from: string, type?: string): Predicate =>
  (el) =>
    el.is("presence") && el.attrs.from === from && el.attrs.type === type;

/** Presence from `from` carrying status code `code`. */
export const presenceWithCode =
  (from: string, code: number, type?: string): Predicate =>
  (el) =>
    presenceFrom(from, type)(el) && statusCodes(el).includes(code);

export const groupchatBody =
  (body: string): Predicate =>
  (el) =>
    el.is("message") && el.attrs.type === "groupchat" && el.getChildText("body") === body;

/** Presence of any type (available, unavailable, error) from `from`. */
export const anyPresenceFrom =
  (from: string): Predicate =>
  (el) =>
    el.is("presence") && el.attrs.from === from;

/** Anything from exactly `jid` (the room's own address, or one occupant JID). */
export const fromJid =
  (jid: string): Predicate =>
  (el) =>
    el.attrs.from === jid;

/** Anything in `room` (from the room or one of its occupants). */
export const fromRoom =
  (room: string): Predicate =>
  (el) =>
    bare(el.attrs.from ?? "") === room;

/** Resolves once `client` has received a matching stanza, whether already or later. */
export async function seen(client: TestClient, predicate: Predicate, timeoutMs: number) {
  if (!client.received.some(predicate)) await client.waitFor(predicate, timeoutMs);
}

/** How many stanzas the client has received (since it connected) that match. */
export function count(client: TestClient, predicate: Predicate): number {
  return client.received.filter((el) => predicate(el)).length;
}

/** What the client received, since `mark` (an index into `received`), that matches. */
export function since(client: TestClient, mark: number, predicate: Predicate = () => true) {
  return client.received.slice(mark).filter((el) => predicate(el));
}

/** Where each client's `received` stands at a step, so as to see what came of the step. */
export type Marks = ReadonlyMap<TestClient, number>;

/** Marks the clients where they stand now. */
export function marks(...clients: TestClient[]): Marks {
  return new Map(clients.map((c) => [c, c.received.length]));
}

/**
 * The one stanza matching `predicate` that `client` received since its mark in `after` (without
 * marks: since it connected); fails unless there is exactly one.
 */
export function once(client: TestClient, predicate: Predicate, after?: Marks): Element {
  const mark = after ? after.get(client) : 0;
  if (mark === undefined) throw new Error(`${client.jid} has no mark`);
  const got = since(client, mark, predicate);
  expect(got, `what ${client.jid} received`).toHaveLength(1);
  return got[0]!;
}

/** Waits for a stanza matching `predicate` that `client` received after its mark in `after`
 * (already, or later), leaving earlier ones alone. */
export function arrives(
  client: TestClient,
  predicate: Predicate,
  after: Marks,
  timeoutMs = 20_000,
): Promise<Element> {
  const mark = after.get(client);
  if (mark === undefined) throw new Error(`${client.jid} has no mark`);
  return client.waitFor((el) => predicate(el) && client.received.indexOf(el) >= mark, timeoutMs);
}

/**
 * `once` for each client: each marked one since its mark, or each one given since it connected.
 * Every one of them must have received exactly one such stanza; they come back by client.
 */
export function onceEach(
  clients: Marks | readonly TestClient[],
  predicate: Predicate,
): Map<TestClient, Element> {
  if (!("get" in clients)) return new Map(clients.map((c) => [c, once(c, predicate)]));
  return new Map([...clients.keys()].map((c) => [c, once(c, predicate, clients)]));
}
