import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { BackoffPolicy } from "./backoff.js";
import { ConflictError, NotAuthorizedError } from "./errors.js";
import { Supervisor, type RetryInfo, type SessionEnd } from "./supervisor.js";

const policy: BackoffPolicy = {
  initialMs: 100,
  factor: 2,
  maxMs: 1_000,
  conflictFloorMs: 300,
  stableAfterMs: 5_000,
};

/** A supervisor over scripted sessions that end at once; records when each one started. */
function scripted(ends: SessionEnd[], random = () => 0.5) {
  const started: number[] = [];
  const retries: RetryInfo[] = [];
  const supervisor = new Supervisor({
    policy,
    random,
    session: async () => {
      started.push(Date.now());
      // Past the script: a session that never ends on its own.
      return ends.shift() ?? new Promise<SessionEnd>(() => {});
    },
    onRetry: (info) => retries.push(info),
  });
  return { supervisor, started, retries };
}

beforeEach(() => vi.useFakeTimers({ now: 0 }));
afterEach(() => vi.useRealTimers());

describe("Supervisor", () => {
  it("retries after each failure with growing delays", async () => {
    const fail = { onlineMs: null, error: new Error("ECONNREFUSED") };
    const s = scripted([fail, fail, fail, fail]);
    s.supervisor.start();
    await vi.runAllTimersAsync();
    expect(s.retries.map((r) => r.delayMs)).toEqual([50, 100, 200, 400]);
    expect(s.retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    expect(s.started).toEqual([0, 50, 150, 350, 750]);
  });

  it("a stable session resets the delays; short ones do not", async () => {
    const fail = { onlineMs: null };
    const s = scripted([fail, fail, { onlineMs: 6_000 }, fail, { onlineMs: 10 }]);
    s.supervisor.start();
    await vi.runAllTimersAsync();
    expect(s.retries.map((r) => r.delayMs)).toEqual([50, 100, 50, 100, 200]);
  });

  it("classifies conflicts and configuration errors", async () => {
    const s = scripted([
      { onlineMs: null, error: new ConflictError("d") },
      { onlineMs: null, error: new ConflictError("d") },
      { onlineMs: null, error: new NotAuthorizedError("d") },
    ]);
    s.supervisor.start();
    await vi.runAllTimersAsync();
    expect(s.retries.map((r) => [r.kind, r.delayMs])).toEqual([
      ["conflict", 450],
      ["conflict", 600],
      ["config", 750],
    ]);
  });

  it("stop() cancels a pending wait and starts nothing more", async () => {
    const s = scripted([{ onlineMs: null }, { onlineMs: null }], () => 0.99);
    s.supervisor.start();
    await vi.advanceTimersByTimeAsync(10); // first session over, waiting 99 ms
    expect(s.started).toHaveLength(1);
    await s.supervisor.stop();
    await vi.runAllTimersAsync();
    expect(s.started).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop() waits for the running session to end", async () => {
    let end!: (e: SessionEnd) => void;
    const supervisor = new Supervisor({
      policy,
      random: () => 0,
      session: () => new Promise((resolve) => (end = resolve)),
      onRetry: () => {},
    });
    supervisor.start();
    let stopped = false;
    const stopping = supervisor.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(false);
    end({ onlineMs: 1 });
    await stopping;
  });
});
