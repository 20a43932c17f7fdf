import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import { GUEST, ROOM, conditionOf, sent, twoWitches } from "./testing/fixtures.js";

const ping = (from: string, nick: string) =>
  `<iq from="${from}" to="${ROOM}/${nick}" type="get" id="p"><ping xmlns="${NS.ping}"/></iq>`;

describe("XEP-0410 MUC self-ping", () => {
  it("answers a joined occupant's ping to its own occupant JID", () => {
    const s = twoWitches();
    const [reply] = sent(s.step(ping(GUEST, "secondwitch")));
    expect(reply!.attrs).toMatchObject({ type: "result", from: `${ROOM}/secondwitch`, to: GUEST });
  });

  it("refuses a client that is not joined: not-acceptable", () => {
    const s = twoWitches();
    expect(conditionOf(sent(s.step(ping("hag66@shakespeare.lit/pda", "thirdwitch")))[0])).toBe(
      "not-acceptable",
    );
  });

  it("answers item-not-found for a nickname not in the room (section 3: renamed)", () => {
    const s = twoWitches();
    expect(conditionOf(sent(s.step(ping(GUEST, "oldname")))[0])).toBe("item-not-found");
  });
});
