// Stanzas to the service's own domain (XEP-0045 section 6.1: discovering the service).
import { NS, StanzaError, xml, type Element } from "@fedmuc/xmpp";

export const SERVICE_NAME = "Chatrooms";

export function handleService(stanza: Element): Element | undefined {
  const type = stanza.attrs.type;
  if (type === "error" || type === "result") return undefined;
  if (stanza.name !== "iq") return undefined; // 6.1 defines only iq queries of the service
  const query = stanza.getChild("query");
  if (type === "get" && query?.attrs.xmlns === NS.discoInfo) {
    return xml(
      "iq",
      { type: "result", id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from },
      xml(
        "query",
        { xmlns: NS.discoInfo },
        xml("identity", { category: "conference", type: "text", name: SERVICE_NAME }),
        xml("feature", { var: NS.discoInfo }),
        xml("feature", { var: NS.muc }),
      ),
    );
  }
  throw new StanzaError("service-unavailable");
}
