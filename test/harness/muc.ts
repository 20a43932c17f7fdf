// XEP-0045 helpers for the end-to-end suites: one test bed per file (Redis, Prosody, the service),
// and the client side of the protocol (join, configure, admin queries, barriers, assertions on
// what arrived), so that the suites read like the XEP.
import { afterAll, beforeAll, expect } from "vitest";
import { connectUser, testAccounts, xml, type Element, type TestClient } from "./client.js";
import { startProsody, type ProsodyHandle } from "./prosody.js";
import { startRedis, uniquePrefix, type RedisHandle } from "./redis.js";
import { startService, type ServiceHandle } from "./service.js";

export { xml, type Element, type TestClient };

export const NS = {
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  mucOwner: "http://jabber.org/protocol/muc#owner",
  roomconfig: "http://jabber.org/protocol/muc#roomconfig",
  roominfo: "http://jabber.org/protocol/muc#roominfo",
  request: "http://jabber.org/protocol/muc#request",
  data: "jabber:x:data",
  discoInfo: "http://jabber.org/protocol/disco#info",
  discoItems: "http://jabber.org/protocol/disco#items",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  delay: "urn:xmpp:delay",
  sid: "urn:xmpp:sid:0",
  occupantId: "urn:xmpp:occupant-id:0",
  ping: "urn:xmpp:ping",
} as const;

// ---------------------------------------------------------------------------------------------
// The test bed

export interface MucBedOptions {
  /** Accounts to register up front (password: `<user>-pw`). */
  users: readonly string[];
  /** Extra environment of the service. */
  env?: Record<string, string>;
  /** Also run Prosody's own MUC at `conf.localhost`, for comparison. */
  prosodyMuc?: boolean;
}

export interface MucBed {
  /** The service's domain. */
  readonly domain: string;
  /** The domain of Prosody's own MUC (with `prosodyMuc`). */
  readonly prosodyMucDomain: string;
  readonly redis: RedisHandle;
  readonly prosody: ProsodyHandle;
  readonly service: ServiceHandle;
  /** A new connection of a registered user; stopped in afterAll. */
  connect(user: string): Promise<TestClient>;
  /** New connections of several users at once, in the order given. */
  connectAll<const U extends readonly string[]>(
    ...users: U
  ): Promise<{ -readonly [K in keyof U]: TestClient }>;
  /** A room address not used before in this file. */
  room(label: string, domain?: string): string;
  /** SIGTERM the worker (it drains and exits 0), then start a fresh one on the same Redis. */
  restartService(): Promise<void>;
  /** SIGTERM the worker; `startService` brings one back. */
  stopService(): Promise<void>;
  startService(): Promise<void>;
}

