// Bounded outbound buffering with strict FIFO order. A send settles when its bytes are handed
// to the sink (socket.write), not when the peer has them: XEP-0114 has no acknowledgements.
// The sink is written only while it accepts (write() returned true, or 'drain' since); meanwhile
// items queue here. At most `highWaterMark` bytes are admitted (plus the one item that crossed
// it); later items wait unserialized, in order, until bytes are written out. While no sink is
// attached (offline) items wait the same way. An item that waits longer than `timeoutMs` is
// rejected with SendTimeoutError and dropped from the queue.
import { SendTimeoutError, type ComponentError } from "./errors.js";

export interface Sink {
  /** Like stream.Writable.write: false asks the caller to wait for drained(). */
  write(data: string): boolean;
}

export interface OutboundQueueOptions<T> {
  readonly highWaterMark: number;
  /** 0 or Infinity: wait forever. */
  readonly timeoutMs: number;
  /** Called once per item, when it is admitted; the result's UTF-8 length is what counts. */
  readonly serialize: (item: T) => string;
}

interface Entry<T> {
  readonly item: T;
  data: string;
  bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

export class OutboundQueue<T> {
  readonly #admitted: Entry<T>[] = [];
  readonly #waiting: Entry<T>[] = [];
  #bytes = 0;
  #peak = 0;
  #sink: Sink | null = null;
  #writable = false;
  #closed: ComponentError | null = null;
  #empty: (() => void)[] = [];

  constructor(private readonly o: OutboundQueueOptions<T>) {}

  push(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const entry: Entry<T> = { item, data: "", bytes: 0, resolve, reject };
      const ms = this.o.timeoutMs;
      if (ms > 0 && Number.isFinite(ms)) entry.timer = setTimeout(() => this.#expire(entry), ms);
      this.#waiting.push(entry);
      this.#pump();
    });
  }

  /** A writable sink: start writing (a new socket accepts until it says otherwise). */
  attach(sink: Sink): void {
    this.#sink = sink;
    this.#writable = true;
    this.#pump();
  }

  /** The sink is gone (offline): keep everything, write nothing. */
  detach(): void {
    this.#sink = null;
    this.#writable = false;
  }

  /** The sink drained its buffer ('drain'). */
  drained(): void {
    if (!this.#sink) return;
    this.#writable = true;
    this.#pump();
  }

  /** Rejects everything still queued, and every later push, with `err`. */
  close(err: ComponentError): void {
    this.#closed = err;
    for (const e of [...this.#admitted, ...this.#waiting]) {
      clearTimeout(e.timer);
      e.reject(err);
    }
    this.#admitted.length = 0;
    this.#waiting.length = 0;
    this.#bytes = 0;
    this.#notifyEmpty();
  }

  /** Resolves once every pushed item has been written or rejected. */
  empty(): Promise<void> {
    if (this.stanzas + this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#empty.push(resolve));
  }

  /** Bytes admitted and not yet written: at most highWaterMark plus one item. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Highest `bytes` ever reached. */
  get peakBytes(): number {
    return this.#peak;
  }

  /** Items admitted and not yet written. */
  get stanzas(): number {
    return this.#admitted.length;
  }

  /** Items not yet admitted (the byte budget is full). */
  get waiting(): number {
    return this.#waiting.length;
  }

  #pump(): void {
    for (;;) {
      this.#admit();
      const head = this.#admitted[0];
      if (!head || !this.#writable || !this.#sink) break;
      this.#admitted.shift();
      this.#bytes -= head.bytes;
      clearTimeout(head.timer);
      this.#writable = this.#sink.write(head.data);
      head.resolve();
    }
    if (this.stanzas + this.waiting === 0) this.#notifyEmpty();
  }

  #admit(): void {
    while (this.#bytes < this.o.highWaterMark && this.#waiting.length > 0) {
      const e = this.#waiting.shift() as Entry<T>;
      try {
        e.data = this.o.serialize(e.item);
      } catch (err) {
        clearTimeout(e.timer);
        e.reject(err as Error);
        continue;
      }
      e.bytes = Buffer.byteLength(e.data, "utf8");
      this.#bytes += e.bytes;
      this.#peak = Math.max(this.#peak, this.#bytes);
      this.#admitted.push(e);
    }
  }

  #expire(e: Entry<T>): void {
    const at = this.#admitted.indexOf(e);
    if (at >= 0) {
      this.#admitted.splice(at, 1);
      this.#bytes -= e.bytes;
    } else {
      const w = this.#waiting.indexOf(e);
      if (w < 0) return;
      this.#waiting.splice(w, 1);
    }
    e.reject(new SendTimeoutError(this.o.timeoutMs));
    this.#pump();
  }

  #notifyEmpty(): void {
    const waiting = this.#empty;
    this.#empty = [];
    for (const resolve of waiting) resolve();
  }
}
