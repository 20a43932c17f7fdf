import { describe, expect, it, vi } from "vitest";
import { KeyedSerialQueue } from "./keyed-queue.js";

/** A promise with its resolve, to hold tasks open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("KeyedSerialQueue", () => {
  it("runs one key's tasks one at a time in push order", async () => {
    const q = new KeyedSerialQueue(() => {});
    const log: string[] = [];
    const gates = [gate(), gate(), gate()];
    const done = gates.map((g, i) =>
      q.push("room", async () => {
        log.push(`start ${i}`);
        await g.promise;
        log.push(`end ${i}`);
      }),
    );
    await Promise.resolve();
    expect(log).toEqual(["start 0"]);
    gates[2]!.open(); // a later task finishing its wait early changes nothing
    gates[1]!.open();
    await Promise.resolve();
    expect(log).toEqual(["start 0"]);
    gates[0]!.open();
    await Promise.all(done);
    expect(log).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]);
    expect(q.activeKeys).toBe(0);
  });

  it("runs different keys concurrently", async () => {
    const q = new KeyedSerialQueue(() => {});
    const g = gate();
    const started: string[] = [];
    const done = ["a", "b", "c"].map((k) =>
      q.push(k, async () => {
        started.push(k);
        await g.promise;
      }),
    );
    expect(started).toEqual(["a", "b", "c"]);
    expect(q.activeKeys).toBe(3);
    g.open();
    await Promise.all(done);
    expect(q.activeKeys).toBe(0);
  });

  it("reports a failing task (async or sync) and goes on with the next", async () => {
    const onError = vi.fn();
    const q = new KeyedSerialQueue(onError);
    const ran: number[] = [];
    await Promise.all([
      q.push("r", async () => {
        throw new Error("async");
      }),
      q.push("r", () => {
        throw new Error("sync");
      }),
      q.push("r", async () => {
        ran.push(3);
      }),
    ]);
    expect(ran).toEqual([3]);
    expect(onError.mock.calls.map(([err, key]) => [(err as Error).message, key])).toEqual([
      ["async", "r"],
      ["sync", "r"],
    ]);
  });

  it("keeps strict order per key under many interleaved keys", async () => {
    const q = new KeyedSerialQueue(() => {});
    const seen = new Map<string, number[]>();
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      const key = `k${i % 7}`;
      jobs.push(
        q.push(key, async () => {
          // Uneven waits: without the queue, later tasks would overtake earlier ones.
          for (let t = (i * 7919) % 5; t > 0; t--) await Promise.resolve();
          seen.set(key, [...(seen.get(key) ?? []), i]);
        }),
      );
    }
    await Promise.all(jobs);
    for (const [, order] of seen) expect(order).toEqual([...order].sort((a, b) => a - b));
    expect([...seen.values()].flat()).toHaveLength(300);
  });
});
