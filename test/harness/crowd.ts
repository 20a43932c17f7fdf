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

/** Sends `body` from `sender` and resolves once each of `clients` has received it. */
export function sayToAll(
  sender: RawClient,
  clients: readonly RawClient[],
  room: string,
  body: string,
): Promise<void> {
  let waiting = clients.length;
  return new Promise((resolve, reject) => {
    for (const c of clients) {
      c.onMessage = (text, isError) => {
        if (text !== body) return;
        if (isError) return reject(new Error(`message refused: ${body}`));
        c.onMessage = undefined;
        if (--waiting === 0) resolve();
      };
    }
    sender.say(room, body);
  });
}
