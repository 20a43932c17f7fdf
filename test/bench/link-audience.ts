// Who listens across the link in the link benchmark: one registered occupant of the hub's room,
// and N anonymous users of the spoke's server, either in the spoke's room, which federates with
// the hub's (this service on both sites), or in the hub's room directly, over S2S (the peer: what
// the link carries without a spoke service). The spoke's users are a crowd of load clients.
import { connectUser, type TestClient } from "../harness/client.js";
import { ROOMS, TALK, type FederatedSites } from "../harness/fmuc.js";
import { createRoom, groupchatBody, presenceFrom, seen, sendGroupchat } from "../harness/muc.js";
import { growRoom, heardBy } from "../harness/crowd.js";
import type { RawClient } from "../harness/raw-client.js";

export type Path = "federated" | "direct";
export const PATHS: readonly Path[] = ["federated", "direct"];

export interface Audience {
  /** The hub's occupant, in the hub's room. */
  readonly hub: TestClient;
  readonly hubRoom: string;
  /** The spoke's occupants (nicks u0, u1...), in `spokeRoom`. */
  readonly spoke: readonly RawClient[];
  /** The spoke's room (federated), or the hub's (direct). */
  readonly spokeRoom: string;
  close(): Promise<void>;
}

/** The hub's occupant creates room `name` at the hub; `n` spoke users enter by `path`. Resolves
 * once the hub's occupant has seen all of them and the link is quiet. */
export async function gather(
  bed: FederatedSites,
  path: Path,
  name: string,
  n: number,
): Promise<Audience> {
  const hubRoom = `${name}@${ROOMS.domain}`;
  const spokeRoom = path === "federated" ? `${name}@${TALK.domain}` : hubRoom;
  const hub = await connectUser(bed.sites.hub, "alice");
  const spoke: RawClient[] = [];
  const close = async () => {
    await Promise.all(spoke.map((c) => c.close()));
    await hub.stop();
  };
  try {
    await createRoom(hub, hubRoom, "Alice");
    const { c2sPort, domain } = bed.sites.spoke;
    await growRoom(spoke, { c2sPort, domain: `anon.${domain}`, room: spokeRoom }, n);
    for (let i = 0; i < n; i++) await seen(hub, presenceFrom(`${hubRoom}/u${i}`), 120_000);
    // A message up, then one down: what the joins set off (the spoke room's configuration
    // query and its answer) has crossed by then, as each direction delivers in order.
    const up = `${name} up`;
    spoke[0]!.say(spokeRoom, up);
    await seen(hub, groupchatBody(up), 120_000);
    const down = `${name} down`;
    const arrived = heardBy(spoke, [down], 120_000);
    await sendGroupchat(hub, hubRoom, down);
    await arrived;
  } catch (err) {
    await close();
    throw err;
  }
  return { hub, hubRoom, spoke, spokeRoom, close };
}

/** Resolves once the test client has received every body as groupchat. */
export async function heardByClient(client: TestClient, bodies: readonly string[]) {
  for (const body of bodies) await seen(client, groupchatBody(body), 120_000);
}
