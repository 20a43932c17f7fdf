// What the connection reports: its status, its events, and how a retry is told to operators.
import type { ConflictError, StreamError } from "./errors.js";
import type { RetryInfo } from "./supervisor.js";

/** waiting: to retry after a loss; conflict: name held elsewhere; rejected: bad secret/domain. */
export type ComponentStatus =
  | "offline"
  | "connecting"
  | "online"
  | "waiting"
  | "conflict"
  | "rejected"
  | "draining"
  | "stopping";

export interface ComponentEvents {
  status: [status: ComponentStatus, previous: ComponentStatus];
  online: [];
  reconnecting: [info: RetryInfo];
  conflict: [error: ConflictError];
  streamError: [error: StreamError];
}

export interface RetryReport {
  readonly status: ComponentStatus;
  readonly level: "warn" | "error";
  readonly message: string;
}

/** The status and the log line of a scheduled retry. */
export function retryReport({ kind, error }: RetryInfo): RetryReport {
  switch (kind) {
    case "conflict":
      return {
        status: "conflict",
        level: "error",
        message: "component name held by another connection (stream error conflict): waiting",
      };
    case "config":
      // The error's own message names the variable to check (errors.ts).
      return {
        status: "rejected",
        level: "error",
        message: `${error?.message ?? "handshake refused"}; retrying at the longest backoff`,
      };
    default:
      return { status: "waiting", level: "warn", message: "component stream down: reconnecting" };
  }
}
