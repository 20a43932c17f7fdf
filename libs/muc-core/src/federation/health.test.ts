// XEP-0289 link health (this service's design, libs/fmuc-core/README.md): checks of the peer,
// the grace period of a down link's occupants, and bounces seen by the joined node.
import { describe, expect, it } from "vitest";
import { NS, type Element } from "@fedmuc/xmpp";
import {
  ALICE,
  HAMLET,
  HATTER,
  HUB,
  SPOKE,
  join,
  presencesFrom,
  world,
} from "../testing/network.js";
import { DEFAULT_GRACE_MS } from "./health.js";

const bounce = (from: string, to: string) =>
  `<message from="${from}" to="${to}" type="error"><error type="wait"><remote-server-not-found xmlns="${NS.stanzas}"/></error></message>`;
const leftWith = (els: Element[], from: string) =>
  els
    .filter((el) => el.attrs.from === from && el.attrs.type === "unavailable")
    .map((el) => el.getChildText("status"));

function joined() {
  const w = world();
  w.spoke.step(join(HAMLET, SPOKE, "Hamlet"));
  w.hub.step(join(HATTER, HUB, "Hatter"));
  w.flush();
  return w;
}

describe("XEP-0289 link health: the joining node has the path to the joined room watched", () => {
  it("once the link is up, asks for the path to the hub's service to be watched, and checks nothing of its own", () => {
    const { spoke } = joined();
    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect([...spoke.watched]).toEqual([HUB]);
    expect(spoke.pending("ping")).toEqual([]);
    // A check an earlier version set for the link itself sends nothing now: it asks for the
    // path's watch (a link up before an upgrade is watched so).
    spoke.watched.clear();
    spoke.timers.push({ peer: HUB, purpose: "ping", joins: 1 });
    spoke.fireTimers("ping");
    expect(spoke.outbox).toEqual([]);
    expect([...spoke.watched]).toEqual([HUB]);
    expect(spoke.room.links[HUB]!.state).toBe("up");
  });
});

describe("XEP-0289 link health: the grace period", () => {
  it("a down link's occupants stay for the grace period, then leave saying why, and come back on resync", () => {
    const { spoke, flush } = joined();
    spoke.step(bounce(HUB, SPOKE));
    spoke.step(bounce(HUB, SPOKE)); // down already: one grace period
    expect(spoke.pending("grace")).toHaveLength(1);
    spoke.later(DEFAULT_GRACE_MS - 1);
    spoke.fireTimers("grace"); // early: nobody leaves yet, and the timer is set again
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    expect(spoke.pending("grace")).toHaveLength(1);
    spoke.later(1);
    spoke.fireTimers("grace");
    expect(Object.keys(spoke.room.occupants)).toEqual(["Hamlet"]);
    const why = `The link to ${HUB} is down`;
    expect(leftWith(spoke.receivedBy(HAMLET), `${SPOKE}/Alice`)).toEqual([why]);
    expect(leftWith(spoke.receivedBy(HAMLET), `${SPOKE}/Hatter`)).toEqual([why]);

    spoke.lose();
    spoke.fireTimers("join");
    flush();
    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    const aboutAlice = presencesFrom(spoke.receivedBy(HAMLET)).filter(
      (f) => f === `${SPOKE}/Alice`,
    );
    expect(aboutAlice).toHaveLength(3); // joined, left after the grace period, back
  });

  it("the joined node keeps a node's occupants through a bounce, lets them go after the grace period, and takes them back on rejoin", () => {
    const { hub, spoke, flush } = joined();
    hub.step(bounce(SPOKE, HUB));
    expect(hub.room.links[SPOKE]!.state).toBe("down");
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    hub.later(DEFAULT_GRACE_MS);
    hub.fireTimers("grace");
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hatter"]);
    expect(leftWith(hub.receivedBy(ALICE), `${HUB}/Hamlet`)).toEqual([
      `The link to ${SPOKE} is down`,
    ]);
    // The spoke notices too, and joins again: Hamlet is back at the hub, once.
    spoke.step(bounce(HUB, SPOKE));
    hub.lose();
    spoke.fireTimers("join");
    flush();
    expect(hub.room.links[SPOKE]!.state).toBe("up");
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    const aboutHamlet = hub
      .receivedBy(ALICE)
      .filter((el) => el.attrs.from === `${HUB}/Hamlet` && el.attrs.type === undefined);
    expect(aboutHamlet).toHaveLength(2); // joined, and back after the outage
  });
});
