// XEP-0289 5.1 join retries and the rejoin after a failed link (this service's design, see
// libs/fmuc-core/README.md): in memory, with lost traffic and timers fired by the test.
import { describe, expect, it } from "vitest";
import { NS, parse, xml } from "@fedmuc/xmpp";
import {
  ALICE,
  HAMLET,
  HATTER,
  HUB,
  SPOKE,
  bodies,
  chain,
  join,
  presencesFrom,
  say,
  world,
} from "../testing/network.js";

const OPHELIA = "ophelia@denmark.lit/castle";
const HORATIO = "horatio@denmark.lit/ramparts";

const bounce = (condition: string, name = "message") =>
  `<${name} from="${HUB}" to="${SPOKE}" type="error"><error type="wait"><${condition} xmlns="${NS.stanzas}"/></error></${name}>`;
const leave = (jid: string, room: string, nick: string) =>
  `<presence from="${jid}" to="${room}/${nick}" type="unavailable"/>`;
const unavailableFrom = (els: { attrs: Record<string, string> }[], from: string) =>
  els.filter((el) => el.attrs.type === "unavailable" && el.attrs.from === from);

describe("XEP-0289 5.1 a join is sent again until it completes", () => {
  it("a lost join is sent again on its timer, and completes once", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    expect(spoke.pending()).toEqual([{ peer: HUB, joins: 1 }]);
    spoke.lose(); // lost on the way
    spoke.fireTimers();
    expect(spoke.room.links[HUB]).toMatchObject({ state: "joining", joins: 2 });
    const [again] = spoke.outbox;
    expect(again!.attrs.to).toBe(`${HUB}/Hamlet`);
    expect(again!.getChild("x", NS.muc)?.getChild("history")).toBeDefined();
    flush();
    expect(spoke.room.links[HUB]).toMatchObject({ state: "up", joins: 2 });
    const aboutHamlet = presencesFrom(hub.receivedBy(ALICE)).filter((f) => f === `${HUB}/Hamlet`);
    expect(aboutHamlet).toHaveLength(1);
    // The timer of the second join finds the link up: nothing more is sent.
    spoke.fireTimers();
    expect(spoke.outbox).toHaveLength(0);
  });

  it("a link the joined room refuses (no such room there) is not tried again", () => {
    const { spoke } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    spoke.lose();
    spoke.step(
      bounce("item-not-found", "presence").replace(`to="${SPOKE}"`, `to="${SPOKE}/Hamlet"`),
    );
    expect(spoke.room.links[HUB]).toBeUndefined();
    expect(spoke.logs.join("\n")).toContain("refused the link (item-not-found)");
    spoke.fireTimers();
    expect(spoke.outbox).toHaveLength(0);
    // Local chat goes on.
    spoke.step(say(HAMLET, SPOKE, "alone"));
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual(["alone"]);
  });

  it("a room whose last local occupant left stops trying", () => {
    const { spoke } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    spoke.lose();
    spoke.step(leave(HAMLET, SPOKE, "Hamlet"));
    spoke.lose();
    spoke.fireTimers();
    expect(spoke.outbox).toHaveLength(0);
    expect(spoke.room.links[HUB]).toBeUndefined();
  });
});

describe("XEP-0289 5.1 a join sent again while its answer is on its way", () => {
  it("keeps the hub's occupants its first answer announced (the end of that answer is not taken for a resync's)", () => {
    const { spoke, hub, flush } = world();
    hub.step(join(HATTER, HUB, "Hatter"));
    spoke.step(join(HAMLET, SPOKE, "Hamlet")); // the join
    hub.step(spoke.crossing(spoke.outbox.shift()!)); // reaches the hub, which answers
    const answer = hub.outbox.splice(0);
    const subjectAt = answer.findIndex((e) => e.getChild("subject"));
    // The answer's presences arrive; the join's timer fires before its subject ends it.
    for (const e of answer.slice(0, subjectAt)) spoke.step(hub.crossing(e));
    spoke.fireTimers("join");
    for (const e of answer.slice(subjectAt)) spoke.step(hub.crossing(e));
    flush();
    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    expect(
      spoke.receivedBy(HAMLET).filter((p) => p.is("presence") && p.attrs.type === "unavailable"),
    ).toEqual([]);
  });
});