/** Starts Redis, Prosody and the service in beforeAll, stops them in afterAll. */
export function mucBed(options: MucBedOptions): MucBed {
  const domain = "rooms.localhost";
  const prosodyMucDomain = "conf.localhost";
  const secret = "muc-e2e-secret";
  const keyPrefix = uniquePrefix();
  const clients: TestClient[] = [];
  let redis: RedisHandle | undefined;
  let prosody: ProsodyHandle | undefined;
  let service: ServiceHandle | undefined;
  let rooms = 0;

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the test bed has no ${what} (beforeAll failed?)`);
    return value;
  };
  const launch = async (): Promise<void> => {
    service = await startService({
      componentPort: need(prosody, "prosody").componentPort,
      domain,
      secret,
      redis: need(redis, "redis"),
      keyPrefix,
      env: options.env,
    });
  };

  beforeAll(async () => {
    redis = await startRedis();
    prosody = await startProsody({
      components: [{ domain, secret }],
      users: testAccounts(options.users),
      mucComponent: options.prosodyMuc ? prosodyMucDomain : undefined,
    });
    await launch();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await service?.stop();
    await prosody?.stop();
    await redis?.stop();
  });

  return {
    domain,
    prosodyMucDomain,
    get redis() {
      return need(redis, "redis");
    },
    get prosody() {
      return need(prosody, "prosody");
    },
    get service() {
      return need(service, "service");
    },
    async connect(user) {
      const client = await connectUser(need(prosody, "prosody"), user);
      clients.push(client);
      return client;
    },
    connectAll(...users) {
      return Promise.all(users.map((u) => this.connect(u))) as never;
    },
    room(label, roomDomain = domain) {
      rooms += 1;
      return `${label}-${rooms}@${roomDomain}`;
    },
    async restartService() {
      await need(service, "service").stop();
      await launch();
    },
    async stopService() {
      await need(service, "service").stop();
    },
    startService: launch,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading stanzas

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

// ---------------------------------------------------------------------------------------------
// Sending

let ids = 0;
export const nextId = (prefix = "e2e"): string => `${prefix}-${++ids}`;

/** Sends an iq and waits for its result or error. */
export async function iq(
  client: TestClient,
  to: string,
  type: "get" | "set",
  payload?: Element,
): Promise<Element> {
  const id = nextId("iq");
  await client.send(xml("iq", { to, type, id }, payload));
  return client.waitFor(
    (el) =>
      el.is("iq") &&
      el.attrs.id === id &&
      (el.attrs.type === "result" || el.attrs.type === "error"),
  );
}

/** Throws with the error when `reply` is not a result. */
export function expectResult(reply: Element): Element {
  if (reply.attrs.type !== "result") {
    throw new Error(`expected a result, got ${reply.toString()}`);
  }
  return reply;
}

/** An XMPP ping (XEP-0199) to `to`; the reply. */
export function ping(client: TestClient, to: string): Promise<Element> {
  return iq(client, to, "get", xml("ping", { xmlns: NS.ping }));
}

/**
 * A barrier: everything the room sent these clients because of what any of them sent before
 * the call has arrived. Two rounds of pings: after the first, the room has handled every
 * client's earlier stanzas (each ping follows its own client's stanzas); the second pings then
 * follow the room's replies to all of them on each client's own stream.
 */
export async function settle(room: string, ...clients: TestClient[]): Promise<void> {
  for (let round = 0; round < 2; round++) await Promise.all(clients.map((c) => ping(c, room)));
}

/** A disco#info query (6.1, 6.4); the reply. */
export function discoInfo(client: TestClient, to: string): Promise<Element> {
  return iq(client, to, "get", xml("query", { xmlns: NS.discoInfo }));
}

/** The features of a disco#info result; throws with the error when it is none. */
export function features(reply: Element): string[] {
  return expectResult(reply)
    .getChild("query", NS.discoInfo)!
    .getChildren("feature")
    .map((f) => f.attrs.var as string);
}

export function sendGroupchat(
  client: TestClient,
  room: string,
  body: string,
  ...children: Element[]
): Promise<void> {
  return client.send(
    xml(
      "message",
      { to: room, type: "groupchat", id: nextId("gc") },
      xml("body", {}, body),
      ...children,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Entering and leaving (7.2, 7.14)

export interface JoinOptions {
  password?: string;
  /** Attributes of <history/> (7.2.15). */
  history?: Record<string, string | number>;
  /** Extra presence children (show, status...). */
  payload?: Element[];
}

export interface Joined {
  /** The occupant's own presence (status 110). */
  self: Element;
  /** The presences of the others, in the order they came. */
  others: Element[];
  /** Discussion history (messages with a delay), oldest first. */
  history: Element[];
  /** The subject message (7.2.16). */
  subject: Element;
  /** Everything from the room during the join, in order. */
  all: Element[];
}

export function joinPresence(room: string, nick: string, options: JoinOptions = {}): Element {
  const history = options.history
    ? xml(
        "history",
        Object.fromEntries(Object.entries(options.history).map(([k, v]) => [k, String(v)])),
      )
    : undefined;
  const password =
    options.password === undefined ? undefined : xml("password", {}, options.password);
  return xml(
    "presence",
    { to: occupant(room, nick) },
    xml("x", { xmlns: NS.muc }, history, password),
    ...(options.payload ?? []),
  );
}

/** The first answer to a join: the error presence, or the occupant's own presence. */
const joinAnswer =
  (room: string, nick: string): Predicate =>
  (el) =>
    el.is("presence") &&
    ((el.attrs.type === "error" && el.attrs.from === occupant(room, nick)) ||
      (el.attrs.type === undefined && fromRoom(room)(el) && statusCodes(el).includes(110)));

/** Enters the room and waits for everything of the join, up to the subject; throws on an error. */
export async function join(
  client: TestClient,
  room: string,
  nick: string,
  options: JoinOptions = {},
): Promise<Joined> {
  const mark = client.received.length;
  await client.send(joinPresence(room, nick, options));
  const self = await client.waitFor(joinAnswer(room, nick));
  if (self.attrs.type === "error") {
    throw new Error(`${client.jid} could not enter ${room} as ${nick}: ${self.toString()}`);
  }
  const subject = await client.waitFor(
    (el) => el.is("message") && fromRoom(room)(el) && el.getChild("subject") !== undefined,
  );
  const all = since(client, mark, fromRoom(room));
  // Take the rest of the join out of the client's buffer, so later waits see only what follows.
  for (const el of all) if (el !== self && el !== subject) await client.waitFor((e) => e === el);
  return {
    self,
    others: all.filter((el) => el.is("presence") && el !== self),
    history: all.filter((el) => el.is("message") && el.getChild("delay", NS.delay) !== undefined),
    subject,
    all,
  };
}

/** Tries to enter and returns the error presence the room answers with; throws if admitted. */
export async function joinError(
  client: TestClient,
  room: string,
  nick: string,
  options: JoinOptions = {},
): Promise<Element> {
  await client.send(joinPresence(room, nick, options));
  const answer = await client.waitFor(joinAnswer(room, nick));
  if (answer.attrs.type !== "error") {
    throw new Error(`${client.jid} entered ${room} as ${nick} but should not have`);
  }
  return answer;
}

/** 7.14: leaves and waits for the own unavailable presence. */
export async function leave(client: TestClient, room: string, nick: string): Promise<Element> {
  await client.send(xml("presence", { to: occupant(room, nick), type: "unavailable" }));
  return client.waitFor(presenceFrom(occupant(room, nick), "unavailable"));
}

// ---------------------------------------------------------------------------------------------
// Owners (10.1, 10.2)

export type FormValues = Record<string, string | readonly string[]>;

/** A submitted data form (XEP-0004). */
export function submitForm(formType: string, values: FormValues): Element {
  return xml(
    "x",
    { xmlns: NS.data, type: "submit" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, formType)),
    ...Object.entries(values).map(([name, value]) =>
      xml(
        "field",
        { var: name },
        ...(typeof value === "string" ? [value] : value).map((v) => xml("value", {}, v)),
      ),
    ),
  );
}

/** The values of a data form's fields by name. */
export function formFields(form: Element): Map<string, string[]> {
  return new Map(
    form
      .getChildren("field")
      .map((f) => [f.attrs.var as string, f.getChildren("value").map((v) => v.getText())]),
  );
}

/** Submits the muc#roomconfig form with `values` (short names: `roomname` for muc#roomconfig_roomname). */
export function configure(client: TestClient, room: string, values: FormValues = {}) {
  const full = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k.includes("#") ? k : `muc#roomconfig_${k}`, v]),
  );
  return iq(
    client,
    room,
    "set",
    xml("query", { xmlns: NS.mucOwner }, submitForm(NS.roomconfig, full)),
  );
}

