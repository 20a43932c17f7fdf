// Bytes over the link per groupchat message, by path (the spoke's users in a federated spoke
// room, or in the hub's room directly over S2S), by number of spoke occupants and by which side
// sends. The link is neither slowed nor delayed here: bytes are bytes.
import type { FederatedSites } from "../harness/fmuc.js";
import { sendGroupchat } from "../harness/muc.js";
import { heardBy } from "../harness/crowd.js";
import { PATHS, gather, heardByClient, type Audience, type Path } from "./link-audience.js";

export type Sender = "hub" | "spoke";

export interface BytesRow {
  readonly occupants: number;
  readonly sender: Sender;
  /** Bytes over the link (both ways) per message, by path. */
  readonly perMessage: Record<Path, number>;
}

/** `messages` messages from each side, for each number of spoke occupants, on both paths. */
export async function bytesPerMessage(
  bed: FederatedSites,
  occupants: readonly number[],
  messages: number,
  bodyChars: number,
): Promise<BytesRow[]> {
  const { shaper } = bed.sites;
  shaper.setRate(null);
  shaper.setLatency(0);
  const rows: BytesRow[] = [];
  for (const n of occupants) {
    const perMessage: Record<Sender, Partial<Record<Path, number>>> = { hub: {}, spoke: {} };
    for (const path of PATHS) {
      const audience = await gather(bed, path, `bytes-${path}-${n}`, n);
      try {
        for (const sender of ["hub", "spoke"] as const) {
          const bodies = Array.from({ length: messages }, (_, i) =>
            `${sender}-${path}-${n}-${i} `.padEnd(bodyChars, "x"),
          );
          shaper.resetStats();
          await send(audience, sender, bodies);
          const { hubToSpoke, spokeToHub } = shaper.stats();
          perMessage[sender][path] = (hubToSpoke.bytes + spokeToHub.bytes) / messages;
        }
      } finally {
        await audience.close();
      }
    }
    for (const sender of ["hub", "spoke"] as const) {
      rows.push({ occupants: n, sender, perMessage: perMessage[sender] as Record<Path, number> });
    }
  }
  return rows;
}

/** Sends the bodies from the hub's occupant or the first spoke occupant; resolves once every
 * occupant, on both sides, has them all. */
export async function send(a: Audience, sender: Sender, bodies: readonly string[]): Promise<void> {
  const arrived = heardBy(a.spoke, bodies, 120_000);
  for (const body of bodies) {
    if (sender === "hub") await sendGroupchat(a.hub, a.hubRoom, body);
    else a.spoke[0]!.say(a.spokeRoom, body);
  }
  await Promise.all([arrived, heardByClient(a.hub, bodies)]);
}
