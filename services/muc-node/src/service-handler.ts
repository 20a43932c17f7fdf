// Stanzas to the service's own domain (XEP-0045 section 6.1 and 6.3: discovering the service and
// its rooms; XEP-0199: a ping, which peers of this service send to check the path; XEP-0050: the
// operator's commands, commands/operator.ts).
import { NS, StanzaError, xml, type Element } from "@fedmuc/xmpp";
import type { RoomStore } from "@fedmuc/room-store";
import type { OperatorCommands } from "./commands/operator.js";

export const SERVICE_NAME = "Chatrooms";

export interface ServiceDeps {
  readonly store: Pick<RoomStore, "directory">;
  readonly commands?: OperatorCommands;
}

export async function handleService(
  stanza: Element,
  { store, commands }: ServiceDeps,
): Promise<Element | undefined> {
  const type = stanza.attrs.type;
  if (type === "error" || type === "result") return undefined;
  if (stanza.name !== "iq") return undefined; // 6.1 defines only queries of the service
  if (type === "set" && commands) {
    const response = await commands.execute(stanza);
    if (response) return response;
  }
  const query = stanza.getChild("query");
  const xmlns = query?.attrs.xmlns;
  const node = query?.attrs.node;
  const reply = (...payload: Element[]) =>
    xml(
      "iq",
      { type: "result", id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from },
      xml("query", { xmlns, ...(node ? { node } : {}) }, ...payload),
    );
  if (type === "get" && xmlns === NS.discoInfo && node) {
    // XEP-0050 2.3: a command's node.
    const info = commands?.info(node);
    if (!info) throw new StanzaError("item-not-found", `No node ${node} here`);
    return reply(...info);
  }
  if (type === "get" && xmlns === NS.discoInfo) {
    const features = [NS.discoInfo, NS.discoItems, NS.muc, NS.occupantId, NS.ping];
    return reply(
      xml("identity", { category: "conference", type: "text", name: SERVICE_NAME }),
      ...[...features, ...(commands ? [NS.commands] : [])].map((v) => xml("feature", { var: v })),
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
  if (type === "get" && xmlns === NS.discoItems && node === NS.commands && commands) {
    return reply(...commands.items(stanza.attrs.from)); // XEP-0050 2.2
  }
  if (type === "get" && xmlns === NS.discoItems && node) {
    throw new StanzaError("item-not-found", `No node ${node} here`);
  }
  if (type === "get" && xmlns === NS.discoItems) {
    const rooms = await store.directory();
    return reply(...rooms.map((r) => xml("item", { jid: r.jid, name: r.name })));
  }
  throw new StanzaError("service-unavailable");
}
