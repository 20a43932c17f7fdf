// XEP-0289 path health, the shell around libs/muc-core federation/path.ts: one chain of checks per
// peer service this node joined rooms at, or whose links to rooms here the path took down, as
// durable link timers (any worker runs the next one), its state in Redis (PathStore); a change of
// the path reaches each link the watch covers. A chain is numbered: an answer while the path is
// down, a bounce of the check, or the first bounce of a link's stanza about the path starts a new
// one at once, and the checks of the old one find themselves stale. Under a rate, the links hear
// of the path's return one by one as it pays (paced-rejoins.ts).
import {
  heardFrom,
  pathAnswer,
  pathDue,
  pathPing,
  serviceOf,
  type PathStep,
} from "@fedmuc/muc-core";
import type { PathStore } from "@fedmuc/room-store";
import type { Element } from "@fedmuc/xmpp";
import type { PacedRejoins } from "./paced-rejoins.js";

/** The purpose of the durable timers that run the checks. */
export const PATH_TIMER = "path";

export interface PathWatchOptions {
  readonly store: PathStore;
  /** This service's domain: the checks come from it. */
  readonly domain: string;
  readonly intervalMs: number;
  /** The longest pause between checks while the path is down. */
  readonly maxMs: number;
  readonly send: (stanza: Element) => Promise<void>;
  /** Runs chain `gen`'s next check of `service` after `afterMs` (a durable timer). */
  readonly schedule: (service: string, gen: number, afterMs: number) => Promise<void>;
  /** The path to `service` went down or came back: each of its links is told. */
  readonly changed: (room: string, peer: string, changed: "down" | "up") => Promise<unknown>;
  /** Tells the links of a service with a rate of the path's return one by one, as it pays. */
  readonly rejoins?: PacedRejoins;
  readonly log: (message: string, service: string) => void;
}

export class PathWatch {
  readonly store: PathStore;
  /** When this worker last noted traffic from each peer service (ms). */
  readonly #heard = new Map<string, number>();

  constructor(private readonly options: PathWatchOptions) {
    this.store = options.store;
  }

  /** The link to `peer` is up: its service's path is watched, by one chain of checks. */
  async watch(peer: string): Promise<void> {
    const service = serviceOf(peer);
    const { store, intervalMs } = this.options;
    if (!(await store.claim(service, this.#holdMs(intervalMs)))) return;
    await this.options.schedule(service, await store.newChain(service), intervalMs);
  }

  /** A stanza to `peer` bounced because the path to its service failed: the path is checked at
   * once (by a chain of its own if none watched it), unless a check of it is on its way. */
  async bounced(peer: string): Promise<void> {
    const service = serviceOf(peer);
    const { store } = this.options;
    if (!(await store.bounced(service, new Date().toISOString()))) return;
    await store.hold(service, this.#holdMs(0));
    await this.options.schedule(service, await store.newChain(service), 0);
  }

  /** Chain `gen`'s check of `service` is due. */
  async due(service: string, gen: number): Promise<void> {
    const { store, domain, intervalMs, maxMs } = this.options;
    const path = await store.read(service);
    if (path && path.gen !== gen) return; // a newer chain watches it
    if ((await store.linkCount(service)) === 0) return store.forget(service);
    const step: PathStep = pathDue(path, new Date(), intervalMs, maxMs);
    await store.checked(service, step.next);
    await store.hold(service, this.#holdMs(step.afterMs));
    await this.options.send(pathPing(domain, service));
    await this.options.schedule(service, gen, step.afterMs);
    if (step.changed) await this.#changed(service, gen, step.changed);
  }

  /** Chain `gen`'s turn of telling the links of the path's return at its rate is due: unless a
   * newer chain watches the path, or it is down again (its return tells them anew). */
  async rejoinsDue(service: string, gen: number): Promise<void> {
    const path = await this.options.store.read(service);
    if (path?.gen === gen && path.state === "up") await this.options.rejoins?.due(service, gen);
  }

  /** Takes a stanza to this service that answers a check (or bounced it): whether it was one. */
  async answered(stanza: Element): Promise<boolean> {
    const answer = pathAnswer(stanza);
    if (!answer) return false;
    const service = stanza.attrs.from!;
    const { store } = this.options;
    // From a service this node does not check (forged, or long forgotten): nothing is kept.
    const path = await store.read(service);
    if (!path) return true;
    if (answer === "answered") await store.answered(service, new Date().toISOString());
    // Looked at again now: a path that answers while down, or bounces while up. (A bounce while
    // down changes nothing: the checks back off.)
    if ((path.state === "down") === (answer === "answered")) {
      await this.options.schedule(service, await store.newChain(service), 0);
    }
    return true;
  }

  /** A stanza from an FMUC peer: traffic from its service answers the check on its way, as its
   * own answer would (heardFrom). Noted at most twice a check interval per service and worker,
   * and only while the path is up: a path that is down comes back by its checks. */
  async heard(stanza: Element): Promise<void> {
    const service = heardFrom(stanza);
    if (!service) return;
    const now = Date.now();
    if (now - (this.#heard.get(service) ?? 0) < this.options.intervalMs / 2) return;
    this.#heard.set(service, now);
    const { store } = this.options;
    if ((await store.read(service))?.state === "up") {
      await store.answered(service, new Date(now).toISOString());
    }
  }

  async #changed(service: string, gen: number, changed: "down" | "up"): Promise<void> {
    const links = await this.options.store.links(service);
    const { rejoins } = this.options;
    const paced = changed === "up" && rejoins?.paced(service) ? rejoins : undefined;
    const how = paced ? ", told at its rate" : "";
    this.options.log(`path to ${service} ${changed}: ${links.length} links${how}`, service);
    if (paced) return paced.start(service, gen, links.sort(byRoom));
    for (const [room, peer] of links) await this.options.changed(room, peer, changed);
  }

  /** How long a chain holds the watch after a check: until well after its next one. */
  #holdMs(afterMs: number): number {
    return afterMs + 2 * this.options.intervalMs;
  }
}

/** The order paced links are told in: by room, so that it is the same on every return. */
const byRoom = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);
