// The shell against an in-process XEP-0114 server on a socket (test/harness): handshake, typed
// stream errors, reconnect, UTF-8 split across reads, inbound pause and drain. Prosody runs in
// test/e2e.
import { once } from "node:events";
import { xml, type Element } from "@fedmuc/xmpp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeComponentServer } from "../../../test/harness/fake-component-server.js";
import { ComponentConnection, type ComponentStatus } from "./connection.js";
import { ConflictError, DrainTimeoutError, StoppedError } from "./errors.js";
import type { ComponentOptions } from "./options.js";

const DOMAIN = "rooms.test";
const SECRET = "s3cret";

/** A fake server of DOMAIN with SECRET. */
const startServer = () => FakeComponentServer.start({ domain: DOMAIN, secret: SECRET });

let server: FakeComponentServer;
const connections: ComponentConnection[] = [];

function make(opts: Partial<ComponentOptions> = {}): ComponentConnection {
  const c = new ComponentConnection({
    service: server.service,
    domain: DOMAIN,
    password: SECRET,
    handler: async () => {},
    backoff: { initialMs: 20, factor: 2, maxMs: 200, conflictFloorMs: 50 },
    ...opts,
  });
  connections.push(c);
  return c;
}

function connect(opts: Partial<ComponentOptions> = {}): ComponentConnection {
  const c = make(opts);
  c.start();
  return c;
}

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.stop()));
  await server?.stop();
});

