import { describe, expect, it } from "vitest";
import { parse } from "@fedmuc/xmpp";
import { parseStripRules, stripped, strippedFor } from "./strip.js";

const PRESENCE = `<presence from="r@rooms.hq.example/a" to="s@talk.ship.example"><show>away</show><status>lunch</status><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/><x xmlns="vcard-temp:x:update"><photo>abc</photo></x><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="none" role="participant"/></x></presence>`;

describe("FMUC_STRIP", () => {
  it("picks the first rule that matches the link", () => {
    const rules = parseStripRules("*.ship.example=caps,avatar,status; *=caps");
    expect(strippedFor(rules, "s@talk.ship.example")).toEqual(["caps", "avatar", "status"]);
    expect(strippedFor(rules, "r@rooms.hq.example")).toEqual(["caps"]);
    expect(strippedFor(parseStripRules(""), "r@rooms.hq.example")).toEqual([]);
  });

  it("strips only what is named, and keeps what occupants need", () => {
    const out = stripped(parse(PRESENCE), ["caps", "avatar", "status"]);
    expect(out.toString()).not.toContain("caps");
    expect(out.toString()).not.toContain("vcard-temp");
    expect(out.getChild("status")).toBeUndefined();
    expect(out.getChildText("show")).toBe("away");
    expect(out.getChild("x", "http://jabber.org/protocol/muc#user")).toBeDefined();
    expect(stripped(parse(PRESENCE), ["caps"]).getChildText("status")).toBe("lunch");
  });

  it("keeps the status text of an unavailable presence: it says why an occupant left", () => {
    const gone = parse(`<presence type="unavailable"><status>The link is down</status></presence>`);
    expect(stripped(gone, ["status"]).getChildText("status")).toBe("The link is down");
  });

  it("names the bad part of a bad value", () => {
    expect(() => parseStripRules("*=caps,photos")).toThrow(/"photos" is not one of caps/);
    expect(() => parseStripRules("caps")).toThrow(/is not links=item,item/);
  });
});
