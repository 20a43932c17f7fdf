// The load: N occupants join one room; the first S of them send M messages each, either closed
// loop (at most W of a sender's messages not yet reflected back to itself: the most the target
// can carry) or open loop at a fixed rate (the latency at a load every target can carry). Each
// body carries the phase, sender, sequence number and send time (performance.now(), this thread's
// clock), so each receiver measures the latency of every copy it gets.
import { growRoom } from "../harness/crowd.js";
import type { RawClient } from "../harness/raw-client.js";

export interface LoadOptions {
  c2sPort: number;
  /** Anonymous host of the load clients. */
  domain: string;
  room: string;
  occupants: number;
  senders: number;
}

export interface PhaseOptions {
  /** Tags this phase's bodies, so late copies of an earlier phase are not counted. */
  tag: string;
  perSender: number;
  /** Closed loop: a sender's messages not yet reflected back to it. */
  window: number;
  /** Open loop instead: messages per second over all senders, round robin. */
  rate?: number;
  /** The phase gives up after this long (and reports what arrived). */
  capMs: number;
}

export interface PhaseResult {
  expected: number;
  delivered: number;
  /** Messages answered with type="error", and copies that reached no-one expected. */
  errors: number;
  /** From the first send to the last copy delivered. */
  seconds: number;
  /** Latency in ms of each delivered copy (the first `delivered` entries). */
  latencies: Float64Array;
}

/** Connects and joins all occupants. */
export async function joinRoom(opts: LoadOptions): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  try {
    await growRoom(clients, opts, opts.occupants);
  } catch (err) {
    await leave(clients);
    throw err;
  }
  return clients;
}

export async function leave(clients: RawClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close()));
}

export function runPhase(
  clients: RawClient[],
  opts: LoadOptions,
  phase: PhaseOptions,
): Promise<PhaseResult> {
  const expected = opts.senders * phase.perSender * clients.length;
  const latencies = new Float64Array(expected);
  const sent = new Array<number>(opts.senders).fill(0);
  const outstanding = new Array<number>(opts.senders).fill(0);
  let delivered = 0;
  let errors = 0;
  let t0 = 0;
  let tLast = 0;

  const sendOne = (s: number): void => {
    const body = `${phase.tag} ${s} ${sent[s]!} ${performance.now().toFixed(3)}`;
    (clients[s] as RawClient).say(opts.room, body);
    sent[s]!++;
    outstanding[s]!++;
  };
  // Closed loop: top the sender's window up.
  const send = (s: number): void => {
    if (phase.rate !== undefined) return;
    while (outstanding[s]! < phase.window && sent[s]! < phase.perSender) sendOne(s);
  };
  // Open loop: every 5 ms, send what the schedule says is due.
  const total = opts.senders * phase.perSender;
  const pace = (rate: number): NodeJS.Timeout => {
    let n = 0;
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      for (; n < due; n++) sendOne(n % opts.senders);
      if (n === total) clearInterval(timer);
    }, 5);
    return timer;
  };
  let pacer: NodeJS.Timeout | undefined;

  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(cap);
      clearInterval(pacer);
      for (const c of clients) c.onMessage = undefined;
      resolve({ expected, delivered, errors, seconds: (tLast - t0) / 1000, latencies });
    };
    const cap = setTimeout(finish, phase.capMs);
    for (const [r, client] of clients.entries()) {
      client.onMessage = (body, isError) => {
        const [tag, sender, , sentAt] = body.split(" ");
        if (tag !== phase.tag) return;
        const s = Number(sender);
        if (isError || delivered >= expected) errors++;
        else {
          const now = performance.now();
          latencies[delivered++] = now - Number(sentAt);
          tLast = now;
        }
        if (s === r) {
          // The sender's own copy (or its error) acknowledges the message: send the next one.
          outstanding[s]!--;
          send(s);
        }
        if (delivered === expected) finish();
      };
    }
    t0 = performance.now();
    if (phase.rate !== undefined) pacer = pace(phase.rate);
    else for (let s = 0; s < opts.senders; s++) send(s);
  });
}
