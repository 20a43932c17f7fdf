// A crowd of cheap occupants in one room: raw clients (SASL ANONYMOUS), for the benchmark's load
// and for tests that need rooms of hundreds.
import { RawClient } from "./raw-client.js";

export interface CrowdRoom {
  c2sPort: number;
  /** The server's anonymous host. */
  domain: string;
  /** The room's bare JID. */
  room: string;
}

/**
 * Adds occupants to `clients` (nicks u0, u1...) until there are `size`: connects them in batches,
 * then joins the first alone (it creates the room) and the others `parallel` at a time.
 */
export async function growRoom(
  clients: RawClient[],
  opts: CrowdRoom,
  size: number,
  parallel = 1,
): Promise<void> {
  const first = clients.length;
  for (let i = first; i < size; i += 20) {
    const batch = Array.from({ length: Math.min(20, size - i) }, () =>
      RawClient.connect(opts.c2sPort, opts.domain),
    );
    clients.push(...(await Promise.all(batch)));
  }
  let next = first;
  const joinNext = async (): Promise<void> => {
    while (next < size) {
      const i = next++;
      await clients[i]!.join(opts.room, `u${i}`);
    }
  };
  if (first === 0 && size > 0) {
    await clients[0]!.join(opts.room, "u0"); // creates the room: alone
    next = 1;
  }
  await Promise.all(Array.from({ length: parallel }, joinNext));
}

/** When each body first reached the first client, and when the last client got the last one. */
export interface Heard {
  readonly firstAt: number;
  readonly lastAt: number;
}

/** Resolves once every client has received every body (Date.now() times); rejects if one of
 * them comes back as an error (refused) or `timeoutMs` passes first. */
export function heardBy(
  clients: readonly RawClient[],
  bodies: readonly string[],
  timeoutMs: number,
): Promise<Heard> {
  return new Promise((resolve, reject) => {
    const wanted = new Set(bodies);
    const left = clients.map(() => new Set(bodies));
    let waiting = clients.length;
    let firstAt = NaN;
    const done = (err?: Error) => {
      clearTimeout(timer);
      for (const c of clients) c.onMessage = undefined;
      if (err) reject(err);
      else resolve({ firstAt, lastAt: Date.now() });
    };
    const timer = setTimeout(() => {
      const missing = left.reduce((sum, l) => sum + l.size, 0);
      done(
        new Error(`${missing} copies of ${bodies.length} messages missing after ${timeoutMs} ms`),
      );
    }, timeoutMs);
    for (const [i, client] of clients.entries()) {
      client.onMessage = (body, isError) => {
        if (!wanted.has(body)) return;
        if (isError) return done(new Error(`message refused: ${body}`));
        if (Number.isNaN(firstAt)) firstAt = Date.now();
        if (left[i]!.delete(body) && left[i]!.size === 0 && --waiting === 0) done();
      };
    }
    if (waiting === 0) done();
  });
}

/** Sends `body` from `sender` and resolves once each of `clients` has received it. */
export async function sayToAll(
  sender: RawClient,
  clients: readonly RawClient[],
  room: string,
  body: string,
): Promise<void> {
  const arrived = heardBy(clients, [body], 120_000);
  sender.say(room, body);
  await arrived;
}
