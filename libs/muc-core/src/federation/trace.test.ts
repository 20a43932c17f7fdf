// Trace context on a link (libs/fmuc-core/README.md "Trace context") is negotiated like a link
// session: the joining node's join offers to take it, the joined node's rooms advertise it in
// disco#info; each side carries it only to a peer that takes it.
import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import { TRACE_FEATURE } from "@fedmuc/fmuc-core";
import { ALICE, HAMLET, HUB, SPOKE, join, world, type Node } from "../testing/network.js";

function sites(hubTraces: boolean, spokeTraces: boolean) {
  const { hub, spoke, flush } = world({
    hub: { traces: hubTraces },
    spoke: { traces: spokeTraces },
  });
  spoke.step(join(HAMLET, SPOKE, "Hamlet"));
  flush();
  return { hub, spoke };
}

const features = (node: Node, from: string) => {
  node.step(
    `<iq from="${from}" to="${node.room.jid}" type="get" id="i"><query xmlns="${NS.discoInfo}"/></iq>`,
  );
  const result = node.clients.find((el) => el.is("iq") && el.attrs.id === "i")!;
  return result
    .getChild("query", NS.discoInfo)!
    .getChildren("feature")
    .map((f) => f.attrs.var);
};

describe("XEP-0289 trace context negotiated per link", () => {
  it("between two nodes that both take it, each side's link carries it", () => {
    const { hub, spoke } = sites(true, true);
    expect(hub.room.links[SPOKE]).toMatchObject({ state: "up", traces: true });
    expect(spoke.room.links[HUB]).toMatchObject({ state: "up", traces: true });
  });

  it("a node that does not take it gets none, whichever side it is on", () => {
    const spokeOff = sites(true, false);
    expect(spokeOff.hub.room.links[SPOKE]?.traces).toBeFalsy();
    expect(spokeOff.spoke.room.links[HUB]?.traces).toBe(true);
    const hubOff = sites(false, true);
    expect(hubOff.hub.room.links[SPOKE]?.traces).toBe(true);
    expect(hubOff.spoke.room.links[HUB]?.traces).toBeFalsy();
  });

  it("a room advertises the feature only where the node takes trace context", () => {
    const { hub, spoke } = sites(true, false);
    expect(features(hub, ALICE)).toContain(TRACE_FEATURE);
    expect(features(spoke, HAMLET)).not.toContain(TRACE_FEATURE);
  });
});
