// Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential Backoff and
// Jitter", 2015): uniform in [0, min(max, initial·factor^n)), so that many parties that failed
// together (workers losing one server, links losing one path) do not retry in lock-step.

export interface Exponential {
  /** First cap of the delay. */
  readonly initialMs: number;
  readonly factor: number;
  /** Largest delay. */
  readonly maxMs: number;
}

export type Random = () => number;

/** min(max, base·factor^n), safe for any n. */
export function expCap(n: number, baseMs: number, factor: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * factor ** Math.min(n, 64));
}

/** A random number in [0, 1), even from a source that strays outside. */
export const uniform = (random: Random): number =>
  Math.min(Math.max(random(), 0), 1 - Number.EPSILON);

/** The delay before retry number n (from 0): uniform in [0, expCap(n)). */
export function fullJitter(n: number, p: Exponential, random: Random): number {
  return Math.floor(uniform(random) * expCap(n, p.initialMs, p.factor, p.maxMs));
}
