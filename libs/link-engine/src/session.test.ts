// Numbered links against a real Redis (libs/fmuc-core/README.md, "Link sessions"): each stanza
// of a session is numbered and kept until the peer acknowledges it, sent again from where the
// peer asks or when no acknowledgement comes in time, renumbered in a new session, and forgotten
// with the link.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NS, type Element } from "@fedmuc/xmpp";
import { sessionKeys } from "@fedmuc/room-store";
import { LINK, counting, numbered, startLinkSpaces } from "../../../test/harness/link-space.js";

let spaces: Awaited<ReturnType<typeof startLinkSpaces>>;
type Space = ReturnType<typeof spaces.space>;
beforeAll(async () => {
  spaces = await startLinkSpaces();
});
afterAll(async () => {
  await spaces?.stop();
});

const seqOf = (el: Element) => el.getChild("seq", NS.fedmuc)?.attrs ?? {};
const numbers = (els: Element[]) => els.map((el) => Number(seqOf(el).n));

/** A link up in session s1 whose first `count` stanzas (m0, m1, ...) have been sent. */
async function sentInSession(count: number, options?: Parameters<Space["dispatcher"]>[1]) {
  const space = spaces.space();
  await space.linkState("up", { session: "s1", rx: 0 });
  await space.append(numbered(count));
  const out = counting();
  const d = space.dispatcher(out.send, options);
  d.start();
  await d.kick(LINK);
  await out.reached(count);
  return { ...space, out, d };
}

