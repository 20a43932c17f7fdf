// @fedmuc/component against a real Prosody (XEP-0114) and real c2s clients: UTF-8 integrity,
// reconnect backoff, <conflict/> handling, outbound backpressure, bounded in-flight inbound work.
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import {
  ComponentConnection,
  type ComponentOptions,
  type ComponentStatus,
  type RetryInfo,
} from "@fedmuc/component";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { connectClient, xml, type Element, type TestClient } from "../harness/client.js";
import { freePort } from "../harness/ports.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";

const SECRET = "s3cret";
const NAMES = ["echo", "reconnect", "conflict", "backpressure", "inflight"] as const;
const domainOf = (name: (typeof NAMES)[number]): string => `${name}.localhost`;

let prosody: ProsodyHandle;
let bob: TestClient;
const connections: ComponentConnection[] = [];

beforeAll(async () => {
  prosody = await startProsody({
    components: NAMES.map((n) => ({ domain: domainOf(n), secret: SECRET })),
    users: [{ user: "bob", password: "bob-pw" }],
  });
  bob = await connectClient({
    port: prosody.c2sPort,
    domain: prosody.domain,
    username: "bob",
    password: "bob-pw",
  });
});

afterAll(async () => {
  await bob?.stop();
  await prosody?.stop();
});

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.stop()));
});

/** A component connection to Prosody, stopped after the test. */
function component(
  name: (typeof NAMES)[number],
  opts: Partial<ComponentOptions> = {},
): ComponentConnection {
  const c = new ComponentConnection({
    service: `xmpp://127.0.0.1:${prosody.componentPort}`,
    domain: domainOf(name),
    password: SECRET,
    handler: async () => {},
    ...opts,
  });
  connections.push(c);
  return c;
}

async function online(c: ComponentConnection): Promise<void> {
  if (!c.online) await once(c, "online");
}

/** Resolves at the n-th "reconnecting" event from now on. */
function retried(c: ComponentConnection, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const count = (): void => {
      if (++seen < n) return;
      c.off("reconnecting", count);
      resolve();
    };
    c.on("reconnecting", count);
  });
}

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

/** The index of the first differing UTF-16 unit, or -1: readable where toBe would dump 64 KiB. */
function firstDifference(a: string, b: string): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Mixed scripts up to `bytes` of UTF-8: 1- to 4-byte code points, ZWJ sequences, flags. */
function mixedText(bytes: number, prefix: string): string {
  const parts = [
    "Latin & <escaped> 'text' ",
    "Кириллица ",
    "漢字とかな 한국어 ",
    "العربية ",
    "😀 ",
    "👩‍👩‍👧‍👦 ",
    "🏳️‍🌈 ",
    "🇫🇷 ",
    "𝄞𠜎 ",
  ];
  let text = prefix;
  for (let i = 0, n = 0; n < bytes; i++) {
    text += parts[i % parts.length];
    n += Buffer.byteLength(parts[i % parts.length]!);
  }
  return text;
}

/** A TCP relay to Prosody's component port that can refuse and cut connections. */
async function startRelay(target: number) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const relay = (client: Socket): void => {
    const upstream = connect(target, "127.0.0.1");
    const cut = (): void => void [client, upstream].forEach((s) => s.destroy());
    for (const s of [client, upstream]) sockets.add(s.on("error", cut));
    client.pipe(upstream).pipe(client); // ends travel through, data first
  };
  const listen = async (): Promise<void> => {
    server = createServer(relay).listen(port, "127.0.0.1");
    await once(server, "listening");
  };
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise((resolve) => server?.close(resolve));
  };
  await listen();
  return { port, listen, close };
}