describe("ComponentConnection on a socket", () => {
  it("handshakes, goes online, stamps `from` on what it sends", async () => {
    server = await startServer();
    const c = make();
    const seen: ComponentStatus[] = [];
    c.on("status", (s) => seen.push(s));
    c.start();
    await once(c, "online");
    expect(seen).toEqual(["connecting", "online"]);
    expect(c.online).toBe(true);
    await c.send(xml("message", { to: "a@b" }, xml("body", {}, "hi")));
    await vi.waitFor(() => expect(server.received[0]).toContain("<body>hi</body>"));
    expect(server.received[0]).toContain(`from="${DOMAIN}"`);
    expect(c.metrics()).toMatchObject({ stanzasOut: 1, online: 1, queuedBytes: 0 });
  });

  it("decodes a code point split across two TCP reads", async () => {
    server = await startServer();
    const bodies: string[] = [];
    const c = connect({ handler: async (s) => void bodies.push(s.getChildText("body") ?? "") });
    await once(c, "online");
    const text = "é 漢 😀 👩‍👧";
    const bytes = Buffer.from(
      `<message to='r@${DOMAIN}' from='u@x'><body>${text}</body></message>`,
    );
    const cut = bytes.indexOf(Buffer.from("😀")) + 2; // inside the 4-byte code point
    const before = c.metrics().bytesIn;
    server.last.write(bytes.subarray(0, cut));
    await vi.waitFor(() => expect(c.metrics().bytesIn).toBe(before + cut)); // read on its own
    server.last.write(bytes.subarray(cut));
    await vi.waitFor(() => expect(bodies).toEqual([text]));
  });

  it("reports <conflict/> as such, stays not-online, retries no sooner than the floor", async () => {
    server = await startServer();
    server.mode = "conflict";
    const c = connect();
    const conflicts: ConflictError[] = [];
    c.on("conflict", (e) => conflicts.push(e));
    const retry = await once(c, "reconnecting");
    expect(retry[0]).toMatchObject({ kind: "conflict", attempt: 1 });
    expect(retry[0].delayMs).toBeGreaterThanOrEqual(50);
    expect(c.status).toBe("conflict");
    expect(c.online).toBe(false);
    expect(conflicts[0]).toBeInstanceOf(ConflictError);
    server.mode = "accept"; // the other holder went away
    await once(c, "online");
    expect(c.metrics()).toMatchObject({ conflicts: 1, reconnects: 1, streamErrors: 1 });
  });

  it("a wrong secret is logged naming XMPP_COMPONENT_SECRET and retried at the longest delay", async () => {
    server = await startServer();
    const errors: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_: object, m?: string) => void errors.push(m ?? ""),
    };
    const c = connect({ password: "wrong", logger });
    const [info] = await once(c, "reconnecting");
    expect(info).toMatchObject({ kind: "config" });
    expect(info.delayMs).toBeGreaterThanOrEqual(100); // maxMs / 2
    expect(c.status).toBe("rejected");
    expect(errors.join()).toContain("XMPP_COMPONENT_SECRET");
  });

  it("reconnects after a loss and flushes, in order, what was sent meanwhile", async () => {
    server = await startServer();
    const c = connect({ random: () => 0.99 }); // ~20 ms to wait
    await once(c, "online");
    server.last.destroy();
    await once(c, "reconnecting");
    expect(c.status).toBe("waiting");
    const sends = [1, 2, 3].map((i) => c.send(xml("message", { to: "a@b", id: `m${i}` })));
    expect(c.metrics().queuedStanzas).toBe(3);
    await once(c, "online");
    await Promise.all(sends);
    await vi.waitFor(() => expect(server.received[1]).toMatch(/id="m1".*id="m2".*id="m3"/));
  });

  it("answers the server's </stream:stream> with its own, closes TCP, reconnects", async () => {
    server = await startServer();
    const c = connect();
    await once(c, "online");
    const first = server.last;
    const ended = once(first, "end");
    first.write("</stream:stream>");
    await ended;
    expect(server.received[0]).toBe("</stream:stream>");
    await once(c, "online");
    expect(server.sockets).toHaveLength(2);
  });

  it("pauses reading at maxInFlight and resumes once handlers finish", async () => {
    server = await startServer();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const handled: string[] = [];
    const c = connect({
      maxInFlight: 2,
      handler: async (s) => {
        await gate;
        handled.push(s.attrs.id!);
      },
    });
    await once(c, "online");
    server.last.write(
      Array.from({ length: 10 }, (_, i) => `<message to='r${i}@${DOMAIN}' id='${i}'/>`).join(""),
    );
    await vi.waitFor(() => expect(c.metrics().stanzasIn).toBe(10)); // one read, one chunk
    expect(c.metrics()).toMatchObject({ inFlight: 2, inboundBacklog: 8, readingPaused: 1 });
    open();
    await vi.waitFor(() => expect(handled).toHaveLength(10));
    expect(c.metrics()).toMatchObject({ inFlight: 0, readingPaused: 0 });
  });

  it("drain() finishes in-flight handlers, flushes their replies, closes the stream", async () => {
    server = await startServer();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const c: ComponentConnection = connect({
      handler: async (s: Element) => {
        await gate;
        await c.send(xml("message", { to: s.attrs.from, id: "reply" }));
      },
    });
    await once(c, "online");
    server.last.write(`<message to='r@${DOMAIN}' from='u@x' id='q'/>`);
    await vi.waitFor(() => expect(c.metrics().inFlight).toBe(1));
    const drained = c.drain(5_000);
    expect(c.status).toBe("draining");
    expect(c.online).toBe(false);
    open();
    await drained;
    expect(server.received[0]).toMatch(/id="reply".*<\/stream:stream>$/);
    expect(c.status).toBe("offline");
    await expect(c.send(xml("message"))).rejects.toBeInstanceOf(StoppedError);
  });

  it("hands what it reads after closing its stream to onLate, or else counts it dropped", async () => {
    server = await startServer();
    server.beforeClose = `<message to='r@${DOMAIN}' from='u@x' id='late'/>`;
    const late: Element[] = [];
    const handed = connect({ onLate: async (s) => void late.push(s) });
    await once(handed, "online");
    await handed.drain(1_000);
    expect(late.map((s) => s.attrs.id)).toEqual(["late"]);
    expect(handed.metrics()).toMatchObject({ stanzasHandedOff: 1, stanzasDropped: 0 });
    const dropping = connect();
    await once(dropping, "online");
    await dropping.drain(1_000);
    expect(dropping.metrics()).toMatchObject({ stanzasHandedOff: 0, stanzasDropped: 1 });
  });

  it("drain() gives up after its timeout, closes anyway, and says so", async () => {
    server = await startServer();
    const c = connect({ handler: () => new Promise(() => {}), closeTimeoutMs: 100 });
    await once(c, "online");
    server.last.write(`<message to='r@${DOMAIN}' id='q'/>`);
    await vi.waitFor(() => expect(c.metrics().inFlight).toBe(1));
    const pending = c.send(xml("message", { to: "a@b" })); // written at once: online
    await pending;
    await expect(c.drain(50)).rejects.toBeInstanceOf(DrainTimeoutError);
    expect(c.status).toBe("offline");
    await vi.waitFor(() => expect(server.last.destroyed || server.last.readableEnded).toBe(true));
  });
});
