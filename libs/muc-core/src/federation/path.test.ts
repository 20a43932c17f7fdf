// XEP-0289 path health (this service's design, libs/fmuc-core/README.md "Link health"): one check
// per peer service; when it goes unanswered every link to the service goes down at once, when the
// service answers again they all rejoin; the checks back off while it is down.
import { describe, expect, it } from "vitest";
import { HAMLET, HATTER, HUB, SPOKE, join, world } from "../testing/network.js";
import { pathDue, type PathState } from "./path.js";

const MINUTE = 60_000;
const at = (ms: number) => new Date(Date.parse("2026-01-01T00:00:00Z") + ms);
/** The service answered a check at `when` (the store notes only the time). */
const answeredAt = (path: PathState, when: Date): PathState => ({
  ...path,
  pongAt: when.toISOString(),
});

describe("XEP-0289 path health: the check of a peer service", () => {
  it("checks every interval while answered; one unanswered check takes the path down", () => {
    const first = pathDue(undefined, at(0), MINUTE, 10 * MINUTE);
    expect(first).toEqual({
      next: { state: "up", failures: 0, pingSent: at(0).toISOString() },
      afterMs: MINUTE,
    });
    const answered = answeredAt(first.next, at(100));
    const second = pathDue(answered, at(MINUTE), MINUTE, 10 * MINUTE);
    expect([second.next.state, second.afterMs, second.changed]).toEqual(["up", MINUTE, undefined]);
    const third = pathDue(second.next, at(2 * MINUTE), MINUTE, 10 * MINUTE); // no answer came
    expect([third.next.state, third.afterMs, third.changed]).toEqual(["down", MINUTE, "down"]);
  });

  it("backs off while the service does not answer, up to the maximum, and comes back at its answer", () => {
    let path: PathState = { state: "down", failures: 1, pingSent: at(0).toISOString() };
    const pauses: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const step = pathDue(path, at(i * MINUTE), MINUTE, 10 * MINUTE);
      expect(step.changed).toBeUndefined();
      pauses.push(step.afterMs);
      path = step.next;
    }
    expect(pauses).toEqual([2, 4, 8, 10, 10, 10].map((m) => m * MINUTE));
    const back = pathDue(answeredAt(path, at(7 * MINUTE)), at(7 * MINUTE), MINUTE, 10 * MINUTE);
    expect([back.next.state, back.next.failures, back.afterMs, back.changed]).toEqual([
      "up",
      0,
      MINUTE,
      "up",
    ]);
  });
});

describe("XEP-0289 path health: the links of a service go down and come back together", () => {
  it("a path that goes down takes the link down (its occupants stay for the grace period); its return rejoins", () => {
    const { spoke, hub, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    hub.step(join(HATTER, HUB, "Hatter"));
    flush();
    spoke.pathChange(HUB, "down");
    expect(spoke.room.links[HUB]!.state).toBe("down");
    expect(spoke.logs.join("\n")).toContain("its service does not answer");
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    spoke.pathChange(HUB, "down"); // down already: nothing more
    expect(spoke.pending("grace")).toHaveLength(1);
    spoke.pathChange(HUB, "up");
    expect(spoke.room.links[HUB]!.state).toBe("resyncing");
    flush();
    expect(spoke.room.links[HUB]!.state).toBe("up");
    spoke.pathChange(HUB, "up"); // up already: nothing
    expect(spoke.room.links[HUB]!.state).toBe("up");
  });

  it("leaves alone a link this room did not join (the joined node watches nothing)", () => {
    const { spoke, hub, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    hub.pathChange(SPOKE, "down");
    expect(hub.room.links[SPOKE]!.state).toBe("up");
    expect([...hub.watched]).toEqual([]);
  });
});
