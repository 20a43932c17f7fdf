import { describe, expect, it } from "vitest";
import { NS, type Element } from "@fedmuc/xmpp";
import { ROOM, Stepper, oneWitch, sent, statusCodes } from "./testing/fixtures.js";

const item = (el: Element) => el.getChild("x", NS.mucUser)!.getChild("item")!;

describe("XEP-0045 7.6 changing nickname", () => {
  it("sends unavailable with 303 and the new nick, then available from the new nick", () => {
    const s = oneWitch();
    s.join("hag66@shakespeare.lit/pda", "thirdwitch");
    const d = s.step(`<presence from="hag66@shakespeare.lit/pda" to="${ROOM}/oldhag"/>`);
    const out = sent(d);
    expect(out.map((p) => [p.attrs.from, p.attrs.to, p.attrs.type])).toEqual([
      [`${ROOM}/thirdwitch`, "crone@shakespeare.lit/desktop", "unavailable"],
      [`${ROOM}/thirdwitch`, "hag66@shakespeare.lit/pda", "unavailable"],
      [`${ROOM}/oldhag`, "crone@shakespeare.lit/desktop", undefined],
      [`${ROOM}/oldhag`, "hag66@shakespeare.lit/pda", undefined],
    ]);
    expect(statusCodes(out[0]!)).toEqual([303]);
    expect(statusCodes(out[1]!)).toEqual([110, 303]);
    expect(item(out[0]!).attrs).toMatchObject({ nick: "oldhag", role: "participant" });
    expect(statusCodes(out[3]!)).toEqual([110]);
    expect(Object.keys(s.room.occupants).sort()).toEqual(["firstwitch", "oldhag"]);
  });

  it("refuses a nickname in use, compared case-insensitively", () => {
    const s = oneWitch();
    s.join("hag66@shakespeare.lit/pda", "thirdwitch");
    const [error] = sent(
      s.step(`<presence from="hag66@shakespeare.lit/pda" to="${ROOM}/FirstWitch"/>`),
    );
    expect(error!.getChild("error")!.getChild("conflict", NS.stanzas)).toBeDefined();
    expect(Object.keys(s.room.occupants).sort()).toEqual(["firstwitch", "thirdwitch"]);
  });

  it("tells the user with 210 when the service rewrote the nickname on entering", () => {
    const s = new Stepper();
    const [self] = sent(s.join("crone@shakespeare.lit/desktop", " first  witch "));
    expect(self!.attrs.from).toBe(`${ROOM}/first witch`);
    expect(statusCodes(self!)).toEqual([110, 201, 210]);
  });
});
