// XEP-0050 sessions (section 3.4: a sessionid from the first response on) in Redis, so that any
// worker takes the next request of a session another one began. A session belongs to the full
// JID that began it and to its command, and lapses after SESSION_MS.
import { randomUUID } from "node:crypto";
import type { RedisClient } from "@fedmuc/redis";

export const SESSION_MS = 10 * 60_000;

export class CommandSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  #key(id: string): string {
    return `${this.prefix}adhoc:${id}`;
  }

  /** A new session of `node` for `requester`: its id. */
  async open(node: string, requester: string): Promise<string> {
    const id = randomUUID();
    await this.redis.set(this.#key(id), `${node} ${requester}`, "PX", SESSION_MS);
    return id;
  }

  /** Whether `id` is a live session of `node` that `requester` began. */
  async holds(id: string, node: string, requester: string): Promise<boolean> {
    return (await this.redis.get(this.#key(id))) === `${node} ${requester}`;
  }

  async close(id: string): Promise<void> {
    await this.redis.del(this.#key(id));
  }
}
