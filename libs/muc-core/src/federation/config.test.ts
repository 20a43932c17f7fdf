// XEP-0289 configuration (this service's design, libs/fmuc-core/README.md): a room that
// federates upstream mirrors the upstream room's configuration; an owner (or a service
// administrator) chooses the upstream room per room in the configuration form.
import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import { ALICE, HAMLET, HUB, Node, SPOKE, join, network, say } from "../testing/network.js";

const field = (name: string, value: string) =>
  `<field var="${name}"><value>${value}</value></field>`;
const configure = (from: string, room: string, fields: string) =>
  `<iq from="${from}" to="${room}" type="set" id="cfg"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="submit">${fields}</x></query></iq>`;
const statusCodes = (el: { getChild: (n: string, ns: string) => unknown }) =>
  (
    (el.getChild("x", NS.mucUser) as { getChildren(n: string): { attrs: { code: string } }[] })
      ?.getChildren("status")
      .map((s) => Number(s.attrs.code)) ?? []
  ).sort();
const configNotices = (node: Node, jid: string) =>
  node.receivedBy(jid).filter((el) => el.is("message") && el.attrs.from === node.room.jid);

const HUB_CONFIG =
  field("muc#roomconfig_roomname", "Rabbit hole") +
  field("muc#roomconfig_roomdesc", "Down we go") +
  field("muc#roomconfig_moderatedroom", "1");

function hubAndSpoke(spokeUpstream: string | null, hubConfig = HUB_CONFIG) {
  const hub = new Node(HUB, { allows: (p) => p === SPOKE, upstream: () => null, replica: false });
  const spoke = new Node(SPOKE, {
    allows: () => false,
    upstream: () => spokeUpstream,
    replica: false,
  });
  hub.peers.add(SPOKE);
  spoke.peers.add(HUB);
  const flush = network(hub, spoke);
  hub.step(join(ALICE, HUB, "Alice"));
  hub.step(configure(ALICE, HUB, hubConfig));
  return { hub, spoke, flush };
}

describe("XEP-0289 a mirror room takes its configuration from upstream", () => {
  it("adopts the hub's name, description and moderation once joined", () => {
    const { spoke, flush } = hubAndSpoke(HUB);
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    expect(spoke.room.config).toMatchObject({
      name: "Rabbit hole",
      description: "Down we go",
      moderated: true,
    });
    // Site policy stays local.
    expect(spoke.room.config.persistent).toBe(false);
  });

  it("follows the hub's later changes, telling its occupants once (104, 172)", () => {
    const { hub, spoke, flush } = hubAndSpoke(HUB);
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    const before = configNotices(spoke, HAMLET).length;
    hub.step(configure(ALICE, HUB, field("muc#roomconfig_whois", "anyone")));
    flush();
    expect(spoke.room.config.whois).toBe("anyone");
    const notices = configNotices(spoke, HAMLET).slice(before);
    expect(notices.map(statusCodes)).toEqual([[104, 172]]);
    // No fmuc payload reaches the client.
    expect(notices[0]!.getChild("fmuc", NS.fmuc)).toBeUndefined();
  });
});

describe("XEP-0289 the owner chooses the upstream room in the configuration form", () => {
  it("a room created here is pointed at a hub room, joins it at once, and is switched off again", () => {
    const { hub, spoke, flush } = hubAndSpoke(null, "");
    spoke.step(join(HAMLET, SPOKE, "Hamlet")); // Hamlet creates and owns the room
    spoke.step(configure(HAMLET, SPOKE, field("fedmuc#upstream", HUB)));
    expect(spoke.room.config.upstream).toBe(HUB);
    flush();
    expect(spoke.room.links[HUB]).toMatchObject({ role: "upstream", state: "up" });
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet"]);
    spoke.step(say(HAMLET, SPOKE, "hello hub"));
    flush();
    expect(hub.receivedBy(ALICE).some((el) => el.getChildText("body") === "hello hub")).toBe(true);

    spoke.step(configure(HAMLET, SPOKE, field("fedmuc#upstream", "none")));
    flush();
    expect(spoke.room.config.upstream).toBeNull();
    expect(spoke.room.links).toEqual({});
    expect(hub.room.links).toEqual({});
    expect(Object.keys(hub.room.occupants)).toEqual(["Alice"]);
    expect(Object.keys(spoke.room.occupants)).toEqual(["Hamlet"]);
    const aliceGone = spoke
      .receivedBy(HAMLET)
      .filter((el) => el.attrs.from === `${SPOKE}/Alice` && el.attrs.type === "unavailable");
    expect(aliceGone).toHaveLength(1);
  });

  it("refuses a value that is not a room address", () => {
    const { spoke } = hubAndSpoke(null);
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    spoke.step(configure(HAMLET, SPOKE, field("fedmuc#upstream", "rooms.wonderland.lit")));
    const [error] = spoke.receivedBy(HAMLET).filter((el) => el.attrs.type === "error");
    expect(error?.getChild("error")?.getChild("not-acceptable")).toBeDefined();
    expect(spoke.room.config.upstream).toBeUndefined();
  });

  it("a mirror room has no owner of its own; a service administrator may configure it", () => {
    const { spoke, flush } = hubAndSpoke(HUB);
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    const form = field("fedmuc#upstream", "none");
    spoke.step(configure(HAMLET, SPOKE, form));
    expect(spoke.room.links[HUB]).toBeDefined();
    const [refused] = spoke.receivedBy(HAMLET).filter((el) => el.attrs.type === "error");
    expect(refused?.getChild("error")?.getChild("forbidden")).toBeDefined();

    spoke.ctx = { ...spoke.ctx, admins: ["ophelia@denmark.lit"] };
    spoke.step(configure("ophelia@denmark.lit/office", SPOKE, form));
    expect(spoke.room.config.upstream).toBeNull();
    expect(spoke.room.links).toEqual({});
  });
});
