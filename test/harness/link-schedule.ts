// When a chunk crosses a shaped link: pure time arithmetic (milliseconds), no sockets or timers.

/**
 * One direction of a link: a token bucket filled at `rate` bit/s, holding at most `burstBits`.
 * A chunk passes once the bucket has paid for all its bits, after every chunk offered before it.
 * With the default burst of 0 this is a plain serializer: the link sends one bit after another.
 * Kept as a virtual time (`paidUntil`) rather than a token count, so a rate change only affects
 * chunks offered after it.
 */
export class TokenBucket {
  private rate: number | null = null;
  private paidUntil = -Infinity;

  constructor(private readonly burstBits = 0) {}

  /** Bits per second, or null for no limit. */
  setRate(bitsPerSecond: number | null): void {
    if (bitsPerSecond !== null && !(bitsPerSecond > 0)) {
      throw new RangeError(`rate must be positive or null: ${bitsPerSecond}`);
    }
    this.rate = bitsPerSecond;
  }

  /** The time at which `bytes` offered at `now` have passed the bucket. */
  take(now: number, bytes: number): number {
    if (this.rate === null) return now;
    const msPerBit = 1_000 / this.rate;
    // An idle bucket holds burstBits at most: credit older than that is lost.
    const start = Math.max(this.paidUntil, now - this.burstBits * msPerBit);
    this.paidUntil = start + bytes * 8 * msPerBit;
    return Math.max(now, this.paidUntil);
  }
}

/**
 * Delivery time of a chunk: when the bucket lets it pass plus the one-way latency, but never
 * before the previous chunk of the same connection (a latency cut must not reorder bytes).
 */
export function deliveryTime(passAt: number, latencyMs: number, previous: number): number {
  return Math.max(passAt + latencyMs, previous);
}

/** The chunk cut into pieces of at most `size` bytes, as a link carries packets. */
export function segments(chunk: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < chunk.length; i += size) out.push(chunk.subarray(i, i + size));
  return out;
}
