import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import { ROOM, Stepper, oneWitch, sent, statusCodes, twoWitches } from "./testing/fixtures.js";

describe("XEP-0045 7.14 exiting a room", () => {
  it("tells the others, then the leaver with 110, with role none", () => {
    const s = twoWitches();
    const d = s.step(
      `<presence from="wiccarocks@shakespeare.lit/laptop" to="${ROOM}/secondwitch" type="unavailable"/>`,
    );
    const [toOther, toSelf] = sent(d);
    expect(toOther!.attrs).toMatchObject({
      type: "unavailable",
      to: "crone@shakespeare.lit/desktop",
    });
    expect(toOther!.getChild("x", NS.mucUser)!.getChild("item")!.attrs.role).toBe("none");
    expect(statusCodes(toSelf!)).toEqual([110]);
    expect(Object.keys(s.room.occupants)).toEqual(["firstwitch"]);
  });

  it("passes the leaver's custom exit message (<status/>) on to everyone", () => {
    const s = twoWitches();
    const d = s.step(
      `<presence from="wiccarocks@shakespeare.lit/laptop" to="${ROOM}/secondwitch" type="unavailable"><status>gone where the goblins go</status></presence>`,
    );
    expect(sent(d).map((p) => p.getChildText("status"))).toEqual([
      "gone where the goblins go",
      "gone where the goblins go",
    ]);
  });

  it("destroys a temporary room when its last occupant leaves", () => {
    const s = oneWitch();
    s.step(
      `<presence from="crone@shakespeare.lit/desktop" to="${ROOM}/firstwitch" type="unavailable"/>`,
    );
    expect(s.room.exists).toBe(false);
  });

  it("ignores unavailable presence from a non-occupant", () => {
    const s = new Stepper();
    const d = s.step(`<presence from="x@y/z" to="${ROOM}/nobody" type="unavailable"/>`);
    expect(d.effects).toEqual([]);
  });
});

describe("XEP-0045 7.7 changing availability", () => {
  it("broadcasts the new presence to everyone", () => {
    const s = twoWitches();
    const d = s.step(
      `<presence from="crone@shakespeare.lit/desktop" to="${ROOM}/firstwitch"><show>xa</show></presence>`,
    );
    expect(sent(d).map((p) => [p.attrs.to, p.getChildText("show")])).toEqual([
      ["wiccarocks@shakespeare.lit/laptop", "xa"],
      ["crone@shakespeare.lit/desktop", "xa"],
    ]);
  });
});
