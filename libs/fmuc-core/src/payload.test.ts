import { describe, expect, it } from "vitest";
import { NS, parse } from "@fedmuc/xmpp";
import {
  MalformedFmucError,
  leftPresence,
  readFmuc,
  rejectPresence,
  withoutFmuc,
} from "./payload.js";

describe("fmuc payloads (XEP-0289 0.2)", () => {
  it("reads the real JID of a relayed stanza (5.1 example)", () => {
    const presence = parse(
      `<presence from="elsinore@talk.denmark.lit/Hamlet" to="rabbithole@rooms.wonderland.lit/Hamlet"><fmuc xmlns="${NS.fmuc}" from="hamlet@denmark.lit/priam-ubuntu-vm"/><x xmlns="${NS.muc}"/></presence>`,
    );
    expect(readFmuc(presence)).toEqual({ kind: "from", jid: "hamlet@denmark.lit/priam-ubuntu-vm" });
  });

  it("reads <reject/> with its reason and <left/>", () => {
    const reject = rejectPresence(
      "rabbithole@rooms.wonderland.lit",
      "elsinore@talk.denmark.lit",
      "No cross-domain federation.",
    );
    expect(reject.attrs).toEqual({
      from: "rabbithole@rooms.wonderland.lit",
      to: "elsinore@talk.denmark.lit",
    });
    expect(readFmuc(reject)).toEqual({ kind: "reject", reason: "No cross-domain federation." });
    expect(readFmuc(leftPresence("a@b", "c@d"))).toEqual({ kind: "left" });
  });

  it("has nothing to say of a stanza without fmuc, and refuses one without a real JID", () => {
    expect(readFmuc(parse("<message><body>x</body></message>"))).toBeUndefined();
    expect(() => readFmuc(parse(`<message><fmuc xmlns="${NS.fmuc}"/></message>`))).toThrow(
      MalformedFmucError,
    );
    expect(() =>
      readFmuc(parse(`<message><fmuc xmlns="${NS.fmuc}" from="not-a-jid"/></message>`)),
    ).toThrow(MalformedFmucError);
  });

  it("strips fmuc before a stanza reaches a client, and only fmuc", () => {
    const m = withoutFmuc(
      parse(
        `<message><body>Hi</body><fmuc xmlns="${NS.fmuc}" from="a@b/c"/><fmuc xmlns="other"/></message>`,
      ),
    );
    expect(m.toString()).toBe(`<message><body>Hi</body><fmuc xmlns="other"/></message>`);
  });
});
