// Sends each federation link's outbox as a durable BullMQ job. One job per link (its id is the
// link), so traffic of a link never overtakes itself: a failed send retries the same job with
// exponential backoff and full jitter while later traffic waits in the outbox, not in BullMQ's
// delayed set. A job whose worker dies is taken over by another worker once its lock expires.
import { Queue, Worker, type Job } from "bullmq";
import type { Cluster, Redis } from "ioredis";
import { fullJitter, type Exponential } from "@fedmuc/backoff";
import { parse, type Element } from "@fedmuc/xmpp";
import { LinkOutbox, type Link } from "./outbox.js";

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
  /** Told of failures outside a job (a later attempt still delivers). */
  readonly onError?: (err: Error, link: Link) => void;
}

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
    this.#worker = new Worker(LINK_QUEUE, (job: Job<Link>) => this.#deliver(job.data), {
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
    this.#worker.on("completed", (job: Job<Link>) => {
      this.#recheck(job.data).catch((err: Error) => options.onError?.(err, job.data));
    });
  }

  /** Starts delivering (this worker takes link jobs). */
  start(): void {
    void this.#worker.run();
  }

  /** Makes sure the link's outbox will be sent; cheap to call after every commit. */
  async kick(link: Link): Promise<void> {
    await this.#queue.add("deliver", link, {
      jobId: linkJobId(link),
      attempts: Number.MAX_SAFE_INTEGER,
      backoff: { type: "custom" },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  /** Stops taking links; waits for the links being sent unless `force` (then, like a crash). */
  async close(force = false): Promise<void> {
    await this.#worker.close(force);
    await this.#queue.close();
  }

  /** Sends the outbox in order until it is empty; what was sent is removed even on failure. */
  async #deliver(link: Link): Promise<void> {
    for (;;) {
      const entries = await this.#outbox.read(link, this.options.batch ?? 100);
      if (entries.length === 0) return;
      const sent: string[] = [];
      try {
        for (const entry of entries) {
          await this.options.send(parse(entry.stanza));
          sent.push(entry.id);
        }
      } finally {
        await this.#outbox.remove(link, sent);
      }
    }
  }

  async #recheck(link: Link): Promise<void> {
    if ((await this.#outbox.pending(link)) > 0) await this.kick(link);
  }
}
