import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { carrierOf, contextOf, decodeCarrier, encodeCarrier } from "./propagation.js";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("trace context propagation", () => {
  it("passes on a context it was given, without an SDK", () => {
    const ctx = contextOf({ traceparent, tracestate: "site=hub" });
    expect(trace.getSpanContext(ctx)).toMatchObject({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      isRemote: true,
    });
    expect(carrierOf(ctx)).toEqual({ traceparent, tracestate: "site=hub" });
  });

  it("ignores a malformed traceparent and has nothing to carry outside a span", () => {
    expect(contextOf({ traceparent: "00-zz-yy-01" })).toBe(ROOT_CONTEXT);
    expect(contextOf({ traceparent: `${traceparent}-extra` })).toBe(ROOT_CONTEXT);
    expect(contextOf(undefined)).toBe(ROOT_CONTEXT);
    expect(carrierOf(ROOT_CONTEXT)).toBeUndefined();
  });

  it("stores a carrier as one string and reads it back", () => {
    for (const carrier of [{ traceparent }, { traceparent, tracestate: "a=1,b=2" }]) {
      expect(decodeCarrier(encodeCarrier(carrier))).toEqual(carrier);
    }
    expect(encodeCarrier(undefined)).toBe("");
    expect(decodeCarrier("")).toBeUndefined();
  });
});
