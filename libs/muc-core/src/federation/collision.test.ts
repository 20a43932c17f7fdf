// XEP-0289 nick collisions in memory: the joined node holds nicknames; when a user of each node
// takes one nickname at once, the joined node keeps its own and the joining node's user gets the
// conflict, whichever of the two stanzas the hub sends arrives first.
import { describe, expect, it } from "vitest";
import { NS, type Element } from "@fedmuc/xmpp";
import { ALICE, HAMLET, HUB, SPOKE, join, world } from "../testing/network.js";

const YORICK = "yorick@denmark.lit/skull";
const DORMOUSE = "dormouse@wonderland.lit/teapot";

/** Hub with Alice, spoke with Hamlet, joined. */
function joined() {
  const { hub, spoke, flush } = world();
  spoke.step(join(HAMLET, SPOKE, "Hamlet"));
  flush();
  return { hub, spoke, flush };
}

const shown = (els: Element[], from: string) =>
  els
    .filter((el) => el.is("presence") && el.attrs.from === from)
    .map((el) => [el.attrs.type, el.getChild("x", NS.mucUser)?.getChild("item")?.attrs.jid]);

describe("XEP-0289 nick collisions: both nodes admit one nickname at once", () => {
  // The refusal goes out at once, the hub's presence through the link's outbox: either may
  // reach the spoke first.
  for (const refusalFirst of [false, true]) {
    it(`the hub keeps its own and the spoke's user gets one conflict (${refusalFirst ? "the hub's refusal" : "the hub's presence"} arrives first)`, () => {
      const { hub, spoke, flush } = joined();
      spoke.step(join(YORICK, SPOKE, "Player"));
      hub.step(join(DORMOUSE, HUB, "Player"));
      hub.step(spoke.outbox.shift()!); // Yorick's presence reaches the hub: refused
      expect(hub.outbox.map((el) => el.attrs.type)).toEqual([undefined, "error"]);
      if (refusalFirst) hub.outbox.reverse();
      flush();
      expect(hub.room.occupants.Player).toMatchObject({ jid: DORMOUSE });
      expect(spoke.room.occupants.Player).toMatchObject({ jid: DORMOUSE, node: HUB });
      const errors = spoke.receivedBy(YORICK).filter((el) => el.attrs.type === "error");
      expect(errors).toHaveLength(1);
      expect(errors[0]!.getChild("error")!.getChild("conflict", NS.stanzas)).toBeDefined();
      // Hamlet saw Yorick come and go, then the hub's Player come: two people, never merged.
      const types = shown(spoke.receivedBy(HAMLET), `${SPOKE}/Player`).map(([type]) => type);
      expect(types).toEqual([undefined, "unavailable", undefined]);
      expect(shown(hub.receivedBy(ALICE), `${HUB}/Player`)).toEqual([[undefined, DORMOUSE]]);
    });
  }
});
