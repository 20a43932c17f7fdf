// Moderators and admins: roles, affiliations, kicks and bans (XEP-0045 8, 9, 10.3 to 10.8).
import { xml, type Element, type TestClient } from "./client.js";
import { expectResult, iq, nextId } from "./muc-send.js";
import { NS } from "./muc-ns.js";

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
