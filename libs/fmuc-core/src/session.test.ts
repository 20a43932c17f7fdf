// The link session's wire format (README.md "Link sessions"): what is written is read back, and
// what cannot be read is refused as malformed.
import { describe, expect, it } from "vitest";
import { parse, xml } from "@fedmuc/xmpp";
import { MalformedFmucError } from "./payload.js";
import {
  ackMessage,
  readAck,
  readSeq,
  readSession,
  seqElement,
  sessionElement,
} from "./session.js";

const carrying = (seq: Parameters<typeof seqElement>[0]) => xml("message", {}, seqElement(seq));

describe("link session elements", () => {
  it("a numbered stanza's seq reads back, with its acknowledgement, time and run of copies", () => {
    expect(readSeq(carrying({ s: "a1", n: 5 }))).toEqual({ s: "a1", n: 5 });
    const full = { s: "a1", n: 5, ack: 3, at: 1_700_000_000_000, re: 2 };
    expect(readSeq(carrying(full))).toEqual(full);
    expect(readSeq(xml("message"))).toBeUndefined();
  });

  it("an ask reads back with the run its sender has seen; a plain acknowledgement without", () => {
    const ask = ackMessage("a@x", "b@y", { s: "a1", n: 4, resend: true, run: 3 });
    expect(readAck(ask)).toEqual({ s: "a1", n: 4, resend: true, run: 3 });
    const plain = ackMessage("a@x", "b@y", { s: "a1", n: 4, resend: false });
    expect(readAck(plain)).toEqual({ s: "a1", n: 4, resend: false });
  });

  it("numbers that are not counts are malformed", () => {
    const seq = (attrs: string) =>
      parse(`<message><seq xmlns="urn:fedmuc:fmuc:0" ${attrs}/></message>`);
    expect(() => readSeq(seq(`s="a1" n="x"`))).toThrow(MalformedFmucError);
    expect(() => readSeq(seq(`s="a1" n="2" re="-1"`))).toThrow(MalformedFmucError);
    expect(() => readSeq(seq(`n="2"`))).toThrow(MalformedFmucError);
    const ask = parse(`<message><ack xmlns="urn:fedmuc:fmuc:0" s="a1" n="2" run="1e3"/></message>`);
    expect(() => readAck(ask)).toThrow(MalformedFmucError);
  });

  it("an offer says whether the joining node takes trace context; an older node's says nothing", () => {
    const offer = (o: Parameters<typeof sessionElement>[0]) =>
      readSession(xml("presence", {}, sessionElement(o)));
    expect(offer({ id: "a1", rx: 2, state: false, trace: true })).toEqual({
      id: "a1",
      rx: 2,
      state: false,
      trace: true,
    });
    expect(offer({ rx: 0, state: false })).toEqual({ rx: 0, state: false });
    expect(sessionElement({ rx: 0, state: false, trace: false }).attrs.trace).toBeUndefined();
  });
});
