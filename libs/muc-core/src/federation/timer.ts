// XEP-0289 link timers (this service's design): the effect that sets one.
import type { Effect, FederationLink, LinkTimerPurpose } from "../types.js";

/** Look at the link again later: by default after the join's timeout and retry backoff. */
export function linkTimer(
  peer: string,
  link: FederationLink,
  purpose: LinkTimerPurpose = "join",
  afterMs?: number,
): Effect {
  return { kind: "linkTimer", peer, purpose, joins: link.joins, ...(afterMs ? { afterMs } : {}) };
}
