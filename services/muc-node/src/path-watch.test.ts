// The watch of the paths to peer services, against a real Redis: one chain of checks per service
// however many links, a path's change told to each link, a new chain at once when a down path
// answers or an up one bounces, stale checks of an old chain doing nothing, and nothing kept for
// a service no link goes to; the joined side's watch, started by a link's bounce about the path,
// one check however many links bounce, and over once its links are back.
import { describe, expect, it } from "vitest";
import { PathStore } from "@fedmuc/room-store";
import { parse, type Element } from "@fedmuc/xmpp";
import { uniquePrefix } from "../../../test/harness/redis.js";
import { redisPerFile } from "../../../test/harness/redis-per-file.js";
import { PathWatch } from "./path-watch.js";

const redis = redisPerFile();
const HUB = "rooms.hub.example";
const LINKS: [string, string][] = [
  ["a@talk.spoke.example", `a@${HUB}`],
  ["b@talk.spoke.example", `b@${HUB}`],
];
const answer = (type: "result" | "error", condition = "service-unavailable") =>
  parse(
    `<iq type="${type}" id="fmuc-path" from="${HUB}" to="talk.spoke.example">` +
      (type === "error"
        ? `<error type="cancel"><${condition} xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>`
        : "") +
      `</iq>`,
  );

async function watching() {
  const store = new PathStore(redis.client, uniquePrefix());
  for (const [room, peer] of LINKS) await store.noteLink(room, peer, true);
  const sent: Element[] = [];
  const scheduled: { gen: number; afterMs: number }[] = [];
  const changes: string[] = [];
  const watch = new PathWatch({
    store,
    domain: "talk.spoke.example",
    intervalMs: 1000,
    maxMs: 4000,
    send: async (s) => void sent.push(s),
    schedule: async (_service, gen, afterMs) => void scheduled.push({ gen, afterMs }),
    changed: async (room, _peer, changed) => void changes.push(`${room} ${changed}`),
    log: () => {},
  });
  return { store, watch, sent, scheduled, changes };
}

