import { describe, expect, it } from "vitest";
import { NS, formValues } from "@fedmuc/xmpp";
import {
  ROOM,
  Stepper,
  adminSet,
  conditionOf,
  field,
  oneWitch,
  sent,
  statusCodes,
  twoWitches,
  OWNER,
  GUEST,
} from "./testing/fixtures.js";

describe("XEP-0045 10 owner use cases", () => {
  it("unlocks an instant room (10.1.2) and answers with a result", () => {
    const s = new Stepper();
    s.join(OWNER, "firstwitch");
    expect(s.room.locked).toBe(true);
    const [result] = sent(s.configure(OWNER, ""));
    expect(result!.attrs).toMatchObject({ type: "result", id: "cfg", to: OWNER, from: ROOM });
    expect(s.room.locked).toBe(false);
  });

  it("destroys a new room whose initial configuration is cancelled (10.1.2)", () => {
    const s = new Stepper();
    s.join(OWNER, "firstwitch");
    s.step(
      `<iq from="${OWNER}" to="${ROOM}" type="set" id="c"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="cancel"/></query></iq>`,
    );
    expect(s.room.exists).toBe(false);
  });

  it("sends the configuration form with current values (10.1.3) to owners only", () => {
    const s = twoWitches(field("roomname", "A Dark Cave"));
    const get = (from: string) =>
      sent(
        s.step(
          `<iq from="${from}" to="${ROOM}" type="get" id="g"><query xmlns="${NS.mucOwner}"/></iq>`,
        ),
      )[0]!;
    const form = get(OWNER).getChild("query", NS.mucOwner)!.getChild("x", "jabber:x:data")!;
    const values = formValues(form);
    expect(values.get("FORM_TYPE")).toEqual(["http://jabber.org/protocol/muc#roomconfig"]);
    expect(values.get("muc#roomconfig_roomname")).toEqual(["A Dark Cave"]);
    expect(values.get("muc#roomconfig_roomowners")).toEqual(["crone@shakespeare.lit"]);
    expect(conditionOf(get(GUEST))).toBe("forbidden");
  });

  it("tells occupants of a later change with 104, and 172 when the room becomes non-anonymous", () => {
    const s = twoWitches();
    const out = sent(s.configure(OWNER, field("whois", "anyone")));
    const notices = out.filter((m) => m.name === "message");
    expect(notices.map((m) => m.attrs.to)).toEqual([OWNER, GUEST]);
    expect(statusCodes(notices[0]!)).toEqual([104, 172]);
    expect(s.room.config.whois).toBe("anyone");
  });

  it("refuses an invalid value with not-acceptable and changes nothing", () => {
    const s = oneWitch();
    const [error] = sent(s.configure(OWNER, field("maxusers", "lots")));
    expect(conditionOf(error)).toBe("not-acceptable");
    expect(s.room.config.maxUsers).toBe(0);
  });

  it("removes non-members with 322 when the room becomes members-only", () => {
    const s = twoWitches();
    const out = sent(s.configure(OWNER, field("membersonly", "1")));
    const gone = out.filter((p) => p.name === "presence" && p.attrs.from === `${ROOM}/secondwitch`);
    expect(gone.every((p) => p.attrs.type === "unavailable")).toBe(true);
    expect(statusCodes(gone.find((p) => p.attrs.to === OWNER)!)).toEqual([322]);
    expect(Object.keys(s.room.occupants)).toEqual(["firstwitch"]);
  });

  it("makes the JIDs listed as owners and admins owners and admins", () => {
    const s = oneWitch();
    s.configure(
      OWNER,
      `<field var="muc#roomconfig_roomadmins"><value>wiccarocks@shakespeare.lit</value></field>`,
    );
    expect(s.room.affiliations["wiccarocks@shakespeare.lit"]).toBe("admin");
  });

  it("destroys the room with a reason and an alternate venue (10.9)", () => {
    const s = twoWitches();
    const out = sent(
      s.step(
        `<iq from="${OWNER}" to="${ROOM}" type="set" id="d"><query xmlns="${NS.mucOwner}"><destroy jid="darkcave@chat.shakespeare.lit"><reason>Macbeth doth come.</reason></destroy></query></iq>`,
      ),
    );
    const toGuest = out.find((p) => p.attrs.to === GUEST)!;
    const destroy = toGuest.getChild("x", NS.mucUser)!.getChild("destroy")!;
    expect(toGuest.attrs.type).toBe("unavailable");
    expect(destroy.attrs.jid).toBe("darkcave@chat.shakespeare.lit");
    expect(destroy.getChildText("reason")).toBe("Macbeth doth come.");
    expect(out.at(-1)!.attrs.type).toBe("result");
    expect(s.room.exists).toBe(false);
  });

  it("keeps the last owner (10.7): conflict", () => {
    const s = oneWitch();
    const [error] = sent(
      s.step(adminSet(OWNER, `<item affiliation="member" jid="crone@shakespeare.lit"/>`)),
    );
    expect(conditionOf(error)).toBe("conflict");
  });
});
