import { describe, expect, it } from "vitest";
import { InflightLimiter } from "./inflight-limiter.js";

function harness(limit: number, lowWater: number) {
  const release = new Map<number, () => void>();
  const events: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const done: number[] = [];
  const limiter = new InflightLimiter<number>({
    limit,
    lowWater,
    run: (n) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise<void>((resolve) =>
        release.set(n, () => {
          running--;
          done.push(n);
          resolve();
        }),
      );
    },
    pause: () => events.push("pause"),
    resume: () => events.push("resume"),
  });
  const finish = async (n: number): Promise<void> => {
    release.get(n)!();
    await new Promise((r) => setImmediate(r));
  };
  return { limiter, events, done, finish, maxRunning: () => maxRunning };
}

describe("InflightLimiter", () => {
  it("never runs more than the limit, holds the rest in order, pauses at the limit", async () => {
    const h = harness(3, 1);
    for (let i = 0; i < 8; i++) h.limiter.push(i);
    expect(h.limiter.running).toBe(3);
    expect(h.limiter.backlog).toBe(5);
    expect(h.limiter.paused).toBe(true);
    expect(h.events).toEqual(["pause"]);
    for (const n of [1, 0, 2, 3, 4, 5, 6, 7]) await h.finish(n);
    expect(h.maxRunning()).toBe(3);
    expect(h.done).toEqual([1, 0, 2, 3, 4, 5, 6, 7]);
    expect(h.limiter.running).toBe(0);
  });

  it("resumes only at the low-water mark (hysteresis)", async () => {
    const h = harness(4, 2);
    for (let i = 0; i < 4; i++) h.limiter.push(i);
    expect(h.events).toEqual(["pause"]);
    await h.finish(0); // 3 in flight: above low water, still paused
    expect(h.events).toEqual(["pause"]);
    await h.finish(1); // 2: resume
    expect(h.events).toEqual(["pause", "resume"]);
    h.limiter.push(4);
    h.limiter.push(5); // back at 4: pause again
    expect(h.events).toEqual(["pause", "resume", "pause"]);
  });

  it("counts the backlog in the load, so items read past the pause keep it paused", async () => {
    const h = harness(2, 1);
    for (let i = 0; i < 5; i++) h.limiter.push(i); // one read chunk holding 5 stanzas
    await h.finish(0); // 1 running + 1 started from backlog + 2 waiting
    await h.finish(1);
    expect(h.limiter.paused).toBe(true);
    expect(h.events).toEqual(["pause"]);
  });

  it("idle() waits for running and waiting items; a throwing run still frees its slot", async () => {
    let calls = 0;
    const limiter = new InflightLimiter<number>({
      limit: 1,
      lowWater: 0,
      run: () => {
        calls++;
        throw new Error("boom");
      },
      pause: () => {},
      resume: () => {},
    });
    limiter.push(1);
    limiter.push(2);
    await limiter.idle();
    expect(calls).toBe(2);
    expect(limiter.running + limiter.backlog).toBe(0);
    await limiter.idle(); // already idle: resolves at once
  });
});