describe("the watch of a peer service's path", () => {
  it("is one chain of checks, however many of its links come up", async () => {
    const { watch, scheduled, sent } = await watching();
    for (const [, peer] of LINKS) await watch.watch(peer);
    expect(scheduled).toEqual([{ gen: 1, afterMs: 1000 }]);
    await watch.due(HUB, 1);
    expect(sent.map((s) => [s.attrs.to, s.attrs.id])).toEqual([[HUB, "fmuc-path"]]);
    expect(scheduled.at(-1)).toEqual({ gen: 1, afterMs: 1000 });
  });

  it("takes every link of the service down when a check goes unanswered, and back when it answers", async () => {
    const { watch, scheduled, changes } = await watching();
    await watch.watch(LINKS[0]![1]);
    await watch.due(HUB, 1);
    await watch.due(HUB, 1); // the first check was not answered
    expect([...changes].sort()).toEqual(LINKS.map(([room]) => `${room} down`));
    await watch.due(HUB, 1); // still none: the checks back off
    expect(scheduled.map((s) => s.afterMs)).toEqual([1000, 1000, 1000, 2000]);
    expect(await watch.answered(answer("error"))).toBe(true); // an error of its own: an answer
    expect(scheduled.at(-1)).toEqual({ gen: 2, afterMs: 0 }); // looked at again at once
    await watch.due(HUB, 1); // the old chain's check: stale
    expect(changes).toHaveLength(2);
    await watch.due(HUB, 2);
    expect(changes.slice(2).sort()).toEqual(LINKS.map(([room]) => `${room} up`));
  });

  it("a bounce of the check takes an up path down at once; while down a bounce changes nothing", async () => {
    const { watch, scheduled, changes } = await watching();
    await watch.watch(LINKS[0]![1]);
    await watch.due(HUB, 1);
    await watch.answered(answer("error", "remote-server-not-found"));
    expect(scheduled.at(-1)).toEqual({ gen: 2, afterMs: 0 });
    await watch.due(HUB, 2);
    expect([...changes].sort()).toEqual(LINKS.map(([room]) => `${room} down`));
    const before = scheduled.length;
    await watch.answered(answer("error", "remote-server-timeout"));
    await watch.bounced(LINKS[0]![1]); // a link's bounce neither: the checks back off
    expect(scheduled).toHaveLength(before);
    expect(await watch.answered(parse(`<iq type="result" id="other" from="${HUB}"/>`))).toBe(false);
  });

  it("takes an answer from a service it does not check, and keeps nothing of it", async () => {
    const { store, watch, scheduled } = await watching();
    const forged = parse(
      `<iq type="result" id="fmuc-path" from="evil.example" to="talk.spoke.example"/>`,
    );
    expect(await watch.answered(forged)).toBe(true);
    expect(await store.read("evil.example")).toBeUndefined();
    expect(scheduled).toEqual([]);
  });

  it("keeps nothing for a service no link goes to any more", async () => {
    const { store, watch, sent } = await watching();
    await watch.watch(LINKS[0]![1]);
    for (const [room, peer] of LINKS) await store.noteLink(room, peer, false);
    await watch.due(HUB, 1);
    expect(sent).toEqual([]);
    expect((await store.read(HUB))?.pingSent).toBeUndefined();
    expect(await store.claim(HUB, 1000)).toBe(true); // the next link up starts a chain again
  });

  it("the joined side: links' bounces about the path start one check at once, even with no chain running", async () => {
    const { store, watch, sent, scheduled, changes } = await watching();
    for (const [, peer] of LINKS) await watch.bounced(peer); // both links' stanzas bounced
    expect(scheduled).toEqual([{ gen: 1, afterMs: 0 }]);
    await watch.due(HUB, 1); // no answer since the bounce: the path counts as down
    expect(sent).toHaveLength(1);
    expect([...changes].sort()).toEqual(LINKS.map(([room]) => `${room} down`));
    await watch.answered(answer("result"));
    expect(scheduled.at(-1)).toEqual({ gen: 2, afterMs: 0 });
    await watch.due(HUB, 2);
    expect(changes.slice(2).sort()).toEqual(LINKS.map(([room]) => `${room} up`));
    // The links are back (no longer watched): the chain ends at its next check.
    for (const [room, peer] of LINKS) await store.noteLink(room, peer, false);
    const checks = sent.length;
    await watch.due(HUB, 2);
    expect(sent).toHaveLength(checks);
    expect((await store.read(HUB))?.bouncedAt).toBeUndefined();
  });

  it("a bounce while the path answers looks again at once, and only once until the service answers", async () => {
    const { watch, scheduled, changes } = await watching();
    await watch.watch(LINKS[0]![1]);
    await watch.due(HUB, 1);
    await watch.answered(answer("result"));
    await watch.bounced(LINKS[0]![1]);
    await watch.bounced(LINKS[1]![1]);
    expect(scheduled.slice(2)).toEqual([{ gen: 2, afterMs: 0 }]);
    await watch.due(HUB, 2);
    expect(changes).toHaveLength(2); // down: the answer came before the bounce
    await watch.answered(answer("result"));
    await watch.due(HUB, 3);
    expect(changes.slice(2).sort()).toEqual(LINKS.map(([room]) => `${room} up`));
    await watch.bounced(LINKS[0]![1]); // answered since: a new bounce looks again
    expect(scheduled.at(-1)).toEqual({ gen: 4, afterMs: 0 });
  });
  it("traffic from the service answers a check whose own answer is late; a bounce about the path does not", async () => {
    const { watch, changes } = await watching();
    await watch.watch(LINKS[0]![1]);
    await watch.due(HUB, 1); // a check on its way, its answer queued behind a resync
    await watch.heard(parse(`<message from="a@${HUB}/Alice" to="a@talk.spoke.example"/>`));
    await watch.due(HUB, 1); // the next check: the first counts as answered
    expect(changes).toEqual([]);
    // On another watch: a bounce about the path is no traffic from the service.
    const other = await watching();
    await other.watch.watch(LINKS[0]![1]);
    await other.watch.due(HUB, 1);
    const bounce = parse(
      `<message type="error" from="a@${HUB}" to="a@talk.spoke.example"><error type="wait"><remote-server-timeout xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
    );
    await other.watch.heard(bounce);
    await other.watch.due(HUB, 1);
    expect([...other.changes].sort()).toEqual(LINKS.map(([room]) => `${room} down`));
  });
});
