// XEP-0289 path health under a rate (libs/fmuc-core/README.md "Rate and priority on a shared
// path"): when the path to a peer service with a rate comes back, its links are not told all at
// once, or every room's rejoin would cross at the path's own pace ahead of live traffic (500
// rooms at 9.6 kbit/s: minutes). They are told one after another, each once the service's
// bucket has paid for what the one before sent directly (its join presences), at the priority
// of a live presence: live messages keep their reserve, rejoins go ahead of backlogs (a room's
// backlog goes only once its link is up again). A link whose telling sends nothing (one the peer
// joined, back without a rejoin) costs nothing and waits for nobody. A durable timer per service
// runs the queue, numbered by the chain of checks that saw the return: a later return queues
// the links anew, and a path down again leaves them to its return.
import type { PathStore } from "@fedmuc/room-store";

/** The purpose of the durable timers that tell the links of a paced return. */
export const REJOIN_TIMER = "path-rejoin";

/** Links told in one run of the timer at most, before it lets other work run. */
const PER_RUN = 50;

export interface PacedRejoinsOptions {
  readonly store: PathStore;
  /** Whether the links to `service` share a rate (FMUC_PEER_RATES). */
  readonly paced: (service: string) => boolean;
  /** Pays `bytes` from the service's rate at a live presence's priority: 0 when paid, else the
   * ms until it can. */
  readonly pay: (service: string, bytes: number) => Promise<number>;
  /** Runs chain `gen`'s next turn of the queue of `service` after `afterMs` (a durable timer). */
  readonly schedule: (service: string, gen: number, afterMs: number) => Promise<void>;
  /** Tells the link that its service's path is back: the bytes that sent to the service. */
  readonly tell: (room: string, peer: string) => Promise<number>;
}

export class PacedRejoins {
  constructor(private readonly options: PacedRejoinsOptions) {}

  /** Whether the return of the path to `service` is paced. */
  paced(service: string): boolean {
    return this.options.paced(service);
  }

  /** The path to `service` came back (seen by chain `gen`): `links` are told as the rate lets. */
  async start(service: string, gen: number, links: readonly [string, string][]): Promise<void> {
    await this.options.store.queueRejoins(service, links);
    await this.options.schedule(service, gen, 0);
  }

  /** Chain `gen`'s turn of the queue is due: pays what is owed, tells the next link, and so on,
   * until the rate makes it wait (it runs again then) or the queue is empty. */
  async due(service: string, gen: number): Promise<void> {
    const { store, pay, schedule, tell } = this.options;
    // Read once a turn, then kept here; written for the next turn as each link is told (a turn
    // that stops between a payment and that write pays it once more: a rejoin's bytes, no loss).
    let owed = await store.owed(service);
    for (let told = 0; told < PER_RUN; told++) {
      if (owed > 0) {
        const waitMs = await pay(service, owed);
        if (waitMs > 0) return schedule(service, gen, waitMs);
      }
      const next = await store.nextRejoin(service);
      if (!next) return store.owe(service, 0);
      owed = await tell(...next);
      await store.owe(service, owed);
    }
    await schedule(service, gen, 0);
  }
}
