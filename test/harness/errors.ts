// Typed errors of the test harness: a stable string code plus a message that says what to look at.

export type HarnessErrorCode =
  | "NO_FREE_PORT"
  | "SPAWN_FAILED"
  | "PROCESS_EXITED"
  | "PORT_TIMEOUT"
  | "COMMAND_FAILED"
  | "STOP_TIMEOUT"
  | "MISSING_BINARY"
  | "NOT_ROOT"
  | "NOT_TRAVERSABLE"
  | "XMPP_TIMEOUT"
  | "XMPP_CLOSED"
  | "HANDSHAKE_FAILED"
  | "REDIS_NOT_READY"
  | "LOG_TIMEOUT"
  | "UNSUPPORTED"
  | "HTTP_FAILED";

export class HarnessError extends Error {
  override readonly name = "HarnessError";

  constructor(
    readonly code: HarnessErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