describe("a numbered link", () => {
  it("numbers the session's stanzas, each naming it, and keeps them until acknowledged", async () => {
    const { storePrefix, redis, out, d } = await sentInSession(3);
    expect(numbers(out.stanzas)).toEqual([1, 2, 3]);
    expect(out.stanzas.map((el) => seqOf(el).s)).toEqual(["s1", "s1", "s1"]);
    const { sent } = sessionKeys(storePrefix, LINK.room, LINK.peer);
    expect(await redis.xlen(sent)).toBe(3);
    await d.acknowledged(LINK, { session: "s1", n: 2, resend: false });
    expect((await redis.xrange(sent, "-", "+")).map(([id]) => id)).toEqual(["0-3"]);
    await d.acknowledged(LINK, { session: "old session", n: 3, resend: false }); // another session's: no effect
    expect(await redis.xlen(sent)).toBe(1);
    await d.close();
  });

  it("sends again, in order and under the same numbers, what follows the stanza the peer asks after", async () => {
    const { out, d } = await sentInSession(5);
    await d.acknowledged(LINK, { session: "s1", n: 2, resend: true });
    await out.reached(8);
    expect(numbers(out.stanzas)).toEqual([1, 2, 3, 4, 5, 3, 4, 5]);
    expect(out.bodies.slice(5)).toEqual(["m2", "m3", "m4"]);
    await d.close();
  });

  it("numbers each run of copies; an ask naming a run older than one on its way from no later sends nothing again", async () => {
    const { append, out, d } = await sentInSession(5);
    expect(out.stanzas.map((el) => seqOf(el).re)).toEqual(Array(5).fill(undefined));
    // The peer asks after stanza 1, having seen no run: run 1 starts. It asks after stanza 2,
    // still having seen none: run 1, on its way, fills that.
    await d.acknowledged(LINK, { session: "s1", n: 1, resend: true, run: 0 });
    await out.reached(9);
    await d.acknowledged(LINK, { session: "s1", n: 2, resend: true, run: 0 });
    await append(["m5"]);
    await d.kick(LINK);
    await out.reached(10);
    // It saw run 1 and still lacks 3: 3 was lost; a second run goes.
    await d.acknowledged(LINK, { session: "s1", n: 2, resend: true, run: 1 });
    await out.reached(14);
    expect(numbers(out.stanzas.slice(5))).toEqual([2, 3, 4, 5, 6, 3, 4, 5, 6]);
    const runs = out.stanzas.slice(5).map((el) => seqOf(el).re);
    expect(runs).toEqual(["1", "1", "1", "1", undefined, "2", "2", "2", "2"]);
    // An ask the peer has acknowledged past since (it was on its way) sends nothing.
    await d.acknowledged(LINK, { session: "s1", n: 4, resend: false });
    await d.acknowledged(LINK, { session: "s1", n: 3, resend: true, run: 2 });
    await append(["m6"]);
    await d.kick(LINK);
    await out.reached(15);
    expect(numbers(out.stanzas.slice(14))).toEqual([7]);
    await d.close();
  });

  it("a resumption in the link's state sends again what the peer lacks, once, before what waited", async () => {
    const { append, linkState, out, d } = await sentInSession(3);
    await linkState("down", { session: "s1", rx: 0 });
    await append(numbered(2, 3));
    await linkState("up", { session: "s1", rx: 0, resumed: { count: 1, rx: 1 } });
    await d.kick(LINK);
    await out.reached(7);
    expect(numbers(out.stanzas.slice(3))).toEqual([2, 3, 4, 5]);
    expect(out.stanzas.slice(3).map((el) => seqOf(el).re)).toEqual([
      "1",
      "1",
      undefined,
      undefined,
    ]);
    await append(["m5"]);
    await d.kick(LINK); // the same resumption is not taken up twice
    await out.reached(8);
    expect(numbers(out.stanzas.slice(7))).toEqual([6]);
    await d.close();
  });

  it("probes with the last stanza sent when no acknowledgement comes in time, until one comes", async () => {
    const { append, linkState, dispatcher } = spaces.space();
    await linkState("up", { session: "s1", rx: 0 });
    await append(numbered(3));
    const out = counting();
    const d = dispatcher(out.send, { ackTimeoutMs: 100 });
    d.start();
    await d.kick(LINK);
    await out.reached(4); // sent, then the last one again when no acknowledgement came
    expect(numbers(out.stanzas).slice(0, 4)).toEqual([1, 2, 3, 3]);
    await d.acknowledged(LINK, { session: "s1", n: 3, resend: false });
    await d.close();
  });

  it("probes nothing while the link is down: its return resumes from what the peer acknowledged", async () => {
    const space = spaces.space();
    await space.linkState("up", { session: "s1", rx: 0 });
    await space.append(numbered(3));
    const timeout = await space.listen("timeout ");
    const out = counting();
    const d = space.dispatcher(out.send, { ackTimeoutMs: 2_000 });
    d.start();
    await d.kick(LINK);
    await out.reached(3);
    await space.linkState("down", { session: "s1", rx: 0 }); // long before the timeout fires
    await timeout.done;
    await space.linkState("up", { session: "s1", rx: 0 });
    await space.append(["m3"]);
    await d.kick(LINK);
    await out.reached(4);
    expect(numbers(out.stanzas.slice(3))).toEqual([4]); // no probe (a copy of 3) went first
    await d.close();
  });

  it("carries the acknowledgement owed to the peer on its next stanza, else sends it alone", async () => {
    const { append, linkState, dispatcher } = spaces.space();
    await linkState("up", { session: "s1", rx: 7 });
    await append(numbered(2));
    const out = counting();
    const d = dispatcher(out.send, { ackDelayMs: 50 });
    d.start();
    await d.kick(LINK);
    await out.reached(2);
    expect(seqOf(out.stanzas[0]!).ack).toBe("7");
    expect(seqOf(out.stanzas[1]!).ack).toBeUndefined(); // the peer has heard it
    d.ackDue(LINK, "s1", 8);
    await out.reached(3);
    const ack = out.stanzas[2]!;
    expect(ack.attrs).toMatchObject({ from: LINK.room, to: LINK.peer, type: "normal" });
    expect(ack.getChild("ack", NS.fedmuc)?.attrs).toMatchObject({ s: "s1", n: "8" });
    d.ackDue(LINK, "s1", 8); // the peer sent 8 again: it has not heard; it hears again
    await out.reached(4);
    expect(out.stanzas[3]!.getChild("ack", NS.fedmuc)?.attrs.n).toBe("8");
    await d.close();
  });

  it("a new session numbers again from 1 what the old one left unacknowledged, but for what its state carries again", async () => {
    const { append, linkState, dispatcher } = spaces.space();
    await linkState("up", { session: "s1", rx: 0 });
    await append(["private"]);
    await append(["room message"], true);
    const out = counting();
    const d = dispatcher(out.send);
    d.start();
    await d.kick(LINK);
    await out.reached(2);
    await linkState("up", { session: "s2", rx: 0 });
    await append(["after"]);
    await d.kick(LINK);
    await out.reached(4);
    expect(out.bodies.slice(2)).toEqual(["private", "after"]);
    expect(numbers(out.stanzas.slice(2))).toEqual([1, 2]);
    expect(seqOf(out.stanzas[2]!).s).toBe("s2");
    await d.close();
  });

  it("forgets the session's traffic when the link ends, and sends what is left unnumbered", async () => {
    const { commit, storePrefix, redis, out, d } = await sentInSession(2);
    await commit([
      { op: "setLink", peer: LINK.peer, link: null },
      { op: "enqueue", peer: LINK.peer, stanza: `<presence to="${LINK.peer}"/>` },
    ]);
    const { sent, seq } = sessionKeys(storePrefix, LINK.room, LINK.peer);
    expect(await redis.exists(sent, seq)).toBe(0);
    await d.kick(LINK);
    await out.reached(3);
    expect(out.stanzas[2]!.getChild("seq", NS.fedmuc)).toBeUndefined();
    await d.close();
  });

  it("sends nothing while the link is down, and resumes from where the peer got to", async () => {
    const { append, linkState, dispatcher, out, d: first } = await sentInSession(3);
    await linkState("down", { session: "s1", rx: 0 });
    await append(numbered(2, 3));
    await first.kick(LINK);
    await first.acknowledged(LINK, { session: "s1", n: 1, resend: true }); // the peer resumes: it has stanza 1
    await first.close(); // waits for the jobs, which found the link down
    expect(out.stanzas).toHaveLength(3);
    await linkState("up", { session: "s1", rx: 0 });
    const second = dispatcher(out.send);
    second.start();
    await second.kick(LINK);
    await out.reached(7);
    expect(out.bodies.slice(3)).toEqual(["m1", "m2", "m3", "m4"]);
    expect(numbers(out.stanzas.slice(3))).toEqual([2, 3, 4, 5]);
    await second.close();
  });
});
