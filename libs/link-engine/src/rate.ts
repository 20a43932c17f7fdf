// The rate a peer service's links share over their one S2S path (FMUC_PEER_RATES;
// libs/fmuc-core/README.md "Rate and priority on a shared path"): one token bucket per peer
// service in Redis (bucket.lua), shared by every worker. A payment at a lower priority may take
// only what lies above a reserve kept for the higher ones; the backlog takes turns across links,
// a quantum at a time. A link that cannot pay waits as a delayed job (no slot held, no sleep),
// for as long as the bucket says. Links to a service without a rate never come here.
import { readFileSync } from "node:fs";
import { DelayedError, type Job } from "bullmq";
import type { Cluster, Redis } from "ioredis";
import { rateFor, type PeerRate } from "@fedmuc/fmuc-core";
import { serviceOf } from "@fedmuc/muc-core";
import { linkJobId, type Link } from "./link.js";
import type { Priority } from "./priority.js";

/** A peer service's bucket: bytes per second, the burst it holds, the reserve below which each
 * priority may not take, and the most one payment of the backlog takes in its turn. */
export interface BucketShape {
  readonly rate: number;
  readonly burst: number;
  readonly reserve: Readonly<Record<Priority, number>>;
  readonly quantum: number;
}

/** Two seconds of the rate: half kept for live traffic (a quarter for live messages alone); a
 * backlog turn takes at most the half above that, a second of the rate. */
export function bucketShape(rate: number): BucketShape {
  const burst = 2 * rate;
  return {
    rate,
    burst,
    reserve: { message: 0, presence: burst / 4, backlog: burst / 2 },
    quantum: burst / 2,
  };
}

/** What a delivery round adds to a stanza of the outbox (numbering, acknowledgement, queued
 * time, trace context): a payment counts it on top of the stanza, so as not to pay too little. */
export const ROUND_ADDS_BYTES = 150;

/** The bytes a stanza (as text) is paid for. */
export const paidBytes = (stanza: string): number => Buffer.byteLength(stanza) + ROUND_ADDS_BYTES;

/** One stanza to pay for: its priority and bytes (0 for one that does not go). */
export interface Payable {
  readonly priority: Priority;
  readonly bytes: number;
}

/** The first of `items` (in order) that one payment covers: of one priority, up to `quantum`
 * bytes, at least one; what does not go (0 bytes) joins whichever payment comes first. */
export function firstPayment(items: readonly Payable[], quantum: number) {
  const priority = items.find((i) => i.bytes > 0)?.priority ?? "message";
  let count = 0;
  let bytes = 0;
  for (const item of items) {
    if (item.bytes > 0 && item.priority !== priority) break;
    if (count > 0 && bytes + item.bytes > quantum) break;
    bytes += item.bytes;
    count++;
  }
  return { count, priority, bytes };
}

/** The bucket cannot pay yet: the link's job waits `waitMs` (ms), then tries again. */
export class RateLimited extends Error {
  constructor(readonly waitMs: number) {
    super(`rate-limited for ${waitMs} ms`);
    this.name = "RateLimited";
  }
}

type Scripted = (Redis | Cluster) & {
  fedmucBucket(...keysThenArgv: string[]): Promise<number>;
};

export class SharedRates {
  readonly #redis: Scripted;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly rates: readonly PeerRate[],
    /** Tests only: the clock the buckets run on (default: Redis's own). */
    private readonly clock?: () => number,
  ) {
    const lua = readFileSync(new URL("./bucket.lua", import.meta.url), "utf8");
    redis.defineCommand("fedmucBucket", { numberOfKeys: 2, lua });
    this.#redis = redis as Scripted;
  }

  /** The bucket of the link's peer service; undefined when it has no rate (no Redis asked). */
  shapeOf(link: Link): BucketShape | undefined {
    const rate = rateFor(this.rates, serviceOf(link.peer));
    return rate === undefined ? undefined : bucketShape(rate);
  }

  /** Pays `bytes` at `priority` for the link from its service's bucket, or throws RateLimited. */
  async pay(link: Link, shape: BucketShape, priority: Priority, bytes: number): Promise<void> {
    const waitMs = await this.charge(link, shape, priority, bytes);
    if (waitMs > 0) throw new RateLimited(waitMs);
  }

  /** Pays `bytes` at `priority` for the link from its service's bucket: 0 when paid, else the
   * ms to wait before asking again. */
  async charge(link: Link, shape: BucketShape, priority: Priority, bytes: number): Promise<number> {
    // One hash tag per service: the bucket and its turns share a slot on a cluster.
    const base = `${this.prefix}{rate:${serviceOf(link.peer)}}`;
    return this.#redis.fedmucBucket(
      base,
      `${base}:turns`,
      String(shape.rate),
      String(shape.burst),
      String(shape.reserve[priority]),
      String(bytes),
      priority === "backlog" ? "1" : "0",
      linkJobId(link),
      this.clock ? String(this.clock()) : "",
    );
  }
}

/** Runs a link's delivery `round`; if the rate stops it, the job waits as long as the bucket
 * says (BullMQ's delayed set, its slot free meanwhile) and `onWait` hears of it. */
export async function waitingForRate(
  job: Job,
  token: string | undefined,
  round: () => Promise<void>,
  onWait?: (waitMs: number) => void,
): Promise<void> {
  try {
    await round();
  } catch (err) {
    if (!(err instanceof RateLimited)) throw err;
    onWait?.(err.waitMs);
    await job.moveToDelayed(Date.now() + err.waitMs, token);
    throw new DelayedError();
  }
}
