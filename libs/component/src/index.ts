// @fedmuc/component: the service's XEP-0114 connection to its XMPP server.
export { ComponentConnection, type ComponentEvents, type ComponentStatus } from "./connection.js";
export type { ComponentOptions } from "./options.js";
export type { ComponentCounters, ComponentMetrics } from "./metrics.js";
export type { Logger } from "./logger.js";
export type { RetryInfo } from "./supervisor.js";
export {
  DEFAULT_BACKOFF,
  fullJitter,
  nextRetry,
  type BackoffPolicy,
  type BackoffState,
  type FailureKind,
} from "./backoff.js";
export * from "./errors.js";
export { roomKey } from "./inbound.js";
