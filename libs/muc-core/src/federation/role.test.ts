// XEP-0289 5.5 in memory: role changes travel between nodes, affiliations do not, and a node's
// own admins and owners keep their role; a kick at the top of a chain reaches the bottom.
import { describe, expect, it } from "vitest";
import { NS, bareOf, type Element } from "@fedmuc/xmpp";
import { applyMutations } from "../room.js";
import type { Node } from "../testing/network.js";
import { ALICE, HAMLET, HATTER, HUB, SPOKE, join, chain, world } from "../testing/network.js";

const OPHELIA = "ophelia@denmark.lit/castle";

const setRole = (actor: string, room: string, nick: string, role: string) =>
  `<iq from="${actor}" to="${room}" type="set" id="r"><query xmlns="${NS.mucAdmin}"><item nick="${nick}" role="${role}"/></query></iq>`;
const itemOf = (el: Element) => el.getChild("x", NS.mucUser)!.getChild("item")!.attrs;
const presencesOf = (node: Node, viewer: string, nick: string) =>
  node
    .receivedBy(viewer)
    .filter((el) => el.is("presence") && el.attrs.from === `${node.room.jid}/${nick}`);

/** Hub: Alice (owner) and Hatter; spoke: Hamlet, and Ophelia, an owner of the spoke room. */
function court() {
  const { hub, spoke, flush } = world();
  hub.step(join(HATTER, HUB, "Hatter"));
  spoke.step(join(HAMLET, SPOKE, "Hamlet"));
  spoke.step(join(OPHELIA, SPOKE, "Ophelia"));
  flush();
  const ophelia = spoke.room.occupants.Ophelia!;
  spoke.room = applyMutations(
    spoke.room,
    [
      { op: "setAffiliation", jid: bareOf(OPHELIA), affiliation: "owner" },
      { op: "putOccupant", occupant: { ...ophelia, affiliation: "owner", role: "moderator" } },
    ],
    spoke.room.version + 1,
  );
  return { hub, spoke, flush };
}

describe("XEP-0289 5.5 role changes travel, but only cosmetically", () => {
  it("a hub moderator makes a spoke occupant a moderator: the spoke shows it, and changes no affiliation", () => {
    const { hub, spoke, flush } = court();
    hub.step(setRole(ALICE, HUB, "Hamlet", "moderator"));
    flush();
    expect(spoke.room.occupants.Hamlet).toMatchObject({ role: "moderator", affiliation: "none" });
    expect(spoke.room.affiliations[bareOf(HAMLET)]).toBeUndefined();
    for (const viewer of [HAMLET, OPHELIA]) {
      expect(
        presencesOf(spoke, viewer, "Hamlet")
          .map((p) => itemOf(p).role)
          .at(-1),
      ).toBe("moderator");
    }
    // Shown once at the hub: the spoke sends nothing back.
    expect(presencesOf(hub, HATTER, "Hamlet").map((p) => itemOf(p).role)).toEqual([
      "participant",
      "moderator",
    ]);
  });

  it("a spoke moderator silences a hub occupant: the hub carries it out, and sends him only that", () => {
    const { hub, spoke, flush } = court();
    const before = hub.receivedBy(HATTER).length;
    spoke.step(setRole(OPHELIA, SPOKE, "Hatter", "visitor"));
    flush();
    expect(hub.room.occupants.Hatter).toMatchObject({ role: "visitor" });
    const got = hub.receivedBy(HATTER).slice(before);
    expect(got.map((el) => [el.attrs.from, itemOf(el).role])).toEqual([
      [`${HUB}/Hatter`, "visitor"],
    ]);
    expect(
      presencesOf(hub, ALICE, "Hatter")
        .map((p) => itemOf(p).role)
        .at(-1),
    ).toBe("visitor");
  });

  it("a role the spoke gives its own occupant is shown at the hub", () => {
    const { hub, spoke, flush } = court();
    spoke.step(setRole(OPHELIA, SPOKE, "Hamlet", "moderator"));
    flush();
    expect(hub.room.occupants.Hamlet).toMatchObject({ role: "moderator", affiliation: "none" });
  });

  it("the hub cannot demote the spoke's owner: the spoke keeps her role and shows it to the hub again", () => {
    const { hub, spoke, flush } = court();
    hub.step(setRole(ALICE, HUB, "Ophelia", "visitor"));
    expect(hub.room.occupants.Ophelia).toMatchObject({ role: "visitor" });
    flush();
    expect(spoke.room.occupants.Ophelia).toMatchObject({ role: "moderator", affiliation: "owner" });
    expect(spoke.logs.at(-1)).toContain("refused");
    expect(hub.room.occupants.Ophelia).toMatchObject({ role: "moderator", affiliation: "none" });
  });

  it("an occupant shown here through another node acts only there: a direct kick is forbidden", () => {
    const { spoke, flush } = court();
    flush();
    expect(spoke.room.occupants.Alice).toMatchObject({ role: "moderator", node: HUB });
    spoke.step(setRole(ALICE, SPOKE, "Hamlet", "none"));
    const reply = spoke.clients.at(-1)!;
    expect(reply.attrs).toMatchObject({ type: "error", to: ALICE });
    expect(reply.getChild("error")!.getChild("forbidden", NS.stanzas)).toBeDefined();
    expect(spoke.room.occupants.Hamlet).toBeDefined();
  });
});

describe("XEP-0289 5.5 kicks in a chain: C joins B joins A", () => {
  it("a kick at the top of an occupant of the bottom node reaches the bottom, which removes him", () => {
    const { top, mid, low, flush, ADMIRAL, CAPTAIN, COX } = chain();
    top.step(setRole(ADMIRAL, top.room.jid, "Cox", "none"));
    flush();
    for (const node of [top, mid, low]) expect(node.room.occupants.Cox).toBeUndefined();
    const out = low.receivedBy(COX).at(-1)!;
    expect(out.attrs).toMatchObject({ from: `${low.room.jid}/Cox`, type: "unavailable" });
    expect(
      out
        .getChild("x", NS.mucUser)!
        .getChildren("status")
        .map((s) => s.attrs.code),
    ).toEqual(["110", "307"]);
    expect(presencesOf(mid, CAPTAIN, "Cox").map((p) => p.attrs.type)).toEqual([
      undefined,
      "unavailable",
    ]);
  });
});
