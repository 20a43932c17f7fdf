// XEP-0289 link sessions between nodes of this service (libs/fmuc-core/README.md, "Link
// sessions"): in memory, with traffic numbered and kept until acknowledged as the link engine
// does, lost on demand, and timers fired by the test.
import { describe, expect, it } from "vitest";
import { NS, clone, parse, type Element } from "@fedmuc/xmpp";
import { readSession } from "@fedmuc/fmuc-core";
import {
  ALICE,
  HAMLET,
  HATTER,
  HUB,
  SPOKE,
  bodies,
  join,
  presencesFrom,
  say,
  world,
} from "../testing/network.js";
import { DEFAULT_GRACE_MS } from "./health.js";
import { ASK_AGAIN_MS } from "./sequence.js";

const OPHELIA = "ophelia@denmark.lit/castle";
const bounce = (from: string, to: string) =>
  `<message from="${from}" to="${to}" type="error"><error type="wait"><remote-server-timeout xmlns="${NS.stanzas}"/></error></message>`;

function joined() {
  const w = world();
  w.spoke.step(join(HAMLET, SPOKE, "Hamlet"));
  w.hub.step(join(HATTER, HUB, "Hatter"));
  w.flush();
  return w;
}

/** An outage: each side's stanzas bounce, and what is on its way is lost. */
function outage(w: ReturnType<typeof world>) {
  w.spoke.step(bounce(HUB, SPOKE));
  w.hub.step(bounce(SPOKE, HUB));
  w.spoke.lose();
  w.hub.lose();
}

