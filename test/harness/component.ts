// A bare XEP-0114 component connection over net.Socket, to check a server's component listener
// without any XMPP library: stream header, then <handshake>sha1(streamId + secret)</handshake>.
import { createHash } from "node:crypto";
import { connect, type Socket } from "node:net";
import { HarnessError } from "./errors.js";

export interface RawComponent {
  readonly socket: Socket;
  /** Stream id the server sent in its header. */
  readonly streamId: string;
  /** Everything the server sent so far. */
  readonly transcript: () => string;
  close(): Promise<void>;
}

export interface RawComponentOptions {
  port: number;
  host?: string;
  domain: string;
  secret: string;
  timeoutMs?: number;
}

export function handshakeDigest(streamId: string, secret: string): string {
  return createHash("sha1")
    .update(streamId + secret)
    .digest("hex");
}

export function connectRawComponent(opts: RawComponentOptions): Promise<RawComponent> {
  const socket = connect({ port: opts.port, host: opts.host ?? "127.0.0.1" });
  socket.setEncoding("utf8");
  let data = "";
  let streamId: string | undefined;
  let settled = false;

  return new Promise<RawComponent>((resolve, reject) => {
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(
        new HarnessError(
          "HANDSHAKE_FAILED",
          `component ${opts.domain} on port ${opts.port}: ${why}; received: ${data || "(nothing)"}`,
        ),
      );
    };
    const timer = setTimeout(() => fail("no handshake reply in time"), opts.timeoutMs ?? 5_000);
    socket.once("error", (err) => fail(err.message));
    socket.once("close", () => fail("connection closed"));
    socket.on("data", (chunk: string) => {
      data += chunk;
      if (settled) return;
      if (streamId === undefined) {
        const header = /<stream:stream\b[^>]*>/.exec(data)?.[0];
        const id = header && /\sid=["']([^"']+)["']/.exec(header)?.[1];
        if (!id) return;
        streamId = id;
        socket.write(`<handshake>${handshakeDigest(id, opts.secret)}</handshake>`);
      }
      if (/<stream:error\b/.test(data)) return fail("stream error");
      if (/<handshake\s*(\/>|>\s*<\/handshake>)/.test(data)) {
        settled = true;
        clearTimeout(timer);
        socket.on("error", () => {}); // from now on, close() and the caller watch the socket
        const id = streamId;
        resolve({
          socket,
          streamId: id,
          transcript: () => data,
          close: () => closeSocket(socket),
        });
      }
    });
    socket.write(
      `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept'` +
        ` xmlns:stream='http://etherx.jabber.org/streams' to='${opts.domain}'>`,
    );
  });
}

/** Resolves once the server has sent the component something matching `pattern` (so far or
 * later); fails after `timeoutMs`. */
export function receivedBy(
  component: RawComponent,
  pattern: string | RegExp,
  timeoutMs = 15_000,
): Promise<void> {
  const has = () =>
    typeof pattern === "string"
      ? component.transcript().includes(pattern)
      : pattern.test(component.transcript());
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!has()) return;
      clearTimeout(timer);
      component.socket.off("data", check);
      resolve();
    };
    const timer = setTimeout(() => {
      component.socket.off("data", check);
      reject(new HarnessError("XMPP_TIMEOUT", `component got no ${pattern} in ${timeoutMs} ms`));
    }, timeoutMs);
    component.socket.on("data", check);
    check();
  });
}

async function closeSocket(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.end("</stream:stream>");
  const timer = setTimeout(() => socket.destroy(), 2_000);
  await closed;
  clearTimeout(timer);
}
