// Stanzas to the service's own domain (XEP-0045 section 6.1 and 6.3: discovering the service and
// its rooms; XEP-0199: a ping, which peers of this service send to check the path).
import { NS, StanzaError, xml, type Element } from "@fedmuc/xmpp";
import type { RoomStore } from "@fedmuc/room-store";

export const SERVICE_NAME = "Chatrooms";

export async function handleService(
  stanza: Element,
  store: RoomStore,
): Promise<Element | undefined> {
  const type = stanza.attrs.type;
  if (type === "error" || type === "result") return undefined;
  if (stanza.name !== "iq") return undefined; // 6.1 defines only queries of the service
  const xmlns = stanza.getChild("query")?.attrs.xmlns;
  const reply = (...payload: Element[]) =>
    xml(
      "iq",
      { type: "result", id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from },
      xml("query", { xmlns }, ...payload),
    );
  if (type === "get" && xmlns === NS.discoInfo) {
    return reply(
      xml("identity", { category: "conference", type: "text", name: SERVICE_NAME }),
      ...[NS.discoInfo, NS.discoItems, NS.muc, NS.occupantId, NS.ping].map((v) =>
        xml("feature", { var: v }),
      ),
    );
  }
  if (type === "get" && stanza.getChild("ping", NS.ping)) {
    return xml("iq", {
      type: "result",
      id: stanza.attrs.id,
      from: stanza.attrs.to,
      to: stanza.attrs.from,
    });
  }
  if (type === "get" && xmlns === NS.discoItems) {
    const rooms = await store.directory();
    return reply(...rooms.map((r) => xml("item", { jid: r.jid, name: r.name })));
  }
  throw new StanzaError("service-unavailable");
}
