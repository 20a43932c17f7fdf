// The link's throughput at a low rate (9.6 kbit/s): a burst of messages from the hub's occupant
// to one spoke occupant, by path. Useful throughput is the message bodies' bits per second at the
// receiver, as a fraction of the link's rate; the link's use is all bits it carried meanwhile,
// as a fraction of its rate (near 1: the burst kept it full).
import type { FederatedSites } from "../harness/fmuc.js";
import { sendGroupchat } from "../harness/muc.js";
import { heardBy } from "../harness/crowd.js";
import { PATHS, gather, type Path } from "./link-audience.js";

export interface ThroughputRow {
  readonly path: Path;
  /** Body bits per second between the first and the last arrival, over the link's rate. */
  readonly useful: number;
  /** All bits the link carried meanwhile, over its rate. */
  readonly use: number;
  /** From the first send to the last arrival. */
  readonly seconds: number;
}

export async function throughput(
  bed: FederatedSites,
  rate: number,
  latencyMs: number,
  messages: number,
  bodyChars: number,
): Promise<ThroughputRow[]> {
  const { shaper } = bed.sites;
  const rows: ThroughputRow[] = [];
  for (const path of PATHS) {
    // Joined over a fast link (joins are not what is measured), then the link slows down.
    shaper.setRate(null);
    shaper.setLatency(0);
    const audience = await gather(bed, path, `burst-${path}`, 1);
    shaper.setRate(rate);
    shaper.setLatency(latencyMs);
    try {
      const bodies = Array.from({ length: messages }, (_, i) =>
        `burst-${path}-${i} `.padEnd(bodyChars, "x"),
      );
      let bytesAtFirst = NaN;
      const receiver = audience.spoke[0]!;
      const arrived = heardBy([receiver], bodies, 600_000);
      // The link's byte count when the first message arrives (the receiver's first callback).
      const counting = receiver.onMessage;
      receiver.onMessage = (body, isError) => {
        if (Number.isNaN(bytesAtFirst)) bytesAtFirst = total(bed);
        counting?.(body, isError);
      };
      const start = Date.now();
      for (const body of bodies) await sendGroupchat(audience.hub, audience.hubRoom, body);
      const { firstAt, lastAt } = await arrived;
      const seconds = (lastAt - firstAt) / 1000;
      const usefulBits = (messages - 1) * bodyChars * 8; // the first one opens the interval
      rows.push({
        path,
        useful: usefulBits / seconds / rate,
        use: ((total(bed) - bytesAtFirst) * 8) / seconds / rate,
        seconds: (lastAt - start) / 1000,
      });
    } finally {
      await audience.close();
    }
  }
  return rows;
}

function total(bed: FederatedSites): number {
  const { hubToSpoke, spokeToHub } = bed.sites.shaper.stats();
  return hubToSpoke.bytes + spokeToHub.bytes;
}
