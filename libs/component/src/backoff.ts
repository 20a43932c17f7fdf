// Reconnect delays: a pure function of the failure history, the policy and a random source,
// with exponential backoff and full jitter (@fedmuc/backoff).
import { expCap, fullJitter, uniform, type Exponential, type Random } from "@fedmuc/backoff";

export { expCap, fullJitter, type Random };

/** The transient delays' exponential (maxMs is also the delay after a configuration error). */
export interface BackoffPolicy extends Exponential {
  /** Least delay after a <conflict/>: another worker holds the name, do not storm it. */
  readonly conflictFloorMs: number;
  /** A session online this long resets the history: the next loss retries quickly again. */
  readonly stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 500,
  factor: 2,
  maxMs: 30_000,
  conflictFloorMs: 5_000,
  stableAfterMs: 30_000,
};

/** transient: network, restart; conflict: name taken; config: secret or domain wrong. */
export type FailureKind = "transient" | "conflict" | "config";

export interface BackoffState {
  /** Consecutive failed or short sessions. */
  readonly failures: number;
  /** Consecutive conflicts among them. */
  readonly conflicts: number;
}

export const INITIAL_BACKOFF: BackoffState = { failures: 0, conflicts: 0 };

/** After a session ends: one that stayed online long enough forgets earlier failures. */
export function afterSession(
  state: BackoffState,
  onlineMs: number | null,
  p: BackoffPolicy,
): BackoffState {
  return onlineMs !== null && onlineMs >= p.stableAfterMs ? INITIAL_BACKOFF : state;
}

/** The delay before the next attempt, and the history that includes this failure. */
export function nextRetry(
  state: BackoffState,
  kind: FailureKind,
  p: BackoffPolicy,
  random: Random,
): { delayMs: number; state: BackoffState } {
  const failures = state.failures + 1;
  if (kind === "transient") {
    return { delayMs: fullJitter(state.failures, p, random), state: { ...state, failures } };
  }
  if (kind === "config") {
    // Retrying cannot help until an operator fixes it; retry rarely, still jittered.
    const delayMs = Math.floor(p.maxMs * (0.5 + uniform(random) / 2));
    return { delayMs, state: { ...state, failures } };
  }
  // conflict: floor + full jitter over a span that grows with each consecutive conflict.
  const floor = Math.min(p.conflictFloorMs, p.maxMs);
  const span = expCap(state.conflicts, floor, p.factor, p.maxMs - floor);
  const delayMs = floor + Math.floor(uniform(random) * span);
  return { delayMs, state: { failures, conflicts: state.conflicts + 1 } };
}
