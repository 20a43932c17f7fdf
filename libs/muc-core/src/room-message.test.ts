import { describe, expect, it } from "vitest";
import { NS, formValues } from "@fedmuc/xmpp";
import {
  PASSWORD_ROOM,
  ROOM,
  conditionOf,
  field,
  oneWitch,
  sent,
  statusCodes,
  twoWitches,
  OWNER,
  GUEST,
} from "./testing/fixtures.js";

describe("XEP-0045 7.8.2 mediated invitations", () => {
  it("forwards an invitation from the room with the inviter's JID, reason and password", () => {
    const s = oneWitch(PASSWORD_ROOM);
    const [inv] = sent(
      s.step(
        `<message from="${OWNER}" to="${ROOM}"><x xmlns="${NS.mucUser}"><invite to="hecate@shakespeare.lit"><reason>Hey Hecate</reason></invite></x></message>`,
      ),
    );
    expect(inv!.attrs).toMatchObject({ from: ROOM, to: "hecate@shakespeare.lit" });
    const x = inv!.getChild("x", NS.mucUser)!;
    expect(x.getChild("invite")!.attrs.from).toBe(OWNER);
    expect(x.getChild("invite")!.getChildText("reason")).toBe("Hey Hecate");
    expect(x.getChildText("password")).toBe("cauldronburn");
  });

  it("makes the invitee a member of a members-only room, and refuses participants' invites there", () => {
    const s = oneWitch(field("membersonly", "1"));
    s.step(
      `<message from="${OWNER}" to="${ROOM}"><x xmlns="${NS.mucUser}"><invite to="wiccarocks@shakespeare.lit"/></x></message>`,
    );
    expect(s.room.affiliations["wiccarocks@shakespeare.lit"]).toBe("member");
    s.join(GUEST, "secondwitch");
    const [error] = sent(
      s.step(
        `<message from="${GUEST}" to="${ROOM}"><x xmlns="${NS.mucUser}"><invite to="hecate@shakespeare.lit"/></x></message>`,
      ),
    );
    expect(conditionOf(error)).toBe("forbidden");
  });

  it("forwards a decline to the inviter", () => {
    const s = oneWitch();
    const [dec] = sent(
      s.step(
        `<message from="hecate@shakespeare.lit/broom" to="${ROOM}"><x xmlns="${NS.mucUser}"><decline to="${OWNER}"><reason>Sorry</reason></decline></x></message>`,
      ),
    );
    expect(dec!.attrs).toMatchObject({ from: ROOM, to: OWNER });
    expect(dec!.getChild("x", NS.mucUser)!.getChild("decline")!.attrs.from).toBe(
      "hecate@shakespeare.lit/broom",
    );
  });
});

describe("XEP-0045 7.13 and 8.6 voice requests", () => {
  it("asks each moderator, and grants voice when one approves", () => {
    const s = twoWitches(field("moderatedroom", "1"));
    const request = `<message from="${GUEST}" to="${ROOM}"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#request</value></field><field var="muc#role"><value>participant</value></field></x></message>`;
    const [ask] = sent(s.step(request));
    expect(ask!.attrs.to).toBe(OWNER);
    const values = formValues(ask!.getChild("x", "jabber:x:data")!);
    expect(values.get("muc#roomnick")).toEqual(["secondwitch"]);
    expect(values.get("muc#jid")).toEqual([GUEST]);
    s.step(
      `<message from="${OWNER}" to="${ROOM}"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#request</value></field><field var="muc#roomnick"><value>secondwitch</value></field><field var="muc#request_allow"><value>true</value></field></x></message>`,
    );
    expect(s.room.occupants.secondwitch!.role).toBe("participant");
  });
});

describe("ghost removal", () => {
  it("removes an occupant whose client bounces the room's stanzas, with status 333", () => {
    const s = twoWitches();
    const out = sent(
      s.step(
        `<message from="${GUEST}" to="${ROOM}/firstwitch" type="error"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
      ),
    );
    expect(s.room.occupants.secondwitch).toBeUndefined();
    expect(statusCodes(out.find((p) => p.attrs.to === OWNER)!)).toEqual([333]);
  });

  it("keeps an occupant on an error that does not mean its client is gone", () => {
    const s = twoWitches();
    s.step(
      `<message from="${GUEST}" to="${ROOM}/firstwitch" type="error"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
    );
    expect(s.room.occupants.secondwitch).toBeDefined();
  });
});

describe("room policies", () => {
  it("lets participants change the subject only if the room allows it (8.1)", () => {
    const s = twoWitches(field("changesubject", "1"));
    s.step(
      `<message from="${GUEST}" to="${ROOM}" type="groupchat"><subject>Cauldron</subject></message>`,
    );
    expect(s.room.subject?.text).toBe("Cauldron");
  });

  it("refuses private messages when the room allows none", () => {
    const s = twoWitches(field("allowpm", "none"));
    const [error] = sent(
      s.step(
        `<message from="${GUEST}" to="${ROOM}/firstwitch" type="chat"><body>psst</body></message>`,
      ),
    );
    expect(conditionOf(error)).toBe("forbidden");
  });

  it("destroys a temporary room when its last occupant leaves, but keeps a persistent one", () => {
    const s = oneWitch(field("persistentroom", "1"));
    s.step(`<presence from="${OWNER}" to="${ROOM}/firstwitch" type="unavailable"/>`);
    expect(s.room.exists).toBe(true);
    expect(s.room.occupants).toEqual({});
  });
});