describe("XEP-0289 a failed link and its resync", () => {
  function joined() {
    const w = world();
    w.spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    w.spoke.step(join(HORATIO, SPOKE, "Horatio"));
    w.hub.step(join(HATTER, HUB, "Hatter"));
    w.hub.step(say(ALICE, HUB, "before"));
    w.flush();
    w.spoke.timers = [];
    return w;
  }

  it("a bounce marks the link down and removes nobody", () => {
    const { spoke } = joined();
    const before = spoke.clients.length;
    spoke.step(bounce("remote-server-not-found"));
    expect(spoke.room.links[HUB]).toMatchObject({ state: "down" });
    expect(Object.keys(spoke.room.occupants).sort()).toEqual([
      "Alice",
      "Hamlet",
      "Hatter",
      "Horatio",
    ]);
    expect(spoke.clients).toHaveLength(before);
    expect(spoke.pending()).toEqual([{ peer: HUB, joins: 1 }]);
    expect(spoke.logs.join("\n")).toContain("down (remote-server-not-found)");
  });

  it("history from a peer that answers `since` by time alone does not repeat the message heard last", () => {
    const { hub, spoke, flush } = joined();
    hub.step(say(ALICE, HUB, "heard last"));
    const [relayed] = hub.outbox;
    flush();
    const heardId = spoke.room.links[HUB]!.heardId;
    expect(heardId).toBeDefined();
    // The same message again, as the history of a rejoin that asked `since` its time.
    const again = parse(relayed!.toString());
    again.append(xml("delay", { xmlns: NS.delay, stamp: "2026-01-01T12:00:00Z" }));
    const before = spoke.receivedBy(HAMLET).length;
    spoke.step(again);
    expect(spoke.receivedBy(HAMLET)).toHaveLength(before);
  });

  it("the rejoin asks only for missed history and reconciles who left and joined meanwhile", () => {
    const { hub, spoke, flush } = joined();
    spoke.step(bounce("remote-server-timeout"));
    // The outage: what each side sends the other is lost.
    spoke.step(leave(HORATIO, SPOKE, "Horatio"));
    spoke.step(join(OPHELIA, SPOKE, "Ophelia"));
    hub.step(leave(HATTER, HUB, "Hatter"));
    hub.later(60_000);
    hub.step(say(ALICE, HUB, "missed"));
    spoke.lose();
    hub.lose();
    const heardBefore = bodies(spoke.receivedBy(HAMLET));

    spoke.fireTimers();
    expect(spoke.room.links[HUB]).toMatchObject({ state: "resyncing", joins: 2 });
    const [rejoin, ...others] = spoke.outbox;
    const history = rejoin!.getChild("x", NS.muc)?.getChild("history");
    expect(history?.attrs.since).toBe(spoke.room.links[HUB]!.heard);
    expect(
      rejoin!
        .getChild("occupants", NS.fedmuc)
        ?.getChildren("occupant")
        .map((o) => o.attrs.jid)
        .sort(),
    ).toEqual([HAMLET, OPHELIA]);
    // The session was up: the hub has the spoke's occupants; the rejoin carries one presence,
    // and the hub asks for those it lacks.
    expect(others).toEqual([]);
    flush();

    expect(spoke.room.links[HUB]).toMatchObject({ state: "up" });
    // At the spoke: Hatter, gone from the hub, leaves; the missed message arrives once.
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Ophelia"]);
    expect(unavailableFrom(spoke.receivedBy(HAMLET), `${SPOKE}/Hatter`)).toHaveLength(1);
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual([...heardBefore, "missed"]);
    expect(bodies(spoke.receivedBy(OPHELIA)).filter((b) => b === "before")).toHaveLength(0);
    // At the hub: Horatio, gone from the spoke, leaves; Ophelia arrives.
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Ophelia"]);
    expect(unavailableFrom(hub.receivedBy(ALICE), `${HUB}/Horatio`)).toHaveLength(1);
    expect(presencesFrom(hub.receivedBy(ALICE))).toContain(`${HUB}/Ophelia`);
    // Nobody at the hub saw Hamlet leave or arrive again.
    expect(presencesFrom(hub.receivedBy(ALICE)).filter((f) => f === `${HUB}/Hamlet`)).toHaveLength(
      1,
    );
  });
});

describe("XEP-0289 a failed link in a chain (C joins B joins A)", () => {
  it("B's rejoin of A represents C's occupants too: A keeps them, and nobody sees them leave", () => {
    const { top, mid, low, flush, ADMIRAL, COX } = chain();
    mid.timers = [];
    mid.step(
      bounce("remote-server-timeout").replaceAll(HUB, top.room.jid).replaceAll(SPOKE, mid.room.jid),
    );
    mid.fireTimers();
    const listed = mid.outbox[0]!.getChild("occupants", NS.fedmuc)!.getChildren("occupant");
    expect(listed.map((o) => o.attrs.jid).sort()).toEqual(["captain@ship.example/helm", COX]);
    flush();
    expect(mid.room.links[top.room.jid]).toMatchObject({ state: "up" });
    expect(Object.keys(top.room.occupants).sort()).toEqual(["Admiral", "Captain", "Cox"]);
    expect(unavailableFrom(top.receivedBy(ADMIRAL), `${top.room.jid}/Cox`)).toEqual([]);
    expect(Object.keys(low.room.occupants).sort()).toEqual(["Admiral", "Captain", "Cox"]);
  });
});

describe("XEP-0289 a local occupant who leaves while the join is on its way", () => {
  it("is not shown back as a remote occupant when the joined room's state arrives", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HORATIO, SPOKE, "Horatio")); // Horatio's presence is the join
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    const [joinPresence] = spoke.outbox.splice(0, 1);
    hub.step(joinPresence!); // the hub answers with its state, Horatio's own presence included
    spoke.step(leave(HORATIO, SPOKE, "Horatio")); // ...which crosses Horatio's leaving
    flush();
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet"]);
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet"]);
  });
});
