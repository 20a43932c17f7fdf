import { afterEach, describe, expect, it, vi } from "vitest";
import { SendTimeoutError, StoppedError } from "./errors.js";
import { OutboundQueue, type Sink } from "./outbound-queue.js";

/** A sink like a socket: buffers what it is given, asks to wait above its own high-water mark. */
class FakeSocket implements Sink {
  buffered = 0;
  maxBuffered = 0;
  written: string[] = [];
  constructor(private readonly hwm: number) {}
  write(data: string): boolean {
    this.written.push(data);
    this.buffered += Buffer.byteLength(data);
    this.maxBuffered = Math.max(this.maxBuffered, this.buffered);
    return this.buffered < this.hwm;
  }
  /** The kernel took everything: like 'drain'. */
  flush(): void {
    this.buffered = 0;
  }
}

const settled = async <T>(p: Promise<T>): Promise<"resolved" | "rejected" | "pending"> => {
  let state: "resolved" | "rejected" | "pending" = "pending";
  p.then(
    () => (state = "resolved"),
    () => (state = "rejected"),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};

const queue = (highWaterMark: number, timeoutMs = 0) =>
  new OutboundQueue<string>({ highWaterMark, timeoutMs, serialize: (s) => s });

afterEach(() => vi.useRealTimers());

describe("OutboundQueue", () => {
  it("writes at once while the sink accepts, and resolves each send when written", async () => {
    const q = queue(100);
    const sink = new FakeSocket(1_000);
    q.attach(sink);
    const sends = ["<a/>", "<b/>"].map((s) => q.push(s));
    expect(sink.written).toEqual(["<a/>", "<b/>"]);
    await Promise.all(sends);
    expect(q.bytes).toBe(0);
  });

  it("stops writing when the sink says false, resumes on drained(), in order", async () => {
    const q = queue(1_000);
    const sink = new FakeSocket(10);
    q.attach(sink);
    const sends = Array.from({ length: 10 }, (_, i) => q.push(`<m${i}/>`)); // 5 bytes each
    expect(sink.written).toHaveLength(2); // the second write crossed the sink's mark
    expect(await settled(sends[1]!)).toBe("resolved");
    expect(await settled(sends[2]!)).toBe("pending");
    expect(q.stanzas).toBe(8);
    expect(q.bytes).toBe(40);
    while (sink.written.length < 10) {
      sink.flush();
      q.drained();
    }
    await Promise.all(sends);
    expect(sink.written).toEqual(Array.from({ length: 10 }, (_, i) => `<m${i}/>`));
  });

  it("admits at most highWaterMark bytes plus one item; later sends wait unserialized", async () => {
    const serialize = vi.fn((s: string) => s);
    const q = new OutboundQueue<string>({ highWaterMark: 100, timeoutMs: 0, serialize });
    const sink = new FakeSocket(1);
    q.attach(sink);
    const item = "x".repeat(30);
    const sends = Array.from({ length: 50 }, () => q.push(item));
    // One went to the sink; then 30+30+30+30 = 120 admitted (the fourth crossed 100).
    expect(q.bytes).toBe(120);
    expect(q.stanzas).toBe(4);
    expect(q.waiting).toBe(45);
    expect(serialize).toHaveBeenCalledTimes(5);
    let peak = 0;
    while (sink.written.length < 50) {
      sink.flush();
      q.drained();
      peak = Math.max(peak, q.bytes);
    }
    await Promise.all(sends);
    expect(peak).toBeLessThanOrEqual(100 + 30);
    expect(q.peakBytes).toBe(120);
    expect(sink.maxBuffered).toBe(30); // one item past the sink's mark, never more
  });

  it("counts UTF-8 bytes, not UTF-16 units", () => {
    const q = queue(1_000);
    void q.push("é😀"); // 2 + 4 bytes
    expect(q.bytes).toBe(6);
  });

  it("holds sends while offline and flushes them in order on attach", async () => {
    const q = queue(1_000);
    const sends = ["<1/>", "<2/>", "<3/>"].map((s) => q.push(s));
    expect(await settled(sends[0]!)).toBe("pending");
    const first = new FakeSocket(1_000);
    q.attach(first);
    await Promise.all(sends);
    q.detach(); // connection lost
    const later = q.push("<4/>");
    expect(await settled(later)).toBe("pending");
    const second = new FakeSocket(1_000);
    q.attach(second);
    await later;
    expect([first.written, second.written]).toEqual([["<1/>", "<2/>", "<3/>"], ["<4/>"]]);
  });

  it("rejects a send that waited too long with SendTimeoutError, and keeps the others in order", async () => {
    vi.useFakeTimers();
    const q = queue(10, 1_000);
    const a = q.push("<aaaaaaaa/>"); // admitted
    vi.advanceTimersByTime(500);
    const b = q.push("<b/>"); // waiting: the budget is full
    const checkA = expect(a).rejects.toBeInstanceOf(SendTimeoutError);
    vi.advanceTimersByTime(500);
    await checkA;
    expect(q.bytes).toBe(4); // b admitted in a's place
    const sink = new FakeSocket(1_000);
    q.attach(sink);
    await b;
    expect(sink.written).toEqual(["<b/>"]);
    await expect(a).rejects.toMatchObject({ code: "COMPONENT_SEND_TIMEOUT" });
  });

  it("close() rejects everything queued and every later send", async () => {
    const q = queue(5);
    const sends = ["<aaaa/>", "<b/>"].map((s) => q.push(s));
    const empty = q.empty();
    q.close(new StoppedError());
    for (const s of sends) await expect(s).rejects.toBeInstanceOf(StoppedError);
    await expect(q.push("<c/>")).rejects.toMatchObject({ code: "COMPONENT_STOPPED" });
    await empty;
    expect([q.bytes, q.stanzas, q.waiting]).toEqual([0, 0, 0]);
  });

  it("empty() resolves once everything has been written", async () => {
    const q = queue(100);
    const sink = new FakeSocket(1);
    q.attach(sink);
    void q.push("<a/>");
    void q.push("<b/>");
    const empty = q.empty();
    expect(await settled(empty)).toBe("pending");
    sink.flush();
    q.drained();
    expect(await settled(empty)).toBe("resolved");
  });
});
