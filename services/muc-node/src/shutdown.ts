// The drain's bound: SIGTERM runs the shutdown steps one after the other within one deadline,
// whatever is unreachable, and says which of them did not finish (a supervisor's kill after
// terminationGracePeriodSeconds must never be what ends a worker).
import { setTimeout as delay } from "node:timers/promises";

export interface ShutdownStep {
  /** What the step does, as the report names it, e.g. "close the component stream". */
  readonly name: string;
  /** Given the time left before the deadline. */
  readonly run: (remainingMs: number) => Promise<unknown>;
}

export interface ShutdownReport {
  /** Steps that failed or did not finish in time, each with why. */
  readonly unfinished: readonly { readonly step: string; readonly why: string }[];
  readonly elapsedMs: number;
}

/** Runs `steps` in order until `timeoutMs` has passed; a step still running then is left, and
 * the steps after it are not started. */
export async function shutDownWithin(
  steps: readonly ShutdownStep[],
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<ShutdownReport> {
  const start = now();
  const unfinished: { step: string; why: string }[] = [];
  for (const step of steps) {
    const remainingMs = start + timeoutMs - now();
    if (remainingMs <= 0) {
      unfinished.push({ step: step.name, why: "not started: the shutdown timeout had passed" });
      continue;
    }
    const timedOut = Symbol("timeout");
    const timer = new AbortController();
    const outcome = await Promise.race([
      step.run(remainingMs).then(
        () => null,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      ),
      delay(remainingMs, timedOut, { signal: timer.signal }).catch(() => null), // aborted: lost
    ]);
    timer.abort();
    if (outcome === timedOut) {
      unfinished.push({ step: step.name, why: `still running after ${timeoutMs} ms` });
    } else if (outcome !== null) unfinished.push({ step: step.name, why: outcome });
  }
  return { unfinished, elapsedMs: now() - start };
}