/** The room's configuration form (10.2), or throws with the error. */
export async function configForm(client: TestClient, room: string): Promise<Element> {
  const reply = expectResult(await iq(client, room, "get", xml("query", { xmlns: NS.mucOwner })));
  return reply.getChild("query", NS.mucOwner)!.getChild("x", NS.data)!;
}

/**
 * 10.1: creates the room by entering it (201), then accepts the default configuration with an
 * empty form (10.1.2, instant room), or submits `config` (10.1.3, reserved room).
 */
export async function createRoom(
  client: TestClient,
  room: string,
  nick: string,
  config?: FormValues,
): Promise<Joined> {
  const joined = await join(client, room, nick);
  if (!statusCodes(joined.self).includes(201)) {
    throw new Error(`${room} was not new: ${joined.self.toString()}`);
  }
  expectResult(config ? await configure(client, room, config) : await instantRoom(client, room));
  return joined;
}

/** 10.1.2: the owner accepts the default configuration with an empty submitted form; the reply. */
export function instantRoom(client: TestClient, room: string): Promise<Element> {
  return iq(
    client,
    room,
    "set",
    xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" })),
  );
}

/**
 * A new room of `bed`, created by Alice (an instant room, or one configured with `config`), that
 * Bob enters (with `bobJoins`); returns once both have everything of it (settle).
 */
