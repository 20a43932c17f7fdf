// Entering and leaving a room (XEP-0045 7.2, 7.14).
import { xml, type Element, type TestClient } from "./client.js";
import {
  type Predicate,
  fromRoom,
  occupant,
  presenceFrom,
  since,
  statusCodes,
} from "./muc-read.js";
import { NS } from "./muc-ns.js";

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
