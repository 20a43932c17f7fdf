import { describe, expect, it } from "vitest";
import {
  PASSWORD_ROOM,
  ROOM,
  Stepper,
  adminSet,
  conditionOf,
  field,
  oneWitch,
  sent,
  OWNER,
  OTHER,
} from "./testing/fixtures.js";

const firstSent = (s: Stepper, extra = "") => sent(s.join(OTHER, "thirdwitch", extra))[0];

describe("XEP-0045 7.2 entering a room: refusals", () => {
  it("refuses anyone but the owner while the new room is locked (10.1.1): item-not-found", () => {
    const s = new Stepper();
    s.join(OWNER, "firstwitch");
    expect(conditionOf(firstSent(s))).toBe("item-not-found");
  });

  it("refuses a wrong or missing password (7.2.6): not-authorized", () => {
    const s = oneWitch(PASSWORD_ROOM);
    expect(conditionOf(firstSent(s))).toBe("not-authorized");
    expect(conditionOf(firstSent(s, "<password>wrong</password>"))).toBe("not-authorized");
  });

  it("admits the right password", () => {
    const s = oneWitch(PASSWORD_ROOM);
    const d = s.step(
      `<presence from="${OTHER}" to="${ROOM}/thirdwitch"><x xmlns="http://jabber.org/protocol/muc"><password>cauldronburn</password></x></presence>`,
    );
    expect(conditionOf(sent(d)[0])).toBeUndefined();
    expect(s.room.occupants.thirdwitch).toBeDefined();
  });

  it("refuses a non-member of a members-only room (7.2.7): registration-required", () => {
    const s = oneWitch(field("membersonly", "1"));
    expect(conditionOf(firstSent(s))).toBe("registration-required");
    s.step(adminSet(OWNER, `<item affiliation="member" jid="hag66@shakespeare.lit"/>`));
    expect(conditionOf(firstSent(s))).toBeUndefined();
  });

  it("refuses a banned user (7.2.8): forbidden", () => {
    const s = oneWitch();
    s.step(adminSet(OWNER, `<item affiliation="outcast" jid="hag66@shakespeare.lit"/>`));
    expect(conditionOf(firstSent(s))).toBe("forbidden");
  });

  it("refuses entry to a full room (7.2.10): service-unavailable, but not to an admin", () => {
    const s = oneWitch(field("maxusers", "1"));
    expect(conditionOf(firstSent(s))).toBe("service-unavailable");
    s.step(adminSet(OWNER, `<item affiliation="admin" jid="hag66@shakespeare.lit"/>`));
    expect(conditionOf(firstSent(s))).toBeUndefined();
  });

  it("gives a visitor's role in a moderated room (5.1.2)", () => {
    const s = oneWitch(field("moderatedroom", "1"));
    firstSent(s);
    expect(s.room.occupants.thirdwitch!.role).toBe("visitor");
  });
});
