import { describe, expect, it } from "vitest";
import { parse, xml } from "@fedmuc/xmpp";
import { carryTrace, sampled, takeTrace, traceElement } from "./trace.js";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("the trace element", () => {
  it("reads back what is written, and leaves the stanza without it", () => {
    const stanza = xml("message", {}, xml("body", {}, "hi"), traceElement({ traceparent }));
    expect(takeTrace(stanza)).toEqual({ traceparent });
    expect(stanza.toString()).toBe("<message><body>hi</body></message>");
    const both = xml("message", {}, traceElement({ traceparent, tracestate: "a=1" }));
    expect(takeTrace(both)).toEqual({ traceparent, tracestate: "a=1" });
  });

  it("takes every copy off but honours none of an implausible size", () => {
    const huge = "x".repeat(10_000);
    const stanza = parse(
      `<message><trace xmlns="urn:fedmuc:fmuc:0" traceparent="${huge}"/>` +
        `<trace xmlns="urn:fedmuc:fmuc:0" traceparent="${traceparent}"/></message>`,
    );
    expect(takeTrace(stanza)).toBeUndefined();
    expect(stanza.children).toEqual([]);
    const state = parse(
      `<message><trace xmlns="urn:fedmuc:fmuc:0" traceparent="${traceparent}" tracestate="${huge}"/></message>`,
    );
    expect(takeTrace(state)).toEqual({ traceparent });
  });

  it("leaves elements of other namespaces alone", () => {
    const stanza = parse(`<message><trace xmlns="urn:example"/></message>`);
    expect(takeTrace(stanza)).toBeUndefined();
    expect(stanza.children).toHaveLength(1);
  });

  it("is carried only for a sampled trace: an unsampled one is not worth its bytes", () => {
    const unsampled = traceparent.replace(/-01$/, "-00");
    expect([
      sampled(traceparent),
      sampled(unsampled),
      sampled(traceparent.replace(/-01$/, "-03")),
    ]).toEqual([true, false, true]);
    expect(takeTrace(carryTrace(xml("message"), { traceparent }))).toEqual({ traceparent });
    expect(carryTrace(xml("message"), { traceparent: unsampled }).children).toEqual([]);
    expect(carryTrace(xml("message"), undefined).children).toEqual([]);
  });
});
