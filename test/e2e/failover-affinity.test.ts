// Two workers behind ejabberd with room affinity: `domain_balancing` of type bare_destination over
// `component_number: 2` slots. Each connection takes a free slot when it connects; a room's
// stanzas all go to its slot's connection, and are dropped while that slot has none. So one
// sender's order holds end to end, and a killed worker's rooms are unreachable until a
// replacement takes its slot.
import { describe, expect, it } from "vitest";
import { groupchatBody, sendGroupchat } from "../harness/muc.js";
import { messagesHandled } from "../harness/metrics.js";
import { scaleBed } from "../harness/scale-bed.js";
import type { ServiceHandle } from "../harness/service.js";
import { burst, quiesce, steadyTraffic, tally, type Traffic } from "../harness/traffic.js";

const USERS = ["ann", "ben", "cat", "dan", "eve"];
const SENDERS = 3;
const INTERVAL_MS = 25;
const CONFIG = { roomname: "Affinity hall", roomdesc: "One slot, one worker" };

const bed = scaleBed({ users: USERS, workers: 2, componentNumber: 2, config: CONFIG });
const senders = () => bed.clients.slice(0, SENDERS);

/** Waits until the traffic has sent `more` messages beyond `from`. */
async function untilSent(traffic: Traffic, from: number, more: number): Promise<void> {
  while (traffic.sent.flat().length < from + more) await new Promise((r) => setTimeout(r, 5));
}

async function counts(): Promise<number[]> {
  return Promise.all(bed.workers.map(messagesHandled));
}

/** The worker whose connection holds the room's slot (learnt by the burst test). */
let roomWorker: ServiceHandle | undefined;

describe("bare_destination over two slots", () => {
  it("hands the whole room to one worker, and keeps each sender's order at every occupant", async () => {
    const before = await counts();
    const sent = await burst(senders(), bed.room, "burst", 100);
    await quiesce(bed.workers, bed.clients);
    const result = tally(bed.clients, "burst", sent);
    for (const r of result) expect(r).toMatchObject({ lost: [], duplicates: 0, outOfOrder: 0 });
    const growth = (await counts()).map((n, i) => n - before[i]!);
    expect([...growth].sort((a, b) => a - b)).toEqual([0, 300]);
    roomWorker = bed.workers[growth.indexOf(300)];
    console.info(
      `[order] bare_destination: 300 messages, copies out of their sender's order: 0; per worker ${growth.join(", ")}`,
    );
  });

  it("SIGKILL: the dead slot drops the room's stanzas until a replacement connects, then the room is served again", async () => {
    const victim = roomWorker!;
    const survivor = bed.workers.find((w) => w !== victim)!;
    const survivorFrom = await messagesHandled(survivor);
    const traffic = steadyTraffic(senders(), bed.room, "kill", INTERVAL_MS);
    await untilSent(traffic, 0, 40);
    const killedAt = Date.now();
    await bed.kill(victim);
    // An outage of its own before the replacement starts: 40 more messages, a third of a second.
    await untilSent(traffic, traffic.sent.flat().length, 40);
    const spawnedAt = Date.now();
    const replacement = await bed.addWorker();
    const replacedAt = Date.now();
    const afterReplacement = traffic.sent.flat().length;
    await untilSent(traffic, afterReplacement, 40);
    await traffic.stop();
    await quiesce(bed.workers, bed.clients);

    const sent = traffic.sent.flat();
    const result = tally(bed.clients, "kill", traffic.sent);
    // Nobody could have served the room between the kill and the replacement's start.
    const inGap = sent.filter((s) => s.at > killedAt + 100 && s.at < spawnedAt);
    console.info(
      `[sigkill] bare_destination: ${sent.length} sent; lost per recipient: ${result.map((r) => r.lost.length).join(", ")}; ` +
        `${inGap.length} of them sent while the slot had no worker (kill + 100 ms .. replacement start, ` +
        `${spawnedAt - killedAt - 100} ms); replacement ready ${replacedAt - killedAt} ms after the kill`,
    );
    expect(inGap.length).toBeGreaterThan(0);
    for (const r of result) {
      expect(r.duplicates).toBe(0);
      const lost = new Set(r.lost.map((s) => s.body));
      // The drop: everything sent to the dead slot is gone, not failed over to the survivor.
      expect(inGap.filter((s) => !lost.has(s.body))).toEqual([]);
      // Only the outage: what was sent a second before the kill, or once the replacement was
      // up, arrived.
      for (const s of r.lost) {
        expect(s.at).toBeGreaterThan(killedAt - 1_000);
        expect(s.at).toBeLessThan(replacedAt);
      }
    }
    expect(await messagesHandled(survivor)).toBe(survivorFrom);
    expect(await messagesHandled(replacement)).toBeGreaterThanOrEqual(
      sent.length - afterReplacement,
    );

    const room = await bed.stored();
    expect(Object.keys(room.occupants).sort()).toEqual([...USERS].sort());
    expect(room.config).toMatchObject({ name: CONFIG.roomname, description: CONFIG.roomdesc });
    await expectServed("served by the replacement");
    roomWorker = replacement;
  });

  it("a connection beyond component_number gets no slot, and does not take over one that frees later", async () => {
    const spare = await bed.addWorker(); // both slots are taken
    expect((await spare.get("/readyz")).status).toBe(200);
    await bed.stop(roomWorker!); // SIGTERM: its slot is free, the spare stays connected
    const before = await messagesHandled(spare);
    await sendGroupchat(bed.clients[0]!, bed.room, "into the free slot");
    // A worker that connects now takes the free slot; the message sent before it is gone.
    await bed.addWorker();
    await expectServed("served by the newcomer, not the spare");
    for (const c of bed.clients) {
      expect(c.received.filter(groupchatBody("into the free slot"))).toEqual([]);
    }
    expect(await messagesHandled(spare)).toBe(before);
  });
});

/** A fresh message reaches every occupant: the room is served. */
async function expectServed(body: string): Promise<void> {
  await sendGroupchat(bed.clients.at(-1)!, bed.room, body);
  await Promise.all(bed.clients.map((c) => c.waitFor(groupchatBody(body), 10_000)));
}