describe("XEP-0289 link sessions", () => {
  it("the spoke proposes a session in its join, the hub takes it, and both number their traffic", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    const proposed = spoke.room.links[HUB]!.session;
    expect(readSession(spoke.outbox[0]!)).toEqual({ id: proposed, rx: 0, state: false });
    flush();
    expect(proposed).toBeDefined();
    expect(hub.room.links[SPOKE]!.session).toBe(proposed);
    expect(spoke.room.links[HUB]!.session).toBe(proposed);
    // The hub's state (Alice, Hamlet shown back, the subject) was numbered and applied in order.
    expect(spoke.room.links[HUB]!.rx).toBe(3);
    spoke.step(say(HAMLET, SPOKE, "hello"));
    flush();
    expect(hub.room.links[SPOKE]!.rx).toBe(1);
    expect(bodies(hub.receivedBy(ALICE))).toEqual(["hello"]);
  });

  it("a peer that offers no session gets its traffic as the specification has it, unnumbered", () => {
    const { hub } = world();
    hub.step(
      `<presence from="${SPOKE}/Hamlet" to="${HUB}/Hamlet"><fmuc xmlns="${NS.fmuc}" from="${HAMLET}"/><x xmlns="${NS.muc}"/></presence>`,
    );
    expect(hub.room.links[SPOKE]!.session).toBeUndefined();
    expect(hub.outbox.every((el) => el.getChild("seq", NS.fedmuc) === undefined)).toBe(true);
    // Nothing of this service's namespace either: its occupant shown back (5.1) is plain.
    const shownBack = hub.outbox.filter((el) => el.attrs.from === `${HUB}/Hamlet`);
    expect(shownBack).toHaveLength(1);
    expect(hub.outbox.filter((el) => el.toString().includes(NS.fedmuc))).toEqual([]);
  });

  it("a node of this service is told which occupant shown back is its own", () => {
    const { hub, spoke } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    hub.step(spoke.outbox[0]!.toString());
    const shownBack = hub.outbox.filter((el) => el.attrs.from === `${HUB}/Hamlet`);
    expect(shownBack.map((el) => el.getChild("own", NS.fedmuc) !== undefined)).toEqual([true]);
  });

  it("a peer of another implementation that joins again (the muc element, no list) gets the room's state again; a change of its presence does not", () => {
    const { hub } = world();
    const fmuc = `<fmuc xmlns="${NS.fmuc}" from="${HAMLET}"/>`;
    const plainJoin = `<presence from="${SPOKE}/Hamlet" to="${HUB}/Hamlet">${fmuc}<x xmlns="${NS.muc}"/></presence>`;
    const subjects = () =>
      hub.outbox.filter((el) => el.attrs.to === SPOKE && el.getChild("subject") !== undefined);
    hub.step(plainJoin);
    expect(subjects()).toHaveLength(1);
    hub.step(bounce(SPOKE, HUB)); // an outage at the hub's end
    expect(hub.room.links[SPOKE]!.state).toBe("down");
    hub.step(plainJoin);
    expect(subjects()).toHaveLength(2);
    expect(hub.room.links[SPOKE]!.state).toBe("up");
    hub.step(
      `<presence from="${SPOKE}/Hamlet" to="${HUB}/Hamlet">${fmuc}<show>away</show></presence>`,
    );
    expect(subjects()).toHaveLength(2);
  });

  it("a rejoin within the grace period resumes the session: only what was lost crosses again, once", () => {
    const w = joined();
    const { hub, spoke, flush } = w;
    spoke.step(say(HAMLET, SPOKE, "before the outage"));
    flush();
    hub.step(say(ALICE, HUB, "lost on its way"));
    spoke.step(say(HAMLET, SPOKE, "lost too"));
    outage(w);
    hub.step(say(ALICE, HUB, "during the outage"));
    const hubSaw = hub.receivedBy(ALICE).length;
    const spokeSaw = spoke.receivedBy(HAMLET).length;

    spoke.fireTimers();
    const [offer] = spoke.outbox;
    expect(readSession(offer!)).toMatchObject({ id: hub.room.links[SPOKE]!.session, rx: 4 });
    flush();

    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect(hub.room.links[SPOKE]!.state).toBe("up");
    expect(hub.logs.join("\n")).toContain(`${SPOKE} resumed its session`);
    // Each side gets what it missed once, and nothing else: no occupant shown again.
    const atSpoke = spoke.receivedBy(HAMLET).slice(spokeSaw);
    expect(bodies(atSpoke)).toEqual(["lost on its way", "during the outage"]);
    expect(presencesFrom(atSpoke)).toEqual([]);
    const atHub = hub.receivedBy(ALICE).slice(hubSaw);
    expect(bodies(atHub)).toEqual(["lost too"]);
    expect(presencesFrom(atHub)).toEqual([]);
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
  });

  it("a stanza that arrives again is applied once, and acknowledged again", () => {
    const { hub, spoke, flush } = joined();
    spoke.step(say(HAMLET, SPOKE, "once"));
    const [message] = spoke.outbox;
    const numbered = spoke.crossing(message!);
    spoke.outbox.length = 0;
    hub.step(numbered);
    const rx = hub.room.links[SPOKE]!.rx;
    hub.step(numbered);
    flush();
    expect(hub.room.links[SPOKE]!.rx).toBe(rx);
    expect(bodies(hub.receivedBy(ALICE))).toEqual(["once"]);
  });

  it("after a gap the receiver asks once for what follows its last stanza, and gets it in order", () => {
    const { hub, spoke, flush } = joined();
    for (const text of ["one", "two", "three"]) spoke.step(say(HAMLET, SPOKE, text));
    const [, two, three] = spoke.outbox.splice(0).map((el) => spoke.crossing(el));
    hub.step(two!); // one was lost on the way
    hub.step(three!);
    const asks = hub.outbox.filter((el) => el.getChild("ack", NS.fedmuc)?.attrs.resend);
    expect(asks).toHaveLength(1);
    expect(bodies(hub.receivedBy(ALICE))).toEqual([]);
    flush(); // the ask reaches the spoke, which sends one, two and three again
    expect(bodies(hub.receivedBy(ALICE))).toEqual(["one", "two", "three"]);
  });

  it("a gap still there a while later is asked for again (the ask was lost), not before", () => {
    const { hub, spoke } = joined();
    for (const text of ["one", "two"]) spoke.step(say(HAMLET, SPOKE, text));
    const [, two] = spoke.outbox.splice(0).map((el) => spoke.crossing(el));
    const asks = () => hub.outbox.filter((el) => el.getChild("ack", NS.fedmuc)?.attrs.resend);
    hub.step(two!);
    hub.outbox.length = 0; // the ask is lost
    hub.step(two!); // the sender's probe, soon after: asked already
    expect(asks()).toHaveLength(0);
    hub.later(ASK_AGAIN_MS);
    hub.step(two!); // the next probe: the gap is still there
    expect(asks()).toHaveLength(1);
  });

  it("a new run of copies that comes without what fills the gap is asked for at once, naming the run", () => {
    const { hub, spoke } = joined();
    for (const text of ["one", "two", "three"]) spoke.step(say(HAMLET, SPOKE, text));
    const [, two, three] = spoke.outbox.splice(0).map((el) => spoke.crossing(el));
    const copy = (el: Element, re: number) => {
      const again = clone(el);
      again.getChild("seq", NS.fedmuc)!.attrs.re = String(re);
      return again;
    };
    const asks = () =>
      hub.outbox.flatMap((el) => el.getChild("ack", NS.fedmuc) ?? []).filter((a) => a.attrs.resend);
    hub.step(two!);
    expect(asks().map((a) => a.attrs.run)).toEqual(["0"]); // no run seen yet
    hub.step(three!); // on its way before the ask arrived: asked already
    hub.step(copy(two!, 1)); // run 1 started at one, which was lost again
    hub.step(copy(three!, 1)); // the rest of run 1: asked already
    expect(asks().map((a) => a.attrs.run)).toEqual(["0", "1"]);
    expect(hub.room.links[SPOKE]!.run).toBe(1);
    expect(bodies(hub.receivedBy(ALICE))).toEqual([]);
  });

  it("a numbered stanza the rules refuse still counts: its error goes back, and what follows is applied", () => {
    const { hub, flush } = joined();
    const session = hub.room.links[SPOKE]!.session!;
    const rx = hub.room.links[SPOKE]!.rx!;
    const numbered = (n: number, to: string, type: string) =>
      `<message from="${SPOKE}/Hamlet" to="${to}" type="${type}"><body>x${n}</body><fmuc xmlns="${NS.fmuc}" from="${HAMLET}"/><seq xmlns="${NS.fedmuc}" s="${session}" n="${n}"/></message>`;
    hub.step(numbered(rx + 1, `${HUB}/Nobody`, "chat"));
    expect(hub.room.links[SPOKE]).toMatchObject({ session, rx: rx + 1 });
    expect(hub.outbox.at(-1)!.attrs).toMatchObject({ type: "error", to: `${SPOKE}/Hamlet` });
    hub.step(numbered(rx + 2, HUB, "groupchat"));
    expect(bodies(hub.receivedBy(ALICE))).toEqual([`x${rx + 2}`]);
    flush();
  });

  it("a bounce carries this room's own numbering: it is not taken for the peer's", () => {
    const { hub } = joined();
    const rx = hub.room.links[SPOKE]!.rx;
    hub.step(
      `<message from="${SPOKE}" to="${HUB}" type="error"><body>x</body><seq xmlns="${NS.fedmuc}" s="${hub.room.links[SPOKE]!.session}" n="99"/><error type="wait"><remote-server-timeout xmlns="${NS.stanzas}"/></error></message>`,
    );
    expect(hub.room.links[SPOKE]).toMatchObject({ state: "down", rx });
  });

  it("acknowledgements from the peer, standalone or riding on its stanzas, reach the sender", () => {
    const { hub, spoke } = joined();
    spoke.step(say(HAMLET, SPOKE, "acknowledge me"));
    hub.step(spoke.crossing(spoke.outbox.splice(0)[0]!));
    const held = () => spoke.unacked.get(`${HUB} ${spoke.room.links[HUB]!.session}`)!;
    expect(held()).toHaveLength(1);
    spoke.step(
      `<message from="${HUB}" to="${SPOKE}" type="normal"><ack xmlns="${NS.fedmuc}" s="${hub.room.links[SPOKE]!.session}" n="${hub.room.links[SPOKE]!.rx}"/></message>`,
    );
    expect(held()).toEqual([]);
  });

  it("after the grace period the spoke asks for the hub's occupants again, and they come back once", () => {
    const w = joined();
    const { hub, spoke, flush } = w;
    outage(w);
    spoke.later(DEFAULT_GRACE_MS);
    spoke.fireTimers("grace");
    expect(Object.keys(spoke.room.occupants)).toEqual(["Hamlet"]);
    const saw = spoke.receivedBy(HAMLET).length;
    spoke.fireTimers();
    expect(readSession(spoke.outbox[0]!)).toMatchObject({ state: true });
    flush();
    expect(spoke.room.links[HUB]).toMatchObject({ state: "up" });
    expect(spoke.room.links[HUB]!.needState).toBeUndefined();
    expect(Object.keys(spoke.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    const shown = presencesFrom(spoke.receivedBy(HAMLET).slice(saw)).sort();
    expect(shown).toEqual([`${SPOKE}/Alice`, `${SPOKE}/Hatter`]);
    expect(bodies(spoke.receivedBy(HAMLET).slice(saw))).toEqual([]); // no history again
    expect(hub.room.links[SPOKE]!.state).toBe("up");
  });

  it("a join offering a session the hub no longer has starts over with the room's state", () => {
    const w = joined();
    const { hub, spoke, flush } = w;
    const old = spoke.room.links[HUB]!.session;
    outage(w);
    hub.step(say(ALICE, HUB, "while apart"));
    hub.lose();
    // The hub lost the link (its store was lost, say): the offer names a session it lacks.
    const { [SPOKE]: _gone, ...others } = hub.room.links;
    hub.room = { ...hub.room, links: others };
    spoke.fireTimers();
    flush();
    const session = hub.room.links[SPOKE]!.session;
    expect(session).toBeDefined();
    expect(session).not.toBe(old);
    expect(spoke.room.links[HUB]).toMatchObject({ state: "up", session });
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Hatter"]);
    // What the spoke missed comes with the room's history, once.
    expect(bodies(spoke.receivedBy(HAMLET))).toEqual(["while apart"]);
    spoke.step(say(HAMLET, SPOKE, "after"));
    flush();
    expect(bodies(hub.receivedBy(ALICE))).toEqual(["while apart", "after"]);
  });

  it("a rejoin carries one presence; the hub asks for the occupants it let go after its grace period", () => {
    const w = world();
    const { hub, spoke, flush } = w;
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    spoke.step(join(OPHELIA, SPOKE, "Ophelia"));
    flush();
    outage(w);
    hub.later(DEFAULT_GRACE_MS);
    hub.fireTimers("grace");
    expect(Object.keys(hub.room.occupants)).toEqual(["Alice"]);
    spoke.fireTimers();
    expect(spoke.outbox.filter((el) => el.is("presence"))).toHaveLength(1);
    flush();
    expect(Object.keys(hub.room.occupants).sort()).toEqual(["Alice", "Hamlet", "Ophelia"]);
    const back = presencesFrom(hub.receivedBy(ALICE)).filter((f) => f === `${HUB}/Ophelia`);
    expect(back).toHaveLength(3); // joined, left with the grace period, back once
  });

  it("after the hub's grace period, what an occupant of the spoke said before its presence is back still arrives", () => {
    const w = world();
    const { hub, spoke, flush } = w;
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    spoke.step(join(OPHELIA, SPOKE, "Ophelia"));
    flush();
    spoke.step(say(OPHELIA, SPOKE, "lost on the wire"));
    outage(w);
    hub.later(DEFAULT_GRACE_MS);
    hub.fireTimers("grace");
    spoke.fireTimers(); // the rejoin: Hamlet's presence; the hub asks for Ophelia's after
    flush(); // ...which comes after her message, sent again on resumption
    expect(bodies(hub.receivedBy(ALICE))).toEqual(["lost on the wire"]);
    expect(hub.room.occupants.Ophelia).toMatchObject({ jid: OPHELIA, node: SPOKE });
  });

  it("a join sent again before its answer arrived starts no second session, and nothing shows twice", () => {
    const { hub, spoke, flush } = world();
    spoke.step(join(HAMLET, SPOKE, "Hamlet"));
    const [first] = spoke.outbox.splice(0);
    spoke.fireTimers(); // no answer yet: the join goes again
    const [second] = spoke.outbox.splice(0);
    hub.step(first!);
    hub.step(second!);
    flush();
    expect(hub.room.links[SPOKE]).toMatchObject({
      joins: 1,
      session: spoke.room.links[HUB]!.session,
    });
    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect(
      presencesFrom(spoke.receivedBy(HAMLET)).filter((f) => f === `${SPOKE}/Alice`),
    ).toHaveLength(1);
    expect(presencesFrom(hub.receivedBy(ALICE)).filter((f) => f === `${HUB}/Hamlet`)).toHaveLength(
      1,
    );
  });

  it("joins that offer a session the hub has moved on from start one new session between them", () => {
    const w = joined();
    const { hub, spoke, flush } = w;
    outage(w);
    const { [SPOKE]: _gone, ...others } = hub.room.links;
    hub.room = { ...hub.room, links: others };
    spoke.fireTimers();
    spoke.fireTimers(); // sent again before the answer: both offer the old session
    const joins = spoke.outbox.splice(0);
    for (const j of joins) hub.step(j);
    expect(hub.room.links[SPOKE]!.joins).toBe(1);
    flush();
    expect(spoke.room.links[HUB]).toMatchObject({
      state: "up",
      session: hub.room.links[SPOKE]!.session,
    });
  });

  it("a message that waited keeps its time on the way (at), and reaches clients with XEP-0203 delay", () => {
    const { hub, spoke } = joined();
    spoke.step(say(HAMLET, SPOKE, "late"));
    const numbered = spoke.crossing(spoke.outbox.splice(0)[0]!);
    const seq = numbered.getChild("seq", NS.fedmuc)!;
    seq.attrs.at = String(Date.parse("2026-01-01T11:00:00Z"));
    hub.step(parse(numbered.toString()));
    const [late] = hub.receivedBy(ALICE).filter((el) => el.getChildText("body") === "late");
    expect(late!.getChild("delay", NS.delay)?.attrs.stamp).toBe("2026-01-01T11:00:00.000Z");
    expect(late!.getChild("seq", NS.fedmuc)).toBeUndefined();
  });
});
