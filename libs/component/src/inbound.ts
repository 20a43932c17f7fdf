// Inbound stanzas to the handler: strict order per room (keyed-queue.ts) inside a bound on
// in-flight work that pauses reading (inflight-limiter.ts), so a slow room or a slow store
// pushes back on the server through TCP flow control instead of buffering without limit.
import type { Element } from "@fedmuc/xmpp";
import { InflightLimiter } from "./inflight-limiter.js";
import { KeyedSerialQueue } from "./keyed-queue.js";

/** The bare `to` JID (RFC 7622 §3), case-folded: the room whose stanzas stay in order. */
export function roomKey(stanza: Element): string {
  const to = stanza.attrs.to ?? "";
  const slash = to.indexOf("/");
  return (slash < 0 ? to : to.slice(0, slash)).toLowerCase();
}

export interface InboundOptions {
  readonly handler: (stanza: Element) => Promise<void>;
  readonly maxInFlight: number;
  readonly resumeInFlight: number;
  readonly onError: (err: unknown, room: string) => void;
  readonly pause: () => void;
  readonly resume: () => void;
}

export function createInbound(o: InboundOptions): InflightLimiter<Element> {
  const rooms = new KeyedSerialQueue(o.onError);
  return new InflightLimiter<Element>({
    limit: o.maxInFlight,
    lowWater: o.resumeInFlight,
    run: (stanza) => rooms.push(roomKey(stanza), () => o.handler(stanza)),
    pause: o.pause,
    resume: o.resume,
  });
}
