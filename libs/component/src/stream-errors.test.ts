import { parse } from "@fedmuc/xmpp";
import { describe, expect, it } from "vitest";
import {
  ConflictError,
  HandshakeError,
  HostUnknownError,
  NotAuthorizedError,
  StreamError,
} from "./errors.js";
import { failureKind, streamErrorFromElement } from "./stream-errors.js";

const streamError = (condition: string, text = ""): string =>
  `<stream:error xmlns:stream='http://etherx.jabber.org/streams'>` +
  `<${condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>` +
  (text ? `<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>${text}</text>` : "") +
  `</stream:error>`;

const fromXml = (x: string) => streamErrorFromElement(parse(x), "rooms.example");

describe("streamErrorFromElement", () => {
  it("types conflict, not-authorized and host-unknown, with stable codes", () => {
    const conflict = fromXml(streamError("conflict", "Component already connected"));
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict).toMatchObject({ code: "COMPONENT_CONFLICT", condition: "conflict" });
    expect(conflict.text).toBe("Component already connected");
    expect(fromXml(streamError("not-authorized"))).toBeInstanceOf(NotAuthorizedError);
    expect(fromXml(streamError("host-unknown"))).toBeInstanceOf(HostUnknownError);
  });

  it("names the variable to check in configuration errors", () => {
    expect(fromXml(streamError("not-authorized")).message).toContain("XMPP_COMPONENT_SECRET");
    expect(fromXml(streamError("host-unknown")).message).toContain("XMPP_COMPONENT_DOMAIN");
  });

  it("keeps other conditions as a plain StreamError, text before condition too", () => {
    const x =
      `<stream:error xmlns:stream='http://etherx.jabber.org/streams'>` +
      `<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>bye</text>` +
      `<system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`;
    const err = fromXml(x);
    expect(err.constructor).toBe(StreamError);
    expect(err).toMatchObject({ condition: "system-shutdown", text: "bye" });
    expect(err.code).toBe("COMPONENT_STREAM_ERROR");
  });

  it("falls back to undefined-condition when none is given", () => {
    const el = parse(`<stream:error xmlns:stream='http://etherx.jabber.org/streams'/>`);
    expect(streamErrorFromElement(el, "d").condition).toBe("undefined-condition");
  });
});

describe("failureKind", () => {
  it("maps errors to the backoff they call for", () => {
    expect(failureKind(new ConflictError("d"))).toBe("conflict");
    expect(failureKind(new NotAuthorizedError("d"))).toBe("config");
    expect(failureKind(new HostUnknownError("d"))).toBe("config");
    expect(failureKind(new HandshakeError("x"))).toBe("config");
    expect(failureKind(new StreamError("system-shutdown"))).toBe("transient");
    expect(failureKind(new Error("ECONNREFUSED"))).toBe("transient");
    expect(failureKind(undefined)).toBe("transient");
  });
});
