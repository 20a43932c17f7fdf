// Sending: iq round trips, pings and barriers, disco, groupchat.
import { xml, type Element, type TestClient } from "./client.js";
import { NS } from "./muc-ns.js";

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
