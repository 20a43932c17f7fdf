// Typed errors of the component connection: one class per kind, each with a stable `code`.

export type ComponentErrorCode =
  | "COMPONENT_STREAM_ERROR"
  | "COMPONENT_CONFLICT"
  | "COMPONENT_NOT_AUTHORIZED"
  | "COMPONENT_HOST_UNKNOWN"
  | "COMPONENT_HANDSHAKE_FAILED"
  | "COMPONENT_CONNECT_TIMEOUT"
  | "COMPONENT_SEND_TIMEOUT"
  | "COMPONENT_STOPPED"
  | "COMPONENT_DRAIN_TIMEOUT";

export class ComponentError extends Error {
  constructor(
    readonly code: ComponentErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A stream error from the server (RFC 6120 §4.9); `condition` is the element's name. */
export class StreamError extends ComponentError {
  constructor(
    readonly condition: string,
    readonly text = "",
    code: ComponentErrorCode = "COMPONENT_STREAM_ERROR",
    message = `stream error <${condition}/>${text ? `: ${text}` : ""}`,
  ) {
    super(code, message);
  }
}

/** <conflict/> (RFC 6120 §4.9.3.3): another connection holds this component name. */
export class ConflictError extends StreamError {
  constructor(domain: string, text = "") {
    super("conflict", text, "COMPONENT_CONFLICT", `another connection holds component ${domain}`);
  }
}

/** <not-authorized/> (XEP-0114 §3): the handshake digest was refused, i.e. a wrong secret. */
export class NotAuthorizedError extends StreamError {
  constructor(domain: string, text = "") {
    const hint = "check XMPP_COMPONENT_SECRET against the server's component_secret";
    super(
      "not-authorized",
      text,
      "COMPONENT_NOT_AUTHORIZED",
      `handshake of ${domain} refused: ${hint}`,
    );
  }
}

/** <host-unknown/> (RFC 6120 §4.9.3.6): the server has no component of this name. */
export class HostUnknownError extends StreamError {
  constructor(domain: string, text = "") {
    const hint = "check XMPP_COMPONENT_DOMAIN against the server's Component entries";
    super(
      "host-unknown",
      text,
      "COMPONENT_HOST_UNKNOWN",
      `server does not serve ${domain}: ${hint}`,
    );
  }
}

/** The server answered the stream header or handshake with something else (XEP-0114 §3). */
export class HandshakeError extends ComponentError {
  constructor(message: string) {
    super("COMPONENT_HANDSHAKE_FAILED", message);
  }
}

/** TCP connect, stream open and handshake did not complete in time. */
export class ConnectTimeoutError extends ComponentError {
  constructor(ms: number) {
    super("COMPONENT_CONNECT_TIMEOUT", `not online within ${ms} ms of connecting`);
  }
}

/** A stanza waited longer than the send timeout to be handed to the socket. */
export class SendTimeoutError extends ComponentError {
  constructor(ms: number) {
    super("COMPONENT_SEND_TIMEOUT", `stanza not sent within ${ms} ms`);
  }
}

/** The connection was stopped before the stanza could be sent. */
export class StoppedError extends ComponentError {
  constructor(message = "component connection stopped") {
    super("COMPONENT_STOPPED", message);
  }
}

/** drain() ran out of time; the stream was closed anyway. */
export class DrainTimeoutError extends ComponentError {
  constructor(ms: number, detail: string) {
    super("COMPONENT_DRAIN_TIMEOUT", `drain incomplete after ${ms} ms: ${detail}`);
  }
}
