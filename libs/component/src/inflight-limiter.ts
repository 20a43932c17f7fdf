// Bounded in-flight work with hysteresis. At most `limit` items run at once; items beyond wait
// in a FIFO backlog (what the source had already read). When running + waiting reaches `limit`
// the source is paused, and it is resumed once that falls to `lowWater`.

export interface InflightLimiterOptions<T> {
  readonly limit: number;
  readonly lowWater: number;
  /** Handles one item; a rejection is the caller's to log, the limiter only counts. */
  readonly run: (item: T) => Promise<void>;
  readonly pause: () => void;
  readonly resume: () => void;
}

export class InflightLimiter<T> {
  #running = 0;
  #paused = false;
  readonly #backlog: T[] = [];
  #idle: (() => void)[] = [];

  constructor(private readonly o: InflightLimiterOptions<T>) {}

  push(item: T): void {
    if (this.#running < this.o.limit) this.#start(item);
    else this.#backlog.push(item);
    this.#watermarks();
  }

  get running(): number {
    return this.#running;
  }

  get backlog(): number {
    return this.#backlog.length;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (this.#running + this.#backlog.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #start(item: T): void {
    this.#running++;
    let work: Promise<void>;
    try {
      work = this.o.run(item);
    } catch (err) {
      work = Promise.reject(err);
    }
    work.catch(() => {}).finally(() => this.#finished());
  }

  #finished(): void {
    this.#running--;
    while (this.#running < this.o.limit && this.#backlog.length > 0) {
      this.#start(this.#backlog.shift() as T);
    }
    this.#watermarks();
    if (this.#running + this.#backlog.length === 0) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    }
  }

  #watermarks(): void {
    const load = this.#running + this.#backlog.length;
    if (!this.#paused && load >= this.o.limit) {
      this.#paused = true;
      this.o.pause();
    } else if (this.#paused && load <= this.o.lowWater) {
      this.#paused = false;
      this.o.resume();
    }
  }
}