export async function aliceAndBob(
  bed: MucBed,
  label: string,
  config?: FormValues,
  bobJoins: JoinOptions = {},
) {
  const room = bed.room(label);
  const [alice, bob] = await bed.connectAll("alice", "bob");
  await createRoom(alice, room, "Alice", config);
  await join(bob, room, "Bob", bobJoins);
  await settle(room, alice, bob);
  return { room, alice, bob };
}

/** The same with Carol entering after Bob. */
export async function threeWitches(bed: MucBed, label: string, config?: FormValues) {
  const { room, alice, bob } = await aliceAndBob(bed, label, config);
  const carol = await bed.connect("carol");
  await join(carol, room, "Carol");
  await settle(room, alice, bob, carol);
  return { room, alice, bob, carol };
}

// ---------------------------------------------------------------------------------------------
// Moderators and admins (8, 9, 10.3 to 10.8)

export interface AdminItem {
  nick?: string;
  jid?: string;
  role?: string;
  affiliation?: string;
  reason?: string;
}

/** A muc#admin set with the given items; the iq reply. */
export function adminSet(client: TestClient, room: string, ...items: AdminItem[]) {
  return iq(
    client,
    room,
    "set",
    xml(
      "query",
      { xmlns: NS.mucAdmin },
      ...items.map(({ reason, ...attrs }) =>
        xml("item", attrs, reason === undefined ? undefined : xml("reason", {}, reason)),
      ),
    ),
  );
}

/** A muc#admin list query (`{ role: "participant" }` or `{ affiliation: "outcast" }`); the reply. */
export function adminGet(client: TestClient, room: string, filter: AdminItem) {
  return iq(client, room, "get", xml("query", { xmlns: NS.mucAdmin }, xml("item", { ...filter })));
}

/** The items of a muc#admin list result, as attribute records sorted by jid then nick. */
export function listItems(reply: Element): Record<string, string | undefined>[] {
  const items = expectResult(reply).getChild("query", NS.mucAdmin)?.getChildren("item") ?? [];
  return items
    .map((i) => ({ ...(i.attrs as Record<string, string | undefined>) }))
    .sort((a, b) =>
      `${a.jid ?? ""} ${a.nick ?? ""}`.localeCompare(`${b.jid ?? ""} ${b.nick ?? ""}`),
    );
}

/**
 * Sends `text` as is, for what an element cannot carry (a character reference such as `&#9;`
 * in an attribute, which a serializer would write as the raw character).
 */
export function sendRaw(client: TestClient, text: string): Promise<void> {
  const el = xml(text.match(/^<(\w+)/)?.[1] ?? "raw");
  el.toString = () => text;
  return client.send(el);
}

/** 8.1: a subject change (a groupchat message with a <subject/> and no body). */
export function sendSubject(client: TestClient, room: string, subject: string): Promise<void> {
  return client.send(
    xml(
      "message",
      { to: room, type: "groupchat", id: nextId("subject") },
      xml("subject", {}, subject),
    ),
  );
}
