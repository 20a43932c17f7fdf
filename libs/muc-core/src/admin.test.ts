import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import {
  ROOM,
  adminSet,
  conditionOf,
  field,
  oneWitch,
  sent,
  statusCodes,
  threeWitches,
  OWNER,
  GUEST,
  OTHER,
} from "./testing/fixtures.js";

describe("XEP-0045 8 moderator use cases", () => {
  it("kicks with 307, the actor and the reason (8.2)", () => {
    const s = threeWitches();
    const out = sent(
      s.step(
        adminSet(
          OWNER,
          `<item nick="thirdwitch" role="none"><reason>Avaunt, you cullion!</reason></item>`,
        ),
      ),
    );
    const toKicked = out.find((p) => p.attrs.to === OTHER)!;
    expect(toKicked.attrs.type).toBe("unavailable");
    expect(statusCodes(toKicked)).toEqual([110, 307]);
    const item = toKicked.getChild("x", NS.mucUser)!.getChild("item")!;
    expect(item.getChild("actor")!.attrs.nick).toBe("firstwitch");
    expect(item.getChildText("reason")).toBe("Avaunt, you cullion!");
    expect(out.at(-1)!.attrs).toMatchObject({ type: "result", to: OWNER });
    expect(s.room.occupants.thirdwitch).toBeUndefined();
  });

  it("refuses a kick by a participant (forbidden) and of an owner (not-allowed)", () => {
    const s = threeWitches();
    expect(
      conditionOf(sent(s.step(adminSet(GUEST, `<item nick="thirdwitch" role="none"/>`)))[0]),
    ).toBe("forbidden");
    s.step(adminSet(OWNER, `<item affiliation="admin" jid="wiccarocks@shakespeare.lit"/>`));
    expect(
      conditionOf(sent(s.step(adminSet(GUEST, `<item nick="firstwitch" role="none"/>`)))[0]),
    ).toBe("not-allowed");
  });

  it("refuses a moderator who is a participant kicking an owner: not-allowed (8.2)", () => {
    const s = threeWitches();
    s.step(adminSet(OWNER, `<item nick="secondwitch" role="moderator"/>`));
    expect(s.room.occupants.secondwitch!.role).toBe("moderator");
    expect(
      conditionOf(sent(s.step(adminSet(GUEST, `<item nick="firstwitch" role="none"/>`)))[0]),
    ).toBe("not-allowed");
    expect(s.room.occupants.firstwitch).toBeDefined();
  });

  it("revokes and grants voice (8.3, 8.4), and a visitor cannot speak", () => {
    const s = threeWitches(field("moderatedroom", "1"));
    expect(s.room.occupants.thirdwitch!.role).toBe("visitor");
    const say = `<message from="${OTHER}" to="${ROOM}" type="groupchat"><body>x</body></message>`;
    expect(conditionOf(sent(s.step(say))[0])).toBe("forbidden");
    s.step(adminSet(OWNER, `<item nick="thirdwitch" role="participant"/>`));
    expect(s.room.occupants.thirdwitch!.role).toBe("participant");
    expect(conditionOf(sent(s.step(say))[0])).toBeUndefined();
  });

  it("lists the participants (voice list, 8.5) to moderators", () => {
    const s = threeWitches();
    const [result] = sent(
      s.step(
        `<iq from="${OWNER}" to="${ROOM}" type="get" id="l"><query xmlns="${NS.mucAdmin}"><item role="participant"/></query></iq>`,
      ),
    );
    const nicks = result!
      .getChild("query", NS.mucAdmin)!
      .getChildren("item")
      .map((i) => i.attrs.nick);
    expect(nicks).toEqual(["secondwitch", "thirdwitch"]);
  });
});

describe("XEP-0045 9 admin use cases", () => {
  it("bans with 301 and lists the outcast (9.1, 9.2)", () => {
    const s = threeWitches();
    const out = sent(
      s.step(
        adminSet(
          OWNER,
          `<item affiliation="outcast" jid="hag66@shakespeare.lit"><reason>Treason</reason></item>`,
        ),
      ),
    );
    expect(statusCodes(out.find((p) => p.attrs.to === GUEST)!)).toEqual([301]);
    expect(s.room.occupants.thirdwitch).toBeUndefined();
    const [list] = sent(
      s.step(
        `<iq from="${OWNER}" to="${ROOM}" type="get" id="b"><query xmlns="${NS.mucAdmin}"><item affiliation="outcast"/></query></iq>`,
      ),
    );
    expect(
      list!
        .getChild("query", NS.mucAdmin)!
        .getChildren("item")
        .map((i) => i.attrs.jid),
    ).toEqual(["hag66@shakespeare.lit"]);
  });

  it("grants membership (9.3) and, in a members-only room, its revocation removes with 321 (9.4)", () => {
    const s = oneWitch(field("membersonly", "1"));
    s.step(adminSet(OWNER, `<item affiliation="member" jid="wiccarocks@shakespeare.lit"/>`));
    s.join(GUEST, "secondwitch");
    expect(s.room.occupants.secondwitch!.affiliation).toBe("member");
    const out = sent(
      s.step(adminSet(OWNER, `<item affiliation="none" jid="wiccarocks@shakespeare.lit"/>`)),
    );
    expect(statusCodes(out.find((p) => p.attrs.to === OWNER && p.name === "presence")!)).toEqual([
      321,
    ]);
    expect(s.room.occupants.secondwitch).toBeUndefined();
  });

  it("grants moderator status (9.6) only as an admin or owner", () => {
    const s = threeWitches();
    s.step(adminSet(OWNER, `<item nick="secondwitch" role="moderator"/>`));
    expect(s.room.occupants.secondwitch!.role).toBe("moderator");
    const [error] = sent(s.step(adminSet(GUEST, `<item nick="thirdwitch" role="moderator"/>`)));
    expect(conditionOf(error)).toBe("forbidden");
  });

  it("does not let an admin touch an owner's affiliation (5.2)", () => {
    const s = threeWitches();
    s.step(adminSet(OWNER, `<item affiliation="admin" jid="wiccarocks@shakespeare.lit"/>`));
    const [error] = sent(
      s.step(adminSet(GUEST, `<item affiliation="outcast" jid="crone@shakespeare.lit"/>`)),
    );
    expect(conditionOf(error)).toBe("not-allowed");
  });
});
