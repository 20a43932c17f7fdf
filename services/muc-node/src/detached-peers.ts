// The peer services an administrator detached (libs/fmuc-core/README.md "Operator commands"), in
// Redis until attached again: a hash of the services (and when), and per service the rooms that
// left a link to it, which join again on attach. Each worker holds the set in memory for the
// rules (Federation.detached), loaded at start and again on each change another worker
// announces (a pub/sub message), and whenever its subscription connects again.
import type { RedisClient } from "@fedmuc/redis";

export class DetachedPeers {
  #services = new Set<string>();
  readonly #key: string;

  constructor(
    private readonly redis: RedisClient,
    /** A connection of its own for the subscription. */
    private readonly subscriber: RedisClient,
    prefix: string,
    private readonly onError: (err: Error) => void,
  ) {
    this.#key = `${prefix}detached`;
  }

  async start(): Promise<void> {
    this.subscriber.on("message", (channel: string) => {
      if (channel === this.#key) this.#reload();
    });
    this.subscriber.on("ready", () => this.#reload());
    await this.subscriber.subscribe(this.#key);
    await this.#load();
  }

  has(service: string): boolean {
    return this.#services.has(service);
  }

  list(): string[] {
    return [...this.#services].sort();
  }

  /** Detaches `service`, noting `rooms` (rooms here that left a link to it). */
  async detach(service: string, rooms: readonly string[]): Promise<void> {
    this.#services.add(service);
    await this.redis.hset(this.#key, service, new Date().toISOString());
    if (rooms.length > 0) await this.redis.sadd(this.#roomsKey(service), ...rooms);
    await this.redis.publish(this.#key, service);
  }

  /** Attaches `service` again: the rooms noted when it was detached. */
  async attach(service: string): Promise<string[]> {
    this.#services.delete(service);
    const rooms = await this.redis.smembers(this.#roomsKey(service));
    await this.redis.hdel(this.#key, service);
    await this.redis.del(this.#roomsKey(service));
    await this.redis.publish(this.#key, service);
    return rooms.sort();
  }

  async stop(): Promise<void> {
    await this.subscriber.quit();
  }

  #roomsKey(service: string): string {
    return `${this.#key}:${service}`;
  }

  async #load(): Promise<void> {
    this.#services = new Set(Object.keys(await this.redis.hgetall(this.#key)));
  }

  #reload(): void {
    this.#load().catch(this.onError);
  }
}
