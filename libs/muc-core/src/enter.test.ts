import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import { ROOM, Stepper, oneWitch, sent, statusCodes } from "./testing/fixtures.js";

describe("XEP-0045 7.2 entering a room", () => {
  it("creates a room for its first occupant, as owner and moderator, with status 110 and 201", () => {
    const s = new Stepper();
    const d = s.join("crone@shakespeare.lit/desktop", "firstwitch");
    const [self, subject] = sent(d);
    expect(self!.attrs).toMatchObject({
      from: `${ROOM}/firstwitch`,
      to: "crone@shakespeare.lit/desktop",
    });
    expect(self!.getChild("x", NS.mucUser)!.getChild("item")!.attrs).toMatchObject({
      affiliation: "owner",
      role: "moderator",
    });
    expect(statusCodes(self!)).toEqual([110, 201]);
    expect(subject!.getChild("subject")!.getText()).toBe("");
    expect(d.effects.map((e) => e.kind)).toEqual(["send", "sendHistory", "send"]);
    expect(s.room.exists).toBe(true);
  });

  it("sends existing occupants first, then the newcomer to them, then to itself (7.2.3)", () => {
    const s = oneWitch();
    const d = s.join("wiccarocks@shakespeare.lit/laptop", "secondwitch");
    const [existing, toOwner, self] = sent(d);
    expect(existing!.attrs).toMatchObject({
      from: `${ROOM}/firstwitch`,
      to: "wiccarocks@shakespeare.lit/laptop",
    });
    expect(toOwner!.attrs).toMatchObject({
      from: `${ROOM}/secondwitch`,
      to: "crone@shakespeare.lit/desktop",
    });
    // Semi-anonymous room: the moderator sees the real JID, the participant does not.
    expect(toOwner!.getChild("x", NS.mucUser)!.getChild("item")!.attrs.jid).toBe(
      "wiccarocks@shakespeare.lit/laptop",
    );
    expect(existing!.getChild("x", NS.mucUser)!.getChild("item")!.attrs.jid).toBeUndefined();
    expect(statusCodes(self!)).toEqual([110]);
    expect(self!.getChild("occupant-id", NS.occupantId)).toBeDefined();
  });

  it("refuses a nickname in use with conflict (7.2.9)", () => {
    const s = oneWitch();
    const [error] = sent(s.join("hag66@shakespeare.lit/pda", "firstwitch"));
    expect(error!.attrs).toMatchObject({ type: "error", to: "hag66@shakespeare.lit/pda" });
    expect(error!.getChild("error")!.getChild("conflict", NS.stanzas)).toBeDefined();
    expect(Object.keys(s.room.occupants)).toEqual(["firstwitch"]);
  });

  it("addresses rooms case-insensitively", () => {
    const s = oneWitch();
    const d = s.step(
      `<presence from="hag66@shakespeare.lit/pda" to="${ROOM.toUpperCase()}/thirdwitch"><x xmlns="${NS.muc}"/></presence>`,
    );
    expect(sent(d).at(-2)!.attrs.from).toBe(`${ROOM}/thirdwitch`);
  });

  it("refuses a join without a nickname with jid-malformed", () => {
    const s = new Stepper();
    const [error] = sent(s.step(`<presence from="a@b/c" to="${ROOM}"/>`));
    expect(error!.getChild("error")!.getChild("jid-malformed", NS.stanzas)).toBeDefined();
    expect(s.room.exists).toBe(false);
  });

  it("keeps the occupant's presence payload but not MUC elements", () => {
    const s = new Stepper();
    s.join("crone@shakespeare.lit/desktop", "firstwitch", "<show>away</show><status>brb</status>");
    s.configure("crone@shakespeare.lit/desktop", "");
    const [, , self] = sent(s.join("wiccarocks@shakespeare.lit/laptop", "secondwitch"));
    const d = s.join("hag66@shakespeare.lit/pda", "thirdwitch");
    const fromFirst = sent(d)[0]!;
    expect(fromFirst.getChildText("show")).toBe("away");
    expect(fromFirst.getChildText("status")).toBe("brb");
    expect(fromFirst.getChildren("x", NS.muc)).toHaveLength(0);
    expect(self).toBeDefined();
  });
});
