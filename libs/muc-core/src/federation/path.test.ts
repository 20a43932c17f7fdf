// XEP-0289 path health (this service's design, libs/fmuc-core/README.md "Link health"): one check
// per peer service; when it goes unanswered every link to the service goes down at once, when the
// service answers again they all rejoin; the checks back off while it is down. The joined side
// watches too, while a link the path took down waits: the path's return brings it back up without
// the peer's rejoin.
import { describe, expect, it } from "vitest";
import { NS, parse } from "@fedmuc/xmpp";
import { ALICE, HAMLET, HATTER, HUB, SPOKE, bodies, join, say, world } from "../testing/network.js";
import { DEFAULT_GRACE_MS } from "./health.js";
import { heardFrom, pathDue, watchedByPath, type PathState } from "./path.js";

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

  it("a path found down leaves alone a link this room did not join (its own bounces take it down)", () => {
    const { spoke, hub, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    hub.pathChange(SPOKE, "down");
    expect(hub.room.links[SPOKE]!.state).toBe("up");
    expect([...hub.watched]).toEqual([]);
  });
});

describe("XEP-0289 path health: a link's bounce about the path puts the path in doubt", () => {
  it("the check after a bounce counts as unanswered until the service answers again", () => {
    const up: PathState = {
      state: "up",
      failures: 0,
      pingSent: at(0).toISOString(),
      pongAt: at(100).toISOString(),
      bouncedAt: at(30_000).toISOString(),
    };
    const doubted = pathDue(up, at(30_001), MINUTE, 10 * MINUTE);
    expect([doubted.next.state, doubted.afterMs, doubted.changed]).toEqual([
      "down",
      MINUTE,
      "down",
    ]);
    // The store clears the bounce with the service's next answer.
    const { bouncedAt: _answered, ...after } = answeredAt(doubted.next, at(30_200));
    const back = pathDue(after, at(30_200), MINUTE, 10 * MINUTE);
    expect([back.next.state, back.next.failures, back.changed]).toEqual(["up", 0, "up"]);
  });
});

const bounce = (condition: string) =>
  `<message from="${SPOKE}" to="${HUB}" type="error"><error type="wait"><${condition} xmlns="${NS.stanzas}"/></error></message>`;

/** The spoke's room joined the hub's; then the path is cut: what the hub sends is lost, and its
 * bounce comes back. The spoke noticed nothing (its check did not fall in the cut). */
function cutWhileHatterSpeaks() {
  const w = world();
  w.spoke.step(join(HAMLET, SPOKE, "Hamlet"));
  w.hub.step(join(HATTER, HUB, "Hatter"));
  w.flush();
  w.hub.step(say(HATTER, HUB, "during the cut"));
  w.hub.lose();
  w.hub.step(bounce("remote-server-not-found"));
  return w;
}

describe("XEP-0289 path health: the joined side's links come back with the path", () => {
  it("a link whose stanzas bounced about the path is down, has its path checked, and is watched while down", () => {
    const { hub, spoke } = cutWhileHatterSpeaks();
    const link = hub.room.links[SPOKE]!;
    expect([link.state, link.pathDown]).toEqual(["down", true]);
    expect([...hub.failedPaths]).toEqual([SPOKE]);
    expect(watchedByPath(link)).toBe(true);
    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
  });

  it("in a session, the path's return brings the link up without a rejoin, and what bounced reaches the spoke once", () => {
    const { hub, spoke, flush } = cutWhileHatterSpeaks();
    const joins = spoke.room.links[HUB]!.joins;
    hub.pathChange(SPOKE, "up");
    expect(hub.room.links[SPOKE]).toMatchObject({ state: "up", resumed: { count: 1, rx: 0 } });
    expect(watchedByPath(hub.room.links[SPOKE])).toBe(false);
    expect(hub.logs.join("\n")).toContain("its link is up without a rejoin");
    flush();
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual(["during the cut"]);
    expect(spoke.room.links[HUB]).toMatchObject({ state: "up", joins });
    // Its grace period, when due, finds the link up: nobody leaves.
    hub.later(DEFAULT_GRACE_MS);
    hub.fireTimers("grace");
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    hub.pathChange(SPOKE, "up"); // up already: nothing
    expect(hub.room.links[SPOKE]!.resumed).toEqual({ count: 1, rx: 0 });
  });

  it("a peer without a session gets what waited on the path's return, unnumbered", () => {
    const { hub } = world();
    const fmuc = `<fmuc xmlns="${NS.fmuc}" from="${HAMLET}"/>`;
    hub.step(
      `<presence from="${SPOKE}/Hamlet" to="${HUB}/Hamlet">${fmuc}<x xmlns="${NS.muc}"/></presence>`,
    );
    hub.outbox.splice(0);
    hub.step(bounce("remote-server-timeout"));
    hub.step(say(ALICE, HUB, "while down"));
    hub.pathChange(SPOKE, "up");
    expect(hub.room.links[SPOKE]!.state).toBe("up");
    expect(hub.room.links[SPOKE]!.resumed).toBeUndefined();
    expect(bodies(hub.outbox.filter((el) => el.attrs.to === SPOKE))).toEqual(["while down"]);
  });

  it("a link down for the peer's own reason waits for the peer's rejoin, whatever the path does", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    flush();
    hub.step(bounce("service-unavailable"));
    const link = hub.room.links[SPOKE]!;
    expect([link.state, link.pathDown, watchedByPath(link)]).toEqual(["down", undefined, false]);
    expect([...hub.failedPaths]).toEqual([]);
    hub.pathChange(SPOKE, "up");
    expect(hub.room.links[SPOKE]!.state).toBe("down");
  });

  it("once the grace period let the spoke's occupants go, the link waits for the spoke's rejoin", () => {
    const { hub } = cutWhileHatterSpeaks();
    hub.later(DEFAULT_GRACE_MS);
    hub.fireTimers("grace");
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hatter"]);
    expect(watchedByPath(hub.room.links[SPOKE])).toBe(false);
    hub.pathChange(SPOKE, "up");
    expect(hub.room.links[SPOKE]!.state).toBe("down");
  });

  it("a link whose backlog lost traffic waits for the spoke's rejoin (its fresh start reports the loss)", () => {
    const { hub } = cutWhileHatterSpeaks();
    hub.room = { ...hub.room, lost: { [SPOKE]: { stanzas: 3, messages: 2, since: 0 } } };
    hub.pathChange(SPOKE, "up");
    expect(hub.room.links[SPOKE]!.state).toBe("down");
  });
  it("takes traffic from a peer service or its rooms as the path carrying, but not a bounce about the path", () => {
    const stanza = (attrs: string, error = "") =>
      parse(
        `<message ${attrs}>${error && `<error type="wait"><${error} xmlns="${NS.stanzas}"/></error>`}</message>`,
      );
    expect(heardFrom(stanza(`from="a@rooms.hub.example/Alice"`))).toBe("rooms.hub.example");
    expect(heardFrom(stanza(`from="rooms.hub.example"`))).toBe("rooms.hub.example");
    // The room is gone, but its service answered: the path carries.
    expect(heardFrom(stanza(`type="error" from="a@rooms.hub.example"`, "item-not-found"))).toBe(
      "rooms.hub.example",
    );
    expect(
      heardFrom(stanza(`type="error" from="a@rooms.hub.example"`, "remote-server-timeout")),
    ).toBeUndefined();
    expect(heardFrom(stanza(""))).toBeUndefined();
  });
});
