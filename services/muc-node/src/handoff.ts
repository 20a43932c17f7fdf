// Stanzas a draining worker read after it closed its component stream: a server that spreads
// the domain over several connections (ejabberd) routed them to it before it read the close.
// They cannot be answered on a closed stream, so they go through a Redis list to the workers
// still running, which handle them as if they had read them; with no other worker up, they wait
// there for the next one. So a drain (SIGTERM) loses nothing.
import type { RedisClient } from "@fedmuc/redis";
import { parse, type Element } from "@fedmuc/xmpp";

export interface HandoffOptions {
  /** The list's key (one key, so on Redis Cluster one slot). */
  readonly key: string;
  /** Handles a stanza another worker handed over. */
  readonly handle: (stanza: Element) => Promise<void>;
  /** How long one wait for the list blocks, in seconds. */
  readonly waitSeconds?: number;
  readonly onError?: (err: Error) => void;
}

export class Handoff {
  #taking: Promise<void> | undefined;
  #stopped = false;
  /** Settles on stop(): a pop waiting for a Redis that is gone must not hold the drain. */
  #stopNow: () => void = () => {};
  readonly #stopping = new Promise<null>((resolve) => (this.#stopNow = () => resolve(null)));

  /** `redis` pushes; `blocking` is a connection of its own, for the blocking pops. */
  constructor(
    private readonly redis: RedisClient,
    private readonly blocking: RedisClient,
    private readonly options: HandoffOptions,
  ) {}

  /** Hands a stanza this worker cannot answer to the others. */
  async give(stanza: Element): Promise<void> {
    await this.redis.rpush(this.options.key, stanza.toString());
  }

  /** Takes what other workers hand over, until stop(). */
  start(): void {
    this.#taking ??= this.#take();
  }

  /** Stops taking (a draining worker must not take back what it hands over). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopNow();
    this.blocking.disconnect();
    await this.#taking;
  }

  async #take(): Promise<void> {
    const { key, handle, waitSeconds = 1, onError } = this.options;
    while (!this.#stopped) {
      const pop = this.blocking.blpop(key, waitSeconds).catch((err: Error) => {
        if (!this.#stopped) onError?.(err);
        return null;
      });
      const popped = await Promise.race([pop, this.#stopping]);
      if (popped) await handle(parse(popped[1])).catch((err: Error) => onError?.(err));
    }
  }
}