describe("component connection through Prosody", () => {
  it("carries 64 KiB of mixed scripts byte-exact both ways", async () => {
    const seen: string[] = [];
    const c: ComponentConnection = component("echo", {
      handler: async (s: Element) => {
        const body = s.getChildText("body");
        if (!s.is("message") || body === null) return;
        seen.push(body);
        await c.send(
          xml(
            "message",
            { to: s.attrs.from, from: s.attrs.to, id: s.attrs.id },
            xml("body", {}, body),
          ),
        );
      },
    });
    c.start();
    await online(c);
    // Three alignments, so that TCP reads cut through code points at different places.
    const texts = ["", "a", "ab"].map((prefix) => mixedText(64 * 1024, prefix));
    for (const [i, text] of texts.entries()) {
      const id = `utf8-${i}`;
      await bob.send(xml("message", { to: `echo@${domainOf("echo")}`, id }, xml("body", {}, text)));
      const echo = await bob.waitFor((el) => el.attrs.id === id, 10_000);
      expect(firstDifference(seen[i]!, text), "component received").toBe(-1);
      expect(firstDifference(echo.getChildText("body") ?? "", text), "client received").toBe(-1);
    }
    expect(c.metrics().bytesIn).toBeGreaterThan(3 * 64 * 1024);
  });

  it("reconnects with growing, jittered delays and comes back online", async () => {
    const relay = await startRelay(prosody.componentPort);
    try {
      const draws = [0.9, 0.6, 0.8, 0.7, 0.5];
      const c = component("reconnect", {
        service: `xmpp://127.0.0.1:${relay.port}`,
        backoff: { initialMs: 80, factor: 2, maxMs: 2_000, stableAfterMs: 60_000 },
        random: () => draws.shift() ?? 0.5,
      });
      const retries: (RetryInfo & { at: number })[] = [];
      const attempts: number[] = [];
      c.on("reconnecting", (info) => retries.push({ ...info, at: performance.now() }));
      c.on("status", (s) => void (s === "connecting" && attempts.push(performance.now())));
      c.start();
      await online(c);

      const fourRetries = retried(c, 4);
      await relay.close(); // the session is cut and new connections are refused
      await fourRetries;
      await relay.listen();
      await once(c, "online");

      // Full jitter over caps 80, 160, 320, 640 with the draws above.
      expect(retries.map((r) => r.delayMs)).toEqual([72, 96, 256, 448]);
      expect(retries.every((r) => r.kind === "transient")).toBe(true);
      // Each attempt started after its delay, not earlier (nor much later).
      for (const [i, r] of retries.entries()) {
        const waited = attempts[i + 1]! - r.at;
        expect(waited).toBeGreaterThanOrEqual(r.delayMs - 2);
        expect(waited).toBeLessThan(r.delayMs + 1_000);
      }
      expect(c.metrics().reconnects).toBe(4);
    } finally {
      await relay.close();
    }
  });

  it("a second connection of one name gets <conflict/>, backs off, takes over later", async () => {
    const first = component("conflict");
    first.start();
    await online(first);

    const second = component("conflict", {
      backoff: { conflictFloorMs: 100, factor: 2, maxMs: 1_000 },
      random: () => 0.5,
    });
    const attempts: number[] = [];
    const retries: RetryInfo[] = [];
    const statuses: ComponentStatus[] = [];
    second.on("status", (s) => {
      statuses.push(s);
      if (s === "connecting") attempts.push(performance.now());
    });
    second.on("reconnecting", (info) => retries.push(info));
    const fourRetries = retried(second, 4);
    second.start();
    await fourRetries;

    expect(retries.map((r) => [r.kind, r.delayMs])).toEqual([
      ["conflict", 150], // floor 100 + 0.5 * 100
      ["conflict", 200], // 100 + 0.5 * 200
      ["conflict", 300], // 100 + 0.5 * 400
      ["conflict", 500], // 100 + 0.5 * min(900, 800)
    ]);
    // In the first 600 ms: attempts at 0, ~150 and ~350 ms (later under load), the next one at
    // ~650 ms. A loop without backoff makes hundreds; the gaps below tell a fixed delay apart.
    const early = attempts.filter((t) => t - attempts[0]! < 600).length;
    expect(early).toBeGreaterThanOrEqual(2);
    expect(early).toBeLessThanOrEqual(3);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(retries[i]!.delayMs - 2));
    expect(second.status).toBe("conflict");
    expect(second.online).toBe(false);
    expect(statuses).not.toContain("online");
    expect(first.online).toBe(true); // kick_new: the holder is left alone
    expect(second.metrics().conflicts).toBe(4);

    await first.stop();
    await once(second, "online");
    expect(retries).toHaveLength(4);
  });

  it("bounds queued bytes while Prosody is stopped, then delivers everything", async () => {
    const maxQueuedBytes = 256 * 1024;
    const c = component("backpressure", { maxQueuedBytes, sendTimeoutMs: 60_000 });
    c.start();
    await online(c);
    const payload = "x".repeat(64 * 1024);
    // Headlines to a user that does not exist: Prosody parses and drops them.
    const burst = () =>
      xml(
        "message",
        { to: `nobody@${prosody.domain}`, type: "headline" },
        xml("body", {}, payload),
      );
    const sample = burst();
    sample.attrs.from = domainOf("backpressure"); // as send() stamps it
    const stanzaBytes = Buffer.byteLength(sample.toString());
    const count = 160; // 10 MiB: the kernel buffers on both ends take about 4 MiB here
    let settled = 0;
    let maxSocketBuffered = 0;

    prosody.pause();
    try {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        sends.push(c.send(burst()).finally(() => settled++));
        maxSocketBuffered = Math.max(maxSocketBuffered, c.metrics().socketBufferedBytes);
      }
      // Nothing to await while the peer reads nothing: watch a while that nothing moves on.
      const watch = setInterval(() => {
        maxSocketBuffered = Math.max(maxSocketBuffered, c.metrics().socketBufferedBytes);
      }, 10);
      await new Promise((resolve) => setTimeout(resolve, 300));
      clearInterval(watch);
      const m = c.metrics();
      expect(count - settled).toBeGreaterThan(count / 4); // some 4 MiB can have gone
      expect(m.waitingSends).toBeGreaterThan(0);
      expect(m.queuedBytes).toBeGreaterThanOrEqual(maxQueuedBytes);
      expect(m.queuedBytesPeak).toBeLessThanOrEqual(maxQueuedBytes + stanzaBytes);
      expect(maxSocketBuffered).toBeLessThanOrEqual(16 * 1024 + stanzaBytes);
      prosody.resume();
      await Promise.all(sends);
    } finally {
      prosody.resume();
    }
    expect(c.metrics().queuedBytesPeak).toBeLessThanOrEqual(maxQueuedBytes + stanzaBytes);
    await c.send(xml("message", { to: bob.jid, id: "after-burst" }, xml("body", {}, "done")));
    const last = await bob.waitFor((el) => el.attrs.id === "after-burst", 10_000);
    expect(last.attrs.from).toBe(domainOf("backpressure"));
  });

  it("keeps at most maxInFlight stanzas in flight and each room in order", async () => {
    const maxInFlight = 8;
    const rooms = 40;
    const perRoom = 5;
    const gate = signal();
    const full = signal();
    const allHandled = signal();
    let running = 0;
    let maxRunning = 0;
    let handled = 0;
    const busyRooms = new Set<string>();
    let overlap = false;
    const order = new Map<string, number[]>();
    const c = component("inflight", {
      maxInFlight,
      handler: async (s) => {
        const room = s.attrs.to!;
        overlap ||= busyRooms.has(room);
        busyRooms.add(room);
        maxRunning = Math.max(maxRunning, ++running);
        if (running === maxInFlight) full.fire();
        await gate.promise;
        order.set(room, [...(order.get(room) ?? []), Number(s.getChildText("body"))]);
        running--;
        busyRooms.delete(room);
        if (++handled === rooms * perRoom) allHandled.fire();
      },
    });
    c.start();
    await online(c);

    for (let seq = 0; seq < perRoom; seq++) {
      for (let r = 0; r < rooms; r++) {
        const to = `room${r}@${domainOf("inflight")}`;
        void bob.send(xml("message", { to, type: "chat" }, xml("body", {}, String(seq))));
      }
    }
    // Prosody handles one client's stanzas in order: once it answers this ping, it has routed
    // all the messages above to the component.
    const ping = xml("ping", { xmlns: "urn:xmpp:ping" });
    await bob.send(xml("iq", { type: "get", id: "ping-1", to: prosody.domain }, ping));
    await bob.waitFor((el) => el.attrs.id === "ping-1");
    await full.promise;
    expect(c.metrics()).toMatchObject({ inFlight: maxInFlight, readingPaused: 1 });
    expect(maxRunning).toBe(maxInFlight);
    expect(handled).toBe(0);

    gate.fire();
    await allHandled.promise;
    expect(maxRunning).toBe(maxInFlight);
    expect(overlap).toBe(false);
    expect(order.size).toBe(rooms);
    for (const seqs of order.values()) expect(seqs).toEqual([0, 1, 2, 3, 4]);
    await vi.waitFor(() => expect(c.metrics()).toMatchObject({ inFlight: 0, readingPaused: 0 }));
  });
});
