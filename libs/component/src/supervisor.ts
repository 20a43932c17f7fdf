// Runs sessions one after another until stopped, waiting between them as backoff.ts says.
// xmpp.js's @xmpp/reconnect retries every 1 s forever; this replaces it.
import {
  afterSession,
  INITIAL_BACKOFF,
  nextRetry,
  type BackoffPolicy,
  type FailureKind,
  type Random,
} from "./backoff.js";
import { failureKind } from "./stream-errors.js";

/** How a session ended: how long it was online (null: never), and its first error. */
export interface SessionEnd {
  readonly onlineMs: number | null;
  readonly error?: Error;
}

export interface RetryInfo {
  /** Consecutive failures so far, this one included (1 after the first loss). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly kind: FailureKind;
  readonly error?: Error;
}

export interface SupervisorOptions {
  readonly policy: BackoffPolicy;
  readonly random: Random;
  /** One session: connects, stays until the connection is lost; never rejects. */
  readonly session: () => Promise<SessionEnd>;
  /** Called before each wait. */
  readonly onRetry: (info: RetryInfo) => void;
}

export class Supervisor {
  #state = INITIAL_BACKOFF;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(private readonly o: SupervisorOptions) {}

  start(): void {
    this.#loop ??= this.#run();
  }

  /** No further attempts; resolves once the running session (if any) has ended. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    return this.#loop ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const end = await this.o
        .session()
        .catch((error: Error): SessionEnd => ({ onlineMs: null, error }));
      if (this.#stopped) return;
      const kind = failureKind(end.error);
      const next = nextRetry(
        afterSession(this.#state, end.onlineMs, this.o.policy),
        kind,
        this.o.policy,
        this.o.random,
      );
      this.#state = next.state;
      this.o.onRetry({
        attempt: next.state.failures,
        delayMs: next.delayMs,
        kind,
        error: end.error,
      });
      await this.#sleep(next.delayMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
