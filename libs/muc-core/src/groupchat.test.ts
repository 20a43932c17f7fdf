import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import { ROOM, sent, twoWitches } from "./testing/fixtures.js";

describe("XEP-0045 7.4 sending a message to all occupants", () => {
  it("reflects it to every occupant, sender included, with a stanza-id by the room", () => {
    const s = twoWitches();
    const d = s.step(
      `<message from="crone@shakespeare.lit/desktop" to="${ROOM}" type="groupchat" id="m1"><body>Harpier cries</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/></message>`,
    );
    const out = sent(d);
    expect(out.map((m) => m.attrs.to)).toEqual([
      "crone@shakespeare.lit/desktop",
      "wiccarocks@shakespeare.lit/laptop",
    ]);
    for (const m of out) {
      expect(m.attrs).toMatchObject({ from: `${ROOM}/firstwitch`, type: "groupchat", id: "m1" });
      expect(m.getChildText("body")).toBe("Harpier cries");
      expect(m.getChild("stanza-id", NS.sid)!.attrs.by).toBe(ROOM);
      expect(m.getChild("origin-id", NS.sid)!.attrs.id).toBe("o1");
    }
    expect(d.mutations.map((m) => m.op)).toEqual(["appendHistory"]);
  });

  it("drops a stanza-id forged by the sender in the room's name", () => {
    const s = twoWitches();
    const d = s.step(
      `<message from="crone@shakespeare.lit/desktop" to="${ROOM}" type="groupchat"><body>x</body><stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="forged"/></message>`,
    );
    const ids = sent(d)[0]!
      .getChildren("stanza-id", NS.sid)
      .map((e) => e.attrs.id);
    expect(ids).not.toContain("forged");
    expect(ids).toHaveLength(1);
  });

  it("refuses a body over the service's limit with policy-violation", () => {
    const s = twoWitches();
    const [error] = sent(
      s.step(
        `<message from="crone@shakespeare.lit/desktop" to="${ROOM}" type="groupchat"><body>${"x".repeat(1001)}</body></message>`,
      ),
    );
    expect(error!.getChild("error")!.getChild("policy-violation", NS.stanzas)).toBeDefined();
  });

  it("counts the body's characters, not its UTF-16 code units, against the limit", () => {
    const s = twoWitches();
    const say = (body: string) =>
      sent(
        s.step(
          `<message from="crone@shakespeare.lit/desktop" to="${ROOM}" type="groupchat"><body>${body}</body></message>`,
        ),
      );
    expect(say("🧙".repeat(1000)).map((m) => m.attrs.type)).toEqual(["groupchat", "groupchat"]);
    expect(say("🧙".repeat(1001))[0]!.attrs.type).toBe("error");
  });

  it("refuses a non-occupant with not-acceptable", () => {
    const s = twoWitches();
    const [error] = sent(
      s.step(
        `<message from="hag66@shakespeare.lit/pda" to="${ROOM}" type="groupchat"><body>x</body></message>`,
      ),
    );
    expect(error!.getChild("error")!.getChild("not-acceptable", NS.stanzas)).toBeDefined();
  });

  it("lets a moderator set the subject and refuses a participant (8.1)", () => {
    const s = twoWitches();
    s.step(
      `<message from="crone@shakespeare.lit/desktop" to="${ROOM}" type="groupchat"><subject>Fire Burn</subject></message>`,
    );
    expect(s.room.subject).toMatchObject({ text: "Fire Burn", nick: "firstwitch" });
    const [error] = sent(
      s.step(
        `<message from="wiccarocks@shakespeare.lit/laptop" to="${ROOM}" type="groupchat"><subject>x</subject></message>`,
      ),
    );
    expect(error!.getChild("error")!.getChild("forbidden", NS.stanzas)).toBeDefined();
  });
});
