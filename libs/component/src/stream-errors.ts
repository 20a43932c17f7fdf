// Stream errors (RFC 6120 §4.9) typed by condition, and what each means for reconnecting.
import type { Element } from "@fedmuc/xmpp";
import type { FailureKind } from "./backoff.js";
import {
  ConflictError,
  HandshakeError,
  HostUnknownError,
  NotAuthorizedError,
  StreamError,
} from "./errors.js";

export const NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";

/** The typed error of a received <stream:error/> (RFC 6120 §4.9.2 syntax). */
export function streamErrorFromElement(el: Element, domain: string): StreamError {
  const children = el.getChildElements().filter((c) => c.getNS() === NS_STREAMS);
  const condition = children.find((c) => c.name !== "text")?.name ?? "undefined-condition";
  const text = children.find((c) => c.name === "text")?.getText() ?? "";
  switch (condition) {
    case "conflict":
      return new ConflictError(domain, text);
    case "not-authorized":
      return new NotAuthorizedError(domain, text);
    case "host-unknown":
      return new HostUnknownError(domain, text);
    default:
      return new StreamError(condition, text);
  }
}

/** How a session's first error bears on the next attempt (see backoff.ts). */
export function failureKind(err: unknown): FailureKind {
  if (err instanceof ConflictError) return "conflict";
  if (err instanceof NotAuthorizedError || err instanceof HostUnknownError) return "config";
  // A server that answers the handshake with garbage will do it again: retry rarely.
  if (err instanceof HandshakeError) return "config";
  return "transient";
}
