// Groupchat traffic for the scale-out suites: senders send numbered messages into one room, at a
// steady pace or in a burst; a tally then says, per recipient, what arrived, what was lost, what
// came twice and where one sender's messages arrived out of the order sent. Workers are watched
// through their /metrics: how many messages each handled, and whether any work is left in it.
import { setTimeout as delay } from "node:timers/promises";
import { xml, type Element, type TestClient } from "./client.js";
import { sample } from "./metrics.js";
import { NS } from "./muc-ns.js";
import type { ServiceHandle } from "./service.js";

/** One message sent: its body and when it left (Date.now()). */
export interface Sent {
  readonly body: string;
  readonly at: number;
}

export interface Traffic {
  /** Per sender (by index), its messages in the order sent. */
  readonly sent: readonly Sent[][];
  /** Stops sending; resolves once every sender's last send has been written. */
  stop(): Promise<void>;
}

const bodyOf = (tag: string, sender: number, seq: number): string => `${tag}:${sender}:${seq}`;

// The body doubles as the id, so an error returned for a message names it.
function groupchat(room: string, body: string): Element {
  return xml("message", { to: room, type: "groupchat", id: body }, xml("body", {}, body));
}

/**
 * Each sender sends one message every `intervalMs` until stopped (bodies `tag:sender:seq`). The
 * senders start spread over one interval, so the room sees a steady stream.
 */
export function steadyTraffic(
  senders: readonly TestClient[],
  room: string,
  tag: string,
  intervalMs: number,
): Traffic {
  const sent: Sent[][] = senders.map(() => []);
  let running = true;
  const loops = senders.map(async (client, i) => {
    await delay((intervalMs * i) / senders.length);
    for (let seq = 0, next = Date.now(); running; seq++) {
      const body = bodyOf(tag, i, seq);
      sent[i]!.push({ body, at: Date.now() });
      await client.send(groupchat(room, body));
      next += intervalMs;
      await delay(Math.max(0, next - Date.now()));
    }
  });
  return {
    sent,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Each sender sends `count` messages back to back, all senders at once. */
export async function burst(
  senders: readonly TestClient[],
  room: string,
  tag: string,
  count: number,
): Promise<Sent[][]> {
  const sent: Sent[][] = senders.map(() => []);
  await Promise.all(
    senders.map(async (client, i) => {
      for (let seq = 0; seq < count; seq++) {
        const body = bodyOf(tag, i, seq);
        sent[i]!.push({ body, at: Date.now() });
        await client.send(groupchat(room, body));
      }
    }),
  );
  return sent;
}

export interface RecipientTally {
  readonly jid: string;
  /** Distinct messages of this traffic received. */
  readonly received: number;
  /** Sent, never received, with their send time. */
  readonly lost: Sent[];
  /** Messages received more than once. */
  readonly duplicates: number;
  /** Received messages that came after a later one of the same sender (first copies only:
   * a repeated copy is a duplicate). */
  readonly outOfOrder: number;
  /** Received messages whose stanza-id (XEP-0359) came before, on another of this traffic. */
  readonly duplicateIds: number;
}

/** What each recipient got of the traffic tagged `tag`. */
export function tally(
  recipients: readonly TestClient[],
  tag: string,
  sent: readonly Sent[][],
): RecipientTally[] {
  const prefix = `${tag}:`;
  return recipients.map((client) => {
    const messages = client.received.filter(
      (el) =>
        el.is("message") &&
        el.attrs.type === "groupchat" &&
        (el.getChildText("body") ?? "").startsWith(prefix),
    );
    const bodies = messages.map((el) => el.getChildText("body")!);
    const ids = messages.flatMap((el) =>
      el.getChildren("stanza-id", NS.sid).map((s) => s.attrs.id),
    );
    const seen = new Set(bodies);
    const highest = new Map<string, number>();
    let outOfOrder = 0;
    for (const body of new Set(bodies)) {
      const [, sender, seq] = body.split(":");
      const before = highest.get(sender!) ?? -1;
      if (Number(seq) < before) outOfOrder++;
      else highest.set(sender!, Number(seq));
    }
    return {
      jid: client.jid,
      received: seen.size,
      lost: sent.flat().filter((s) => !seen.has(s.body)),
      duplicates: bodies.length - seen.size,
      outOfOrder,
      duplicateIds: ids.length - new Set(ids).size,
    };
  });
}

/** Nothing being handled, queued, or waiting for the socket in this worker. */
async function idle(worker: ServiceHandle): Promise<boolean> {
  const metrics = (await worker.get("/metrics")).body;
  const busy = ["in_flight", "inbound_backlog", "queued_stanzas", "waiting_sends"].map((g) =>
    sample(metrics, `fedmuc_component_${g}`),
  );
  return busy.every((n) => n === 0);
}

/**
 * Waits until the traffic has settled: every worker is idle and no client received anything
 * between two looks `stepMs` apart. The stanzas in the server's hands move in well under that.
 */
export async function quiesce(
  workers: readonly ServiceHandle[],
  clients: readonly TestClient[],
  { stepMs = 200, timeoutMs = 15_000 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let before = clients.map((c) => c.received.length);
  for (;;) {
    await delay(stepMs);
    const now = clients.map((c) => c.received.length);
    const quiet = now.every((n, i) => n === before[i]);
    if (quiet && (await Promise.all(workers.map(idle))).every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`traffic still moving after ${timeoutMs} ms`);
    before = now;
  }
}

/** Percentile (0..100, nearest rank) of numbers; NaN if none. */
export function percentileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

/** The messages of `sent` that came back to their sender as an error: the error, by body. */
export function refusals(senders: readonly TestClient[], sent: readonly Sent[][]) {
  const refused = new Map<string, Element>();
  for (const [i, client] of senders.entries()) {
    const mine = new Set(sent[i]!.map((s) => s.body));
    for (const el of client.received) {
      if (el.is("message") && el.attrs.type === "error" && mine.has(el.attrs.id ?? "")) {
        refused.set(el.attrs.id!, el);
      }
    }
  }
  return refused;
}

/** Per sender, its messages that were not refused (see refusals), in the order sent. */
export function accepted(sent: readonly Sent[][], refused: ReadonlyMap<string, Element>): Sent[][] {
  return sent.map((mine) => mine.filter((s) => !refused.has(s.body)));
}
