// Strict FIFO per key, concurrency across keys. A room (the key) must see its stanzas one at a
// time in arrival order (RFC 6120 §10.1: in-order processing), while rooms run in parallel.

interface Job {
  readonly run: () => Promise<void>;
  readonly done: () => void;
}

export class KeyedSerialQueue {
  readonly #lanes = new Map<string, Job[]>();

  /** onError receives what a task threw; the lane goes on with the next task. */
  constructor(private readonly onError: (err: unknown, key: string) => void) {}

  /** Runs `task` after every earlier task of `key`; settles when it is done (never rejects). */
  push(key: string, task: () => Promise<void>): Promise<void> {
    return new Promise((done) => {
      const lane = this.#lanes.get(key);
      if (lane) lane.push({ run: task, done });
      else {
        const fresh = [{ run: task, done }];
        this.#lanes.set(key, fresh);
        void this.#drain(key, fresh);
      }
    });
  }

  /** Keys with a task running or waiting. */
  get activeKeys(): number {
    return this.#lanes.size;
  }

  async #drain(key: string, lane: Job[]): Promise<void> {
    for (let job = lane[0]; job; job = lane[0]) {
      try {
        await job.run();
      } catch (err) {
        this.onError(err, key);
      }
      lane.shift();
      job.done();
    }
    this.#lanes.delete(key);
  }
}
