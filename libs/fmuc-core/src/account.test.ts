// The byte account of a link stanza: each part of the wire format counted once, the parts adding
// up to the stanza's bytes.
import { describe, expect, it } from "vitest";
import { NS, parse } from "@fedmuc/xmpp";
import { PARTS, byteAccount } from "./account.js";

const LINK_MESSAGE =
  `<message xmlns="jabber:server" from="r@talk.denmark.lit/Hamlet" to="r@rooms.wonderland.lit" type="groupchat" id="a1b2">` +
  `<body>To be, or not to be</body>` +
  `<fmuc xmlns="${NS.fmuc}" from="hamlet@denmark.lit/castle"/>` +
  `<stanza-id xmlns="${NS.sid}" id="9f86d081" by="r@talk.denmark.lit"/>` +
  `<occupant-id xmlns="${NS.occupantId}" id="k3"/>` +
  `<seq xmlns="${NS.fedmuc}" s="5c2f9a1e" n="17" at="1796407805157"/>` +
  `<trace xmlns="${NS.fedmuc}" traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"/>` +
  `<delay xmlns="${NS.delay}" stamp="2026-12-04T19:00:00.000Z"/>` +
  `<x xmlns="${NS.mucUser}"/>` +
  `</message>`;

const sum = (account: Record<string, number>) => Object.values(account).reduce((a, b) => a + b, 0);

describe("the byte account of a link stanza", () => {
  it("adds up to the stanza's bytes, each part counted once", () => {
    const stanza = parse(LINK_MESSAGE);
    const account = byteAccount(stanza);
    expect(Object.keys(account)).toEqual([...PARTS]);
    expect(sum(account)).toBe(Buffer.byteLength(stanza.toString()));
  });

  it("puts each element and attribute in its part", () => {
    const account = byteAccount(parse(LINK_MESSAGE));
    const len = (text: string) => Buffer.byteLength(text);
    expect(account.body).toBe(len("<body>To be, or not to be</body>"));
    expect(account.addresses).toBe(
      len(` from="r@talk.denmark.lit/Hamlet"`) + len(` to="r@rooms.wonderland.lit"`),
    );
    expect(account.fmuc).toBe(len(`<fmuc xmlns="${NS.fmuc}" from="hamlet@denmark.lit/castle"/>`));
    // The numbering without its queued time, which counts with the delay as time.
    expect(account.numbering).toBe(len(`<seq xmlns="${NS.fedmuc}" s="5c2f9a1e" n="17"/>`));
    expect(account.time).toBe(
      len(` at="1796407805157"`) +
        len(`<delay xmlns="${NS.delay}" stamp="2026-12-04T19:00:00.000Z"/>`),
    );
    expect(account.ids).toBe(
      len(` id="a1b2"`) +
        len(`<stanza-id xmlns="${NS.sid}" id="9f86d081" by="r@talk.denmark.lit"/>`) +
        len(`<occupant-id xmlns="${NS.occupantId}" id="k3"/>`),
    );
    expect(account.trace).toBeGreaterThan(55); // a traceparent alone is 55 characters
    expect(account.other).toBe(len(`<x xmlns="${NS.mucUser}"/>`));
    expect(account.stanza).toBe(len(`<message xmlns="jabber:server" type="groupchat"></message>`));
  });

  it("finds none of the link's own parts in a plain copy", () => {
    const plain = parse(
      `<message from="r@rooms.wonderland.lit/Hamlet" to="ophelia@denmark.lit/castle" type="groupchat"><body>hi</body></message>`,
    );
    const account = byteAccount(plain);
    expect([account.fmuc, account.numbering, account.trace, account.time]).toEqual([0, 0, 0, 0]);
    expect(sum(account)).toBe(Buffer.byteLength(plain.toString()));
  });
});
