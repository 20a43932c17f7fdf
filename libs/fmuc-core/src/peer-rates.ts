// FMUC_PEER_RATES: the bytes per second that the links to a peer service may send together over
// the one S2S path they share (README.md "Rate and priority on a shared path"). Entries are
// `services=bytes`, comma-separated; services as in FMUC_ALLOW but for rooms (a service domain,
// *.domain), or * for every service; the first entry that matches applies. A service that no
// entry matches has no rate: its links send as fast as the XMPP server takes their stanzas.
import { allowsLinks, linkEntries } from "./allow-list.js";

export interface PeerRate {
  readonly services: string;
  readonly bytesPerSecond: number;
}

/** Slower than this, one stanza would take seconds to cross. */
export const MIN_PEER_RATE = 100;
const MAX_PEER_RATE = 1_000_000_000;

/** `services=bytes,services=bytes`, e.g. `rooms.hq.example=1200,*.navy.example=600`. */
export function parsePeerRates(text: string): readonly PeerRate[] {
  return linkEntries(text, ",", "services=bytes per second").map(({ links, value }) => {
    if (links.includes("@")) {
      throw new Error(`"${links}" is a room: a rate is shared by the links to a service`);
    }
    const bytesPerSecond = Number(value);
    if (!/^\d+$/.test(value) || bytesPerSecond < MIN_PEER_RATE || bytesPerSecond > MAX_PEER_RATE) {
      throw new Error(
        `"${value}" (for ${links}) is not a whole number of bytes per second from ${MIN_PEER_RATE} to ${MAX_PEER_RATE}`,
      );
    }
    return { services: links, bytesPerSecond };
  });
}

/** The rate of the links to `service` (bytes per second), or undefined: none. */
export function rateFor(rates: readonly PeerRate[], service: string): number | undefined {
  return rates.find((r) => allowsLinks(r.services, `@${service}`))?.bytesPerSecond;
}
