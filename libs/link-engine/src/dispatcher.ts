// Sends each federation link's outbox as a durable BullMQ job. One job per link (its id is the
// link), so traffic of a link never overtakes itself: a failed send retries the same job with
// exponential backoff and full jitter while later traffic waits in the outbox, not in BullMQ's
// delayed set. A job whose worker dies is taken over by another worker once its lock expires.
import { Queue, Worker, type Job } from "bullmq";
import type { Cluster, Redis } from "ioredis";
import { fullJitter, type Exponential } from "@fedmuc/backoff";
import { parse, type Element } from "@fedmuc/xmpp";
import { superseded } from "./coalesce.js";
import { LinkOutbox, stampedIfLate, type Link } from "./outbox.js";

export const LINK_QUEUE = "fmuc-links";

export interface DispatcherOptions {
  /** A connection for BullMQ's blocking commands (maxRetriesPerRequest must be null). */
  readonly connection: Redis | Cluster;
  /** Key prefix; on Redis Cluster it must be a hash tag, e.g. "{fedmuc-links}". */
  readonly queuePrefix: string;
  /** The room store's key prefix, where the outboxes are. */
  readonly storePrefix: string;
  /** Hands a stanza to the XMPP server; a rejection means: retry later. */
  readonly send: (stanza: Element) => Promise<void>;
  readonly retry?: Exponential;
  /** Links served at once by this worker. */
  readonly concurrency?: number;
  /** How long a worker holds a link before another may take it over if it stops renewing. */
  readonly lockMs?: number;
  /** Entries read from an outbox at a time. */
  readonly batch?: number;
  /** A message that waited longer than this in the outbox goes out with its queued time. */
  readonly stampAfterMs?: number;
  /** A link's timer is due (see schedule); a rejection retries it like a failed send. */
  readonly onTimer?: (link: Link, timer: TimerKey) => Promise<void>;
  /** Told of failures outside a job (a later attempt still delivers). */
  readonly onError?: (err: Error, link: Link) => void;
}

const DELIVER = "deliver";
const TIMER = "timer";
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

type LinkJob = Link & TimerKey;

const DEFAULT_RETRY: Exponential = { initialMs: 1_000, factor: 2, maxMs: 60_000 };

/** A job id that names the link; JIDs contain no space and BullMQ ids no ':'. */
export function linkJobId(link: Link): string {
  return `${link.room} ${link.peer}`;
}

export class LinkDispatcher {
  readonly #queue: Queue;
  readonly #worker: Worker;
  readonly #outbox: LinkOutbox;

  constructor(private readonly options: DispatcherOptions) {
    const { connection, queuePrefix: prefix } = options;
    const retry = options.retry ?? DEFAULT_RETRY;
    this.#outbox = new LinkOutbox(connection.duplicate(), options.storePrefix);
    this.#queue = new Queue(LINK_QUEUE, { connection, prefix });
    this.#worker = new Worker(LINK_QUEUE, (job: Job<LinkJob>) => this.#process(job), {
      connection: connection.duplicate(),
      prefix,
      concurrency: options.concurrency ?? 64,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.lockMs ?? 30_000,
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      autorun: false,
      settings: {
        backoffStrategy: (attempts: number) => fullJitter(attempts - 1, retry, Math.random),
      },
    });
    // Traffic committed while the job was finishing found the job still there and added none:
    // look again once it is gone.
    this.#worker.on("completed", (job: Job<LinkJob>) => {
      if (job.name !== DELIVER) return;
      this.#recheck(job.data).catch((err: Error) => options.onError?.(err, job.data));
    });
  }

  /** Starts delivering (this worker takes link jobs). */
  start(): void {
    void this.#worker.run();
  }

  /** Makes sure the link's outbox will be sent; cheap to call after every commit. */
  async kick(link: Link): Promise<void> {
    await this.#queue.add(DELIVER, link, { jobId: linkJobId(link), ...DURABLE });
  }

  /** Calls onTimer(link, timer) once, after `delayMs`, on whichever worker is up then. A join
   * timer is one per (link, joins): scheduling it again while it waits changes nothing; other
   * timers are one per due time (a periodic timer sets its next one while it runs). */
  async schedule(link: Link, timer: TimerKey, delayMs: number): Promise<void> {
    const due = timer.purpose === "join" ? "" : ` ${Date.now() + delayMs}`;
    const jobId = `timer ${timer.purpose} ${timer.joins}${due} ${linkJobId(link)}`;
    const data = { ...link, purpose: timer.purpose, joins: timer.joins };
    await this.#queue.add(TIMER, data, { jobId, delay: delayMs, ...DURABLE });
  }

  /** Stops taking links; waits for the links being sent unless `force` (then, like a crash). */
  async close(force = false): Promise<void> {
    await this.#worker.close(force);
    await this.#queue.close();
  }

  async #process(job: Job<LinkJob>): Promise<void> {
    const { room, peer, purpose, joins } = job.data;
    if (job.name === TIMER) await this.options.onTimer?.({ room, peer }, { purpose, joins });
    else await this.#deliver({ room, peer });
  }

  /** Sends the outbox in order until it is empty or the link is not up; what was sent is
   * removed even on failure. */
  async #deliver(link: Link): Promise<void> {
    for (;;) {
      if (!(await this.#outbox.sendable(link))) return;
      const entries = await this.#outbox.read(link, this.options.batch ?? 100);
      if (entries.length === 0) return;
      const sent: string[] = [];
      const stanzas = entries.map((e) => parse(e.stanza));
      // What a later presence in the batch supersedes need not cross (it is done with, too).
      const skip = superseded(stanzas);
      try {
        for (const [i, entry] of entries.entries()) {
          if (!skip.has(i)) {
            const late = this.options.stampAfterMs ?? 2_000;
            const stanza = stampedIfLate(stanzas[i]!, entry.id, link.room, Date.now(), late);
            await this.options.send(stanza);
          }
          sent.push(entry.id);
        }
      } finally {
        await this.#outbox.remove(link, sent);
      }
    }
  }

  async #recheck(link: Link): Promise<void> {
    if (!(await this.#outbox.sendable(link))) return; // the link's return kicks it
    if ((await this.#outbox.pending(link)) > 0) await this.kick(link);
  }
}
