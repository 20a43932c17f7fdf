// The paths to peer services in Redis (libs/muc-core federation/path.ts): per peer service, the
// links to it (a set, so that a path's change reaches each), the state of its check (a hash whose
// fields are each written by one kind of step, so concurrent steps lose nothing), the claim of
// the one chain of checks that watches it, and, while its rate paces their rejoins, the links
// still to be told of its return. A few keys per peer service: a few dozen services, on a
// cluster each key in a slot of its own, none in a room's.
import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import { serviceOf, type PathState } from "@fedmuc/muc-core";

const BOUNCED = readFileSync(new URL("./path-bounced.lua", import.meta.url), "utf8");

type Scripted = (Redis | Cluster) & {
  fedmucPathBounced(key: string, at: string): Promise<number>;
};

export interface StoredPath extends PathState {
  /** The chain of checks now watching the path; a check of another chain is stale. */
  readonly gen: number;
}

const NEW = { state: "up", failures: 0 } as const;

export class PathStore {
  readonly #redis: Scripted;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {
    redis.defineCommand("fedmucPathBounced", { numberOfKeys: 1, lua: BOUNCED });
    this.#redis = redis as Scripted;
  }

  #keys(service: string) {
    const base = `${this.prefix}path:${service}`;
    return {
      links: `${base}:links`,
      state: `${base}:state`,
      chain: `${base}:chain`,
      rejoins: `${base}:rejoins`,
    };
  }

  /** Notes the link from `room` to `peer` (gone: false) among its service's. */
  async noteLink(room: string, peer: string, present: boolean): Promise<void> {
    const { links } = this.#keys(serviceOf(peer));
    const member = `${room} ${peer}`;
    await (present ? this.redis.sadd(links, member) : this.redis.srem(links, member));
  }

  /** The links to `service`: [room, peer]. */
  async links(service: string): Promise<[string, string][]> {
    const members = await this.redis.smembers(this.#keys(service).links);
    return members.map((m) => m.split(" ") as [string, string]);
  }

  async linkCount(service: string): Promise<number> {
    return this.redis.scard(this.#keys(service).links);
  }

  /** The path's state; undefined before its first check. */
  async read(service: string): Promise<StoredPath | undefined> {
    const f = await this.redis.hgetall(this.#keys(service).state);
    if (!f.gen) return undefined;
    const bounced = f.bouncedAt ? { bouncedAt: f.bouncedAt } : {};
    if (!f.state) return { gen: Number(f.gen), ...NEW, ...bounced };
    return {
      gen: Number(f.gen),
      state: f.state === "down" ? "down" : "up",
      failures: Number(f.failures ?? 0),
      ...(f.pingSent ? { pingSent: f.pingSent } : {}),
      ...(f.pongAt ? { pongAt: f.pongAt } : {}),
      ...bounced,
    };
  }

  /** What a check found (the chain's own fields). */
  async checked(service: string, path: PathState): Promise<void> {
    const { state, failures, pingSent = "" } = path;
    await this.redis.hset(this.#keys(service).state, { state, failures, pingSent });
  }

  /** The service answered a check at `at` (ISO time): any bounce before is answered too. */
  async answered(service: string, at: string): Promise<void> {
    const { state } = this.#keys(service);
    await this.redis.multi().hset(state, "pongAt", at).hdel(state, "bouncedAt").exec();
  }

  /** A link's stanza to `service` bounced at `at` (ISO time) because the path failed: whether
   * the path is to be checked now (path-bounced.lua). */
  async bounced(service: string, at: string): Promise<boolean> {
    return (await this.#redis.fedmucPathBounced(this.#keys(service).state, at)) === 1;
  }

  /** Starts a new chain of checks (the others go stale): its number. */
  async newChain(service: string): Promise<number> {
    return this.redis.hincrby(this.#keys(service).state, "gen", 1);
  }

  /** Claims the watch of the path for `ms`, unless a chain holds it: whether it was free. */
  async claim(service: string, ms: number): Promise<boolean> {
    return (await this.redis.set(this.#keys(service).chain, "1", "PX", ms, "NX")) === "OK";
  }

  /** The chain holds the watch for `ms` from now (taking it, if it had lapsed). */
  async hold(service: string, ms: number): Promise<void> {
    await this.redis.set(this.#keys(service).chain, "1", "PX", ms);
  }

  /** The path came back: `links` are to be told, in this order, as its rate lets them (any
   * left from an earlier return are replaced, and nothing is owed). */
  async queueRejoins(service: string, links: readonly [string, string][]): Promise<void> {
    const { rejoins, state } = this.#keys(service);
    const tx = this.redis.multi().del(rejoins).hdel(state, "owed");
    if (links.length > 0) tx.rpush(rejoins, ...links.map(([room, peer]) => `${room} ${peer}`));
    await tx.exec();
  }

  /** The next link to tell of the path's return, taken off the queue; undefined: none left. */
  async nextRejoin(service: string): Promise<[string, string] | undefined> {
    const member = await this.redis.lpop(this.#keys(service).rejoins);
    return member ? (member.split(" ") as [string, string]) : undefined;
  }

  /** The bytes the latest link told sent on the path and its rate has not been paid for yet. */
  async owed(service: string): Promise<number> {
    return Number((await this.redis.hget(this.#keys(service).state, "owed")) ?? 0);
  }

  async owe(service: string, bytes: number): Promise<void> {
    const { state } = this.#keys(service);
    await (bytes > 0 ? this.redis.hset(state, "owed", bytes) : this.redis.hdel(state, "owed"));
  }

  /** No link goes to the service any more: nothing of its path is kept but the chain count
   * (a check of an earlier chain still on its way stays stale). */
  async forget(service: string): Promise<void> {
    const { state, chain, rejoins } = this.#keys(service);
    await this.redis.hdel(state, "state", "failures", "pingSent", "pongAt", "bouncedAt", "owed");
    await this.redis.del(chain, rejoins);
  }
}
