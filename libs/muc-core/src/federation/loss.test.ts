// A link whose bounded backlog dropped traffic (libs/fmuc-core/README.md, "Bounded backlogs"):
// in memory, the store's drop stood for by the loss it records and the entries it removed.
import { describe, expect, it } from "vitest";
import { NS } from "@fedmuc/xmpp";
import { readSession, type LinkLoss } from "@fedmuc/fmuc-core";
import {
  ALICE,
  HAMLET,
  HATTER,
  HUB,
  SPOKE,
  bodies,
  join,
  say,
  world,
  type Node,
} from "../testing/network.js";
import { lossText } from "./loss.js";

const SINCE = Date.parse("2026-01-01T12:00:00Z");
const bounce = (from: string, to: string) =>
  `<message from="${from}" to="${to}" type="error"><error type="wait"><remote-server-timeout xmlns="${NS.stanzas}"/></error></message>`;

/** The store dropped `loss` from the node's backlog for `peer`: what waited for it is gone. */
function dropped(node: Node, peer: string, loss: LinkLoss) {
  node.outbox.length = 0;
  node.room = { ...node.room, lost: { [peer]: loss } };
}

function joinedThenCut() {
  const w = world();
  w.spoke.step(join(HAMLET, SPOKE, "Hamlet"));
  w.hub.step(join(HATTER, HUB, "Hatter"));
  w.flush();
  w.spoke.step(bounce(HUB, SPOKE));
  w.hub.step(bounce(SPOKE, HUB));
  return w;
}

const statusFrom = (node: Node, jid: string) =>
  node
    .receivedBy(jid)
    .filter((el) => el.attrs.from === node.room.jid && el.getChild("body"))
    .map((el) => el.getChildText("body"));

describe("XEP-0289 bounded backlogs: the status message", () => {
  const loss = { stanzas: 5, messages: 3, since: SINCE };
  it("says how many messages, from or to which site, since when, and what was sent instead", () => {
    const site = "talk.denmark.lit";
    expect(lossText(loss, { side: "sent here", site, history: true })).toBe(
      "3 messages sent here since 2026-01-01T12:00:00.000Z could not be delivered to talk.denmark.lit: the link was down for longer than its backlog holds. talk.denmark.lit was sent the room's recent history instead.",
    );
    expect(lossText({ ...loss, messages: 1 }, { side: "missed here", site, history: false })).toBe(
      "1 message sent at talk.denmark.lit since 2026-01-01T12:00:00.000Z could not be delivered here: the link was down for longer than its backlog holds.",
    );
  });
});

describe("XEP-0289 bounded backlogs: the return after a loss", () => {
  it("the joined node that dropped traffic starts afresh with history, and both sites are told", () => {
    const { hub, spoke, flush } = joinedThenCut();
    hub.step(say(ALICE, HUB, "while away 1"));
    hub.step(say(ALICE, HUB, "while away 2"));
    dropped(hub, SPOKE, { stanzas: 2, messages: 2, since: SINCE });
    const old = hub.room.links[SPOKE]!.session;

    spoke.fireTimers();
    // The spoke offers the session it had; the hub cannot resume it and starts a new one.
    expect(readSession(spoke.outbox[0]!)).toMatchObject({ id: old });
    flush();
    expect(hub.room.links[SPOKE]!.session).not.toBe(old);
    expect(spoke.room.links[HUB]!.session).toBe(hub.room.links[SPOKE]!.session);
    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect(hub.logs.join("\n")).not.toContain("resumed its session");
    // The spoke's users get the history in place of the lost backlog, and are told.
    expect(bodies(spoke.receivedBy(HAMLET))).toContain("while away 2");
    expect(statusFrom(spoke, HAMLET)).toEqual([
      "2 messages sent at rooms.wonderland.lit since 2026-01-01T12:00:00.000Z could not be delivered here: the link was down for longer than its backlog holds. The room's recent history was sent instead.",
    ]);
    // The hub's users are told too, once; the loss is forgotten.
    expect(statusFrom(hub, ALICE)).toEqual([
      "2 messages sent here since 2026-01-01T12:00:00.000Z could not be delivered to talk.denmark.lit: the link was down for longer than its backlog holds. talk.denmark.lit was sent the room's recent history instead.",
    ]);
    expect(hub.room.lost).toBeUndefined();
    expect(hub.logs.join("\n")).toContain(`the link to ${SPOKE} dropped 2 stanzas (2 messages)`);
  });

  it("the joining node that dropped traffic proposes a fresh session, the same in every join until up", () => {
    const { hub, spoke, flush } = joinedThenCut();
    spoke.step(say(HAMLET, SPOKE, "never arrives"));
    dropped(spoke, HUB, { stanzas: 1, messages: 1, since: SINCE });
    const old = spoke.room.links[HUB]!.session;

    spoke.fireTimers();
    const first = readSession(spoke.outbox.splice(0)[0]!)!;
    expect(first.id).not.toBe(old);
    expect(first.rx).toBe(0);
    spoke.fireTimers(); // sent again before an answer: the same proposal
    expect(readSession(spoke.outbox[0]!)!.id).toBe(first.id);
    flush();

    expect(hub.room.links[SPOKE]!.session).toBe(first.id);
    expect(spoke.room.links[HUB]).toMatchObject({ state: "up", session: first.id });
    expect(spoke.room.links[HUB]!.restart).toBeUndefined();
    expect(spoke.room.lost).toBeUndefined();
    expect(bodies(hub.receivedBy(ALICE))).not.toContain("never arrives");
    expect(statusFrom(hub, ALICE)).toEqual([
      "1 message sent at talk.denmark.lit since 2026-01-01T12:00:00.000Z could not be delivered here: the link was down for longer than its backlog holds.",
    ]);
    expect(statusFrom(spoke, HAMLET)).toEqual([
      "1 message sent here since 2026-01-01T12:00:00.000Z could not be delivered to rooms.wonderland.lit: the link was down for longer than its backlog holds.",
    ]);
  });

  it("a resumption answering a join sent before the loss is not taken: the next join starts afresh", () => {
    const { hub, spoke, flush } = joinedThenCut();
    spoke.fireTimers(); // offers the session it had
    const offer = spoke.outbox.splice(0);
    dropped(spoke, HUB, { stanzas: 1, messages: 0, since: SINCE });
    for (const el of offer) hub.step(el);
    flush();
    expect(spoke.room.links[HUB]!.state).toBe("resyncing");
    spoke.fireTimers();
    flush();
    expect(spoke.room.links[HUB]!.state).toBe("up");
    expect(spoke.room.links[HUB]!.session).toBe(hub.room.links[SPOKE]!.session);
    // Only presences went: nobody is told of messages, the log says what went.
    expect(statusFrom(hub, ALICE)).toEqual([]);
    expect(statusFrom(spoke, HAMLET)).toEqual([]);
    expect(spoke.logs.join("\n")).toContain(`the link to ${HUB} dropped 1 stanzas (0 messages)`);
  });
});
