import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { shutDownWithin, type ShutdownStep } from "./shutdown.js";

const step = (name: string, run: ShutdownStep["run"]): ShutdownStep => ({ name, run });
const never = () => new Promise<void>(() => {});

describe("shutDownWithin", () => {
  it("runs every step in order and reports nothing when all finish", async () => {
    const ran: string[] = [];
    const report = await shutDownWithin(
      ["a", "b", "c"].map((n) => step(n, async () => void ran.push(n))),
      1_000,
    );
    expect(ran).toEqual(["a", "b", "c"]);
    expect(report.unfinished).toEqual([]);
  });

  it("names a step that fails with its error and goes on with the next", async () => {
    const ran: string[] = [];
    const report = await shutDownWithin(
      [
        step("close the stream", () => Promise.reject(new Error("3 stanzas in flight"))),
        step("close redis", async () => void ran.push("redis")),
      ],
      1_000,
    );
    expect(report.unfinished).toEqual([{ step: "close the stream", why: "3 stanzas in flight" }]);
    expect(ran).toEqual(["redis"]);
  });

  it("ends at the deadline with a step that never settles, and does not start the rest", async () => {
    const started: string[] = [];
    const report = await shutDownWithin(
      [
        step("stop the link jobs", () => (started.push("links"), never())),
        step("close redis", async () => void started.push("redis")),
      ],
      50,
    );
    expect(started).toEqual(["links"]);
    expect(report.unfinished.map((u) => u.step)).toEqual(["stop the link jobs", "close redis"]);
    expect(report.unfinished[0]!.why).toBe("still running after 50 ms");
    expect(report.unfinished[1]!.why).toMatch(/not started/);
    expect(report.elapsedMs).toBeLessThan(1_000);
  });

  it("gives each step the time that is left", async () => {
    const given: number[] = [];
    await shutDownWithin(
      [
        step("first", async (ms) => (given.push(ms), delay(30))),
        step("second", async (ms) => void given.push(ms)),
      ],
      1_000,
    );
    expect(given[0]).toBeGreaterThan(990);
    expect(given[1]).toBeLessThanOrEqual(975);
  });
});
