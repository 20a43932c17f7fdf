// Sends each federation link's outbox as a durable BullMQ job. One job per link (its id is the
// link), so traffic of a link never overtakes itself: a failed send retries the same job with
// exponential backoff and full jitter while later traffic waits in the outbox, not in BullMQ's
// delayed set. A job whose worker dies is taken over by another worker once its lock expires.
// The link's timers (joins, checks, a session's acknowledgement timeout) are delayed jobs too.
// The jobs are spread over LINK_SHARDS queues by link (link.ts); every worker serves them all.
import { Queue, Worker, type Job } from "bullmq";
import type { Cluster, Redis } from "ioredis";
import { fullJitter, type Exponential } from "@fedmuc/backoff";
import type { PeerRate } from "@fedmuc/fmuc-core";
import { withSpan } from "@fedmuc/telemetry";
import type { Element } from "@fedmuc/xmpp";
import { Acknowledger } from "./acks.js";
import { Delivery } from "./delivery.js";
import { LINK_QUEUE, LINK_SHARDS, linkJobId, shardOf, shardPrefix, type Link } from "./link.js";
import { LinkOutbox } from "./outbox.js";
import { SharedRates, waitingForRate } from "./rate.js";
import { LinkSessions, type PeerAck } from "./session.js";

export { LINK_QUEUE };

export interface DispatcherOptions {
  /** A connection for BullMQ's blocking commands (maxRetriesPerRequest must be null). */
  readonly connection: Redis | Cluster;
  /** Key prefix of the first shard; on Redis Cluster a hash tag, e.g. "{fedmuc-links}", which
   * the others extend ("{fedmuc-links:1}"...; see shardPrefix). */
  readonly queuePrefix: string;
  /** The room store's key prefix, where the outboxes are. */
  readonly storePrefix: string;
  /** Hands a stanza to the XMPP server; a rejection means: retry later. */
  readonly send: (stanza: Element) => Promise<void>;
  readonly retry?: Exponential;
  /** Links served at once by this worker, shared evenly by the shards. */
  readonly concurrency?: number;
  /** How long a worker holds a link before another may take it over if it stops renewing. */
  readonly lockMs?: number;
  /** Entries read from an outbox at a time. */
  readonly batch?: number;
  /** A message that waited longer than this in the outbox goes out with its queued time. */
  readonly stampAfterMs?: number;
  /** Numbered links: how long an acknowledgement waits to ride on a stanza, and after how many
   * stanzas it goes at once; how long a sent stanza waits for one before it is sent again. */
  readonly ackDelayMs?: number;
  readonly ackEvery?: number;
  readonly ackTimeoutMs?: number;
  /** A link's timer is due (see schedule); a rejection retries it like a failed send. */
  readonly onTimer?: (link: Link, timer: TimerKey) => Promise<void>;
  /** Told of the Redis connections' errors (BullMQ's and the outboxes'; they reconnect). */
  readonly onConnectionError?: (err: Error) => void;
  /** Told of failures outside a job (a later attempt still delivers). */
  readonly onError?: (err: Error, link: Link) => void;
  /** Stanzas `first` to `last` of the link's session went again (asked for, a resumption, or a
   * timeout's probe). */
  readonly onResent?: (link: Link, first: number, last: number) => void;
  /** A stanza of the link's outbox, queued at `queuedAt` (ms), was handed to the XMPP server. */
  readonly onSent?: (link: Link, queuedAt: number) => void;
  /** The bytes per second the links to a peer service share (FMUC_PEER_RATES; rate.ts). */
  readonly peerRates?: readonly PeerRate[];
  /** The link's delivery waits `waitMs` for its service's rate. */
  readonly onRateWait?: (link: Link, waitMs: number) => void;
}

/** About how many job events each shard's event stream keeps. */
const EVENTS_KEPT = 100;

const DELIVER = "deliver";
const TIMER = "timer";
const TIMEOUT = "timeout";

/** Retried until done, with the custom backoff; gone once done. */
const DURABLE = {
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: "custom" },
  removeOnComplete: true,
  removeOnFail: true,
} as const;

