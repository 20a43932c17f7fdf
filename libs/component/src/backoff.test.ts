import { describe, expect, it } from "vitest";
import {
  afterSession,
  DEFAULT_BACKOFF,
  expCap,
  fullJitter,
  INITIAL_BACKOFF,
  nextRetry,
  type BackoffPolicy,
  type BackoffState,
  type FailureKind,
} from "./backoff.js";

const policy: BackoffPolicy = {
  initialMs: 100,
  factor: 2,
  maxMs: 1_000,
  conflictFloorMs: 300,
  stableAfterMs: 5_000,
};
const fixed = (r: number) => () => r;

/** Delays of n consecutive failures of one kind. */
function delays(kind: FailureKind, n: number, random: () => number, p = policy): number[] {
  let state: BackoffState = INITIAL_BACKOFF;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const next = nextRetry(state, kind, p, random);
    out.push(next.delayMs);
    state = next.state;
  }
  return out;
}

describe("expCap", () => {
  it("grows by the factor up to the maximum, without overflow", () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => expCap(n, 100, 2, 1_000))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
    expect(expCap(10_000, 100, 2, 1_000)).toBe(1_000);
    expect(expCap(10_000, 0, 2, 1_000)).toBe(0);
  });
});

describe("fullJitter", () => {
  it("spans [0, cap) as the random source spans [0, 1)", () => {
    expect(fullJitter(3, policy, fixed(0))).toBe(0);
    expect(fullJitter(3, policy, fixed(0.5))).toBe(400);
    expect(fullJitter(3, policy, fixed(0.999999))).toBe(799);
    expect(fullJitter(3, policy, fixed(1))).toBeLessThan(800); // clamped: never the cap itself
  });
});

describe("nextRetry", () => {
  it("transient failures: exponential caps with full jitter, capped at maxMs", () => {
    expect(delays("transient", 6, fixed(0.5))).toEqual([50, 100, 200, 400, 500, 500]);
    const seq = [0.9, 0.1, 0.7];
    let i = 0;
    expect(delays("transient", 3, () => seq[i++]!)).toEqual([90, 20, 280]);
  });

  it("conflicts: never below the floor, the span grows per consecutive conflict", () => {
    expect(delays("conflict", 5, fixed(0))).toEqual([300, 300, 300, 300, 300]);
    // floor + 0.5 * min(max - floor, floor * 2^n)
    expect(delays("conflict", 5, fixed(0.5))).toEqual([450, 600, 650, 650, 650]);
    expect(Math.max(...delays("conflict", 20, fixed(0.999)))).toBeLessThan(policy.maxMs);
  });

  it("conflicts with the defaults: at least 5 s apart, up to 30 s", () => {
    const d = delays("conflict", 10, fixed(0.999), DEFAULT_BACKOFF);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(5_000);
    expect(d[0]).toBeLessThan(10_000);
    expect(d[9]).toBeGreaterThan(29_000);
  });

  it("configuration errors retry at the longest backoff, jittered in [max/2, max)", () => {
    expect(delays("config", 3, fixed(0))).toEqual([500, 500, 500]);
    expect(delays("config", 1, fixed(0.999))[0]).toBeLessThan(1_000);
    expect(delays("config", 1, fixed(0.999))[0]).toBeGreaterThanOrEqual(999);
  });

  it("counts failures and consecutive conflicts", () => {
    const a = nextRetry(INITIAL_BACKOFF, "conflict", policy, fixed(0)).state;
    const b = nextRetry(a, "transient", policy, fixed(0)).state;
    expect(b).toEqual({ failures: 2, conflicts: 1 });
  });
});

describe("afterSession", () => {
  const state: BackoffState = { failures: 4, conflicts: 2 };

  it("a session online for stableAfterMs resets the history", () => {
    expect(afterSession(state, 5_000, policy)).toBe(INITIAL_BACKOFF);
  });

  it("short sessions and failed attempts keep it, so a kick loop keeps backing off", () => {
    expect(afterSession(state, 4_999, policy)).toBe(state);
    expect(afterSession(state, null, policy)).toBe(state);
  });
});
