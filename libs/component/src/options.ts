// Options of ComponentConnection, their defaults and checks.
import type { Element } from "@fedmuc/xmpp";
import { DEFAULT_BACKOFF, type BackoffPolicy, type Random } from "./backoff.js";
import { silentLogger, type Logger } from "./logger.js";

export interface ComponentOptions {
  /** Where the server accepts components, e.g. xmpp://127.0.0.1:5347 (XEP-0114 §2). */
  service: string;
  /** The component's domain, as the server knows it. */
  domain: string;
  /** The shared secret (XEP-0114 §3). */
  password: string;
  /** Handles one inbound stanza; stanzas to one bare `to` JID run one at a time, in order. */
  handler: (stanza: Element) => Promise<void>;
  logger?: Logger;
  /** Handler invocations at once, queued ones included; reading pauses there (256). */
  maxInFlight?: number;
  /** Reading resumes when in-flight work falls to this (maxInFlight / 2). */
  resumeInFlight?: number;
  /** Bytes of serialized stanzas buffered before senders wait (1 MiB). */
  maxQueuedBytes?: number;
  /** A send not handed to the socket within this is rejected (30 s; 0: never). */
  sendTimeoutMs?: number;
  /** Budget to connect, open and handshake (10 s). */
  connectTimeoutMs?: number;
  /** Budget to close the stream once drained or stopped (2 s). */
  closeTimeoutMs?: number;
  /** drain()'s default budget for in-flight work and queued sends (10 s). */
  drainTimeoutMs?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Random source of the backoff jitter, in [0, 1) (Math.random). */
  random?: Random;
  /**
   * A stanza read after this connection closed its stream: a server that spreads a domain over
   * several connections routed it here before it read the close. It cannot be answered here;
   * this hands it to another connection (e.g. through a shared queue). Without it, it is dropped
   * and counted.
   */
  onLate?: (stanza: Element) => Promise<void>;
}

export type ResolvedOptions = Required<Omit<ComponentOptions, "backoff" | "onLate">> & {
  backoff: BackoffPolicy;
  onLate?: (stanza: Element) => Promise<void>;
};

const positive = (name: string, value: number): number => {
  if (!(value > 0)) throw new RangeError(`ComponentConnection: ${name} must be > 0, got ${value}`);
  return value;
};

export function resolveOptions(o: ComponentOptions): ResolvedOptions {
  const maxInFlight = positive("maxInFlight", o.maxInFlight ?? 256);
  const backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
  positive("backoff.maxMs", backoff.maxMs);
  return {
    ...o,
    logger: o.logger ?? silentLogger,
    maxInFlight,
    resumeInFlight: Math.min(o.resumeInFlight ?? Math.floor(maxInFlight / 2), maxInFlight - 1),
    maxQueuedBytes: positive("maxQueuedBytes", o.maxQueuedBytes ?? 1 << 20),
    sendTimeoutMs: o.sendTimeoutMs ?? 30_000,
    connectTimeoutMs: positive("connectTimeoutMs", o.connectTimeoutMs ?? 10_000),
    closeTimeoutMs: positive("closeTimeoutMs", o.closeTimeoutMs ?? 2_000),
    drainTimeoutMs: o.drainTimeoutMs ?? 10_000,
    backoff,
    random: o.random ?? Math.random,
  };
}
