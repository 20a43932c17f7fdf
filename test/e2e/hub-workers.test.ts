// A hub of two workers behind ejabberd (which hands each stanza to either) and three scripted
// spokes of 50 rooms each (plain XEP-0289 peers, test/harness/scripted-spoke.ts): the links'
// work spreads over both workers, and the links of a worker that dies move to the other, with
// nothing lost and each room's order kept; and nothing of this service's own extensions reaches
// those peers, which never offered them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "@fedmuc/muc-core";
import { RoomStore } from "@fedmuc/room-store";
import { parse } from "@fedmuc/xmpp";
import { hubRoom, startHubBed, type HubBed } from "../harness/hub-bed.js";
import { metric } from "../harness/metrics.js";
import { connectRedis } from "../harness/redis.js";
import type { ScriptedSpoke } from "../harness/scripted-spoke.js";
import type { ServiceHandle } from "../harness/service.js";

const SPOKES = 3;
const ROOMS = 50;

let bed: HubBed;
beforeAll(async () => {
  bed = await startHubBed({ spokes: SPOKES, rooms: ROOMS, env: { FMUC_LINK_LOCK_MS: "2000" } });
  await bed.federate();
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** `count` messages in every room, each labelled with its room and number; resolves once every
 * one has reached its spoke. */
async function burst(label: string, count: number): Promise<void> {
  const arrivals: Promise<number>[] = [];
  for (let i = 0; i < count; i++) {
    for (const [s, spoke] of bed.spokes.entries()) {
      for (let r = 0; r < ROOMS; r++) {
        const body = `${label} ${r} ${i}`;
        arrivals.push(spoke.arrived(body));
        bed.owner.say(hubRoom(s, r), body);
      }
    }
  }
  await Promise.all(arrivals);
}

/** Each room's bodies of `label`, in the order they arrived, once each. */
const inOrder = (spoke: ScriptedSpoke, r: number, label: string) =>
  [...new Set(spoke.bodies.get(r) ?? [])].filter((b) => b.startsWith(`${label} ${r} `));

/** The room's messages labelled `label`, in the order the hub's room took them (its history). */
async function historyOf(room: string, label: string): Promise<string[]> {
  const client = connectRedis(bed.redis);
  try {
    const store = new RoomStore(client, { prefix: bed.keyPrefix, defaults: DEFAULT_CONFIG });
    const entries = await store.history(room, "+", 1000);
    const bodies = entries.map((e) => parse(e.stanza).getChildText("body") ?? "");
    return bodies.filter((b) => b.startsWith(`${label} `));
  } finally {
    client.disconnect();
  }
}

describe("a hub of two workers for three spokes of 50 rooms", () => {
  it("spreads the work of 150 links over both workers", async () => {
    const before = await Promise.all(bed.workers.map(bed.linkStanzas));
    await burst("spread", 2);
    const counts = await Promise.all(bed.workers.map(bed.linkStanzas));
    const done = counts.map((n, i) => n - before[i]!);
    const total = done[0]! + done[1]!;
    expect(total).toBeGreaterThanOrEqual(SPOKES * ROOMS * 2);
    for (const n of done) expect(n).toBeGreaterThan(total / 10);
  });

  it("serves every link from the other worker once one is killed: what waited for a spoke arrives, in the room's order", async () => {
    const [dead, survivor] = bed.workers as [ServiceHandle, ServiceHandle];
    const spoke = bed.spokes[0]!;
    await spoke.disconnect(); // the hub's traffic for it bounces: its links wait
    const cut = new Date();
    const arrived = Array.from({ length: ROOMS }, (_, r) =>
      Array.from({ length: 5 }, (_, i) => {
        const body = `waited ${r} ${i}`;
        bed.owner.say(hubRoom(0, r), body);
        return spoke.arrived(body);
      }),
    ).flat();
    const handled = () =>
      metric(survivor, 'fedmuc_stanzas_handled_total{name="message",outcome="ok"}').then(
        async (n) =>
          n + (await metric(dead, 'fedmuc_stanzas_handled_total{name="message",outcome="ok"}')),
      );
    // Every message taken by one worker or the other before one of them dies.
    const want = (await handled()) + ROOMS * 5;
    while ((await handled()) < want) await new Promise((r) => setTimeout(r, 20));
    dead.process.signal("SIGKILL");
    await dead.process.exited;
    await dead.stop();
    bed.workers = [survivor];
    const before = await bed.linkStanzas(survivor);
    await spoke.connect();
    await spoke.joinAll(cut);
    await Promise.all(arrived);
    for (let r = 0; r < ROOMS; r++) {
      // Either worker took any of the owner's messages: the room's order is its history's.
      const history = await historyOf(hubRoom(0, r), `waited ${r}`);
      expect(history).toHaveLength(5);
      expect(inOrder(spoke, r, "waited"), hubRoom(0, r)).toEqual(history);
    }
    expect(await bed.linkStanzas(survivor)).toBeGreaterThan(before);
  }, 60_000);

  it("sends its plain XEP-0289 peers nothing of this service's own namespaces, joins and rejoins included", () => {
    const received = bed.spokes.reduce((n, s) => n + s.bytesIn, 0);
    expect(received).toBeGreaterThan(0);
    for (const spoke of bed.spokes) expect(spoke.extensions.slice(0, 3)).toEqual([]);
  });
});