/** Which timer of a link: why it was set, and the link's join count then. */
export interface TimerKey {
  readonly purpose: string;
  readonly joins: number;
}

type LinkJob = Link & TimerKey & { readonly session?: string; readonly tx?: number };

const DEFAULT_RETRY: Exponential = { initialMs: 1_000, factor: 2, maxMs: 60_000 };

export class LinkDispatcher {
  /** One queue and one worker per shard. */
  readonly #queues: Queue[];
  readonly #workers: Worker[];
  readonly #outbox: LinkOutbox;
  readonly #sessions: LinkSessions;
  readonly #acks: Acknowledger;
  readonly #delivery: Delivery;
  /** The connection of the outboxes and sessions (BullMQ has its own). */
  readonly #redis: Redis | Cluster;
  /** Links with a timeout set by this worker, and until when. */
  readonly #armed = new Map<string, number>();

  constructor(private readonly options: DispatcherOptions) {
    const { connection, queuePrefix: prefix } = options;
    const retry = options.retry ?? DEFAULT_RETRY;
    const onConnectionError = options.onConnectionError ?? (() => {});
    const redis = (this.#redis = connection.duplicate());
    redis.on("error", onConnectionError);
    const blocking = connection.duplicate();
    blocking.on("error", onConnectionError);
    this.#outbox = new LinkOutbox(redis, options.storePrefix);
    this.#sessions = new LinkSessions(redis, options.storePrefix);
    this.#acks = new Acknowledger({
      delayMs: options.ackDelayMs ?? 5_000,
      every: options.ackEvery ?? 32,
      send: options.send,
      onError: options.onError,
    });
    this.#delivery = new Delivery({
      outbox: this.#outbox,
      sessions: this.#sessions,
      acks: this.#acks,
      send: options.send,
      arm: (link, session, tx) => this.#armTimeout(link, session, tx),
      batch: options.batch ?? 100,
      stampAfterMs: options.stampAfterMs ?? 2_000,
      onResent: options.onResent,
      onSent: options.onSent,
      ...(options.peerRates?.length
        ? { rates: new SharedRates(redis, options.storePrefix, options.peerRates) }
        : {}),
    });
    const shards = Array.from({ length: LINK_SHARDS }, (_, i) => shardPrefix(prefix, i));
    // BullMQ's stream of job events is for listeners (QueueEvents), which see events as they
    // come; nothing here reads back, so it is kept short rather than 10,000 events a shard.
    const streams = { events: { maxLen: EVENTS_KEPT } };
    this.#queues = shards.map((prefix) => new Queue(LINK_QUEUE, { connection, prefix, streams }));
    const concurrency = Math.ceil((options.concurrency ?? 64) / LINK_SHARDS);
    this.#workers = shards.map(
      (prefix) =>
        new Worker(LINK_QUEUE, (job: Job<LinkJob>, token) => this.#process(job, token), {
          connection: blocking,
          prefix,
          concurrency,
          lockDuration: options.lockMs ?? 30_000,
          stalledInterval: options.lockMs ?? 30_000,
          maxStalledCount: Number.MAX_SAFE_INTEGER,
          autorun: false,
          settings: {
            backoffStrategy: (attempts: number) => fullJitter(attempts - 1, retry, Math.random),
          },
        }),
    );
    for (const queue of this.#queues) queue.on("error", onConnectionError);
    for (const worker of this.#workers) {
      worker.on("error", onConnectionError);
      // Traffic committed while the job was finishing found the job still there and added
      // none: look again once it is gone.
      worker.on("completed", (job: Job<LinkJob>) => {
        if (job.name !== DELIVER) return;
        this.#recheck(job.data).catch((err: Error) => options.onError?.(err, job.data));
      });
    }
  }

  /** Starts delivering (this worker takes link jobs). */
  start(): void {
    for (const worker of this.#workers) void worker.run();
  }

  /** Makes sure the link's outbox will be sent; cheap to call after every commit. */
  async kick(link: Link): Promise<void> {
    await this.#queueOf(link).add(DELIVER, link, { jobId: linkJobId(link), ...DURABLE });
  }

  /** Calls onTimer(link, timer) once, after `delayMs`, on whichever worker is up then. A join
   * timer is one per (link, joins): scheduling it again while it waits changes nothing; other
   * timers are one per due time (a periodic timer sets its next one while it runs). */
  async schedule(link: Link, timer: TimerKey, delayMs: number): Promise<void> {
    const due = timer.purpose === "join" ? "" : ` ${Date.now() + delayMs}`;
    const jobId = `timer ${timer.purpose} ${timer.joins}${due} ${linkJobId(link)}`;
    const data = { ...link, purpose: timer.purpose, joins: timer.joins };
    await this.#queueOf(link).add(TIMER, data, { jobId, delay: delayMs, ...DURABLE });
  }

  /** The peer has applied the session's stanzas up to `n`; `resend`: it asks for what follows. */
  async acknowledged(link: Link, ack: PeerAck): Promise<void> {
    if (await this.#sessions.acknowledged(link, ack)) await this.kick(link);
  }

  /** The room has applied `rx` of the peer's stanzas of `session`: the peer is to hear of it. */
  ackDue(link: Link, session: string, rx: number): void {
    this.#acks.due(link, session, rx);
  }

  /** Stops taking links; waits for the links being sent unless `force` (then, like a crash). */
  async close(force = false): Promise<void> {
    this.#acks.close();
    await Promise.all(this.#workers.map((w) => w.close(force)));
    await Promise.all(this.#queues.map((q) => q.close()));
    if (force) this.#redis.disconnect();
    else await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #queueOf(link: Link): Queue {
    return this.#queues[shardOf(link)]!;
  }

  async #process(job: Job<LinkJob>, token?: string): Promise<void> {
    const { room, peer, purpose, joins, session, tx } = job.data;
    if (job.name === DELIVER) {
      const link = { room, peer };
      const onWait = (ms: number) => this.options.onRateWait?.(link, ms);
      return waitingForRate(job, token, () => this.#delivery.run(link), onWait);
    }
    // A timer's span: what it leads to (a join, a check, a probe sent again) is under it.
    const attributes = {
      "fedmuc.room": room,
      "fedmuc.link.peer": peer,
      "fedmuc.link.timer": purpose,
    };
    await withSpan(`fedmuc.link.${job.name}`, { attributes }, () =>
      job.name === TIMER
        ? (this.options.onTimer?.({ room, peer }, { purpose, joins }) ?? Promise.resolve())
        : this.#timedOut({ room, peer }, session!, tx!),
    );
  }

  /** After `ackTimeoutMs`, what the peer has not acknowledged of stanzas up to `tx` goes again. */
  async #armTimeout(link: Link, session: string, tx: number): Promise<void> {
    const id = linkJobId(link);
    if ((this.#armed.get(id) ?? 0) > Date.now()) return;
    const delay = this.options.ackTimeoutMs ?? 30_000;
    this.#armed.set(id, Date.now() + delay);
    const data = { ...link, purpose: TIMEOUT, joins: 0, session, tx };
    const jobId = `timeout ${tx} ${id}`;
    await this.#queueOf(link).add(TIMEOUT, data, { jobId, delay, ...DURABLE });
  }

  async #timedOut(link: Link, session: string, tx: number): Promise<void> {
    this.#armed.delete(linkJobId(link));
    // A link that is not up probes nothing: its return resumes from the peer's count.
    if (!(await this.#outbox.sendable(link))) return;
    const after = await this.#sessions.timedOut(link, session, tx);
    if (after.resend) await this.kick(link);
    // Acknowledged meanwhile, but not all of it: wait for the rest.
    else if (after.acked < after.tx) await this.#armTimeout(link, session, after.tx);
  }

  async #recheck(link: Link): Promise<void> {
    if (!(await this.#outbox.sendable(link))) return; // the link's return kicks it
    const waiting =
      (await this.#outbox.pending(link)) > 0 || (await this.#sessions.resending(link));
    if (waiting) await this.kick(link);
  }
}
