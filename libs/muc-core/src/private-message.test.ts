import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import { ROOM, sent, twoWitches } from "./testing/fixtures.js";

describe("XEP-0045 7.5 private messages", () => {
  it("routes to the occupant's real JID from the sender's room JID, marked with muc#user", () => {
    const s = twoWitches();
    const [pm] = sent(
      s.step(
        `<message from="wiccarocks@shakespeare.lit/laptop" to="${ROOM}/FirstWitch" type="chat" id="p1"><body>I'll give thee a wind.</body></message>`,
      ),
    );
    expect(pm!.attrs).toMatchObject({
      from: `${ROOM}/secondwitch`,
      to: "crone@shakespeare.lit/desktop",
      type: "chat",
      id: "p1",
    });
    expect(pm!.getChildText("body")).toBe("I'll give thee a wind.");
    expect(pm!.getChild("x", NS.mucUser)).toBeDefined();
  });

  it("refuses an unknown occupant with item-not-found and a non-occupant with not-acceptable", () => {
    const s = twoWitches();
    const [unknown] = sent(
      s.step(
        `<message from="crone@shakespeare.lit/desktop" to="${ROOM}/nobody" type="chat"><body>x</body></message>`,
      ),
    );
    expect(unknown!.getChild("error")!.getChild("item-not-found", NS.stanzas)).toBeDefined();
    const [outsider] = sent(
      s.step(
        `<message from="hag66@shakespeare.lit/pda" to="${ROOM}/firstwitch" type="chat"><body>x</body></message>`,
      ),
    );
    expect(outsider!.getChild("error")!.getChild("not-acceptable", NS.stanzas)).toBeDefined();
  });
});
