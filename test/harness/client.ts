// A real XMPP client over c2s (@xmpp/client 0.14, plain TCP, no TLS) that records every stanza.
// It sends nothing on its own (no initial presence, no reconnect); @xmpp/client still answers
// pings and returns an error for unknown iqs.
import { decodeClientReadsPerSocket } from "./client-utf8.js";
import { HarnessError } from "./errors.js";
import { xml, type Element } from "./xml.js";

export { xml, type Element };

export interface TestClient {
  /** Full JID bound by the server. */
  readonly jid: string;
  /** Every stanza received after binding, in order (waitFor does not remove from here). */
  readonly received: Element[];
  send(el: Element): Promise<void>;
  /** First buffered or future stanza matching, taken out of the buffer. */
  waitFor(predicate: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  stop(): Promise<void>;
  /** Drops the TCP connection without closing the stream, as a crashed client would. */
  abort(): void;
}

export interface ConnectOptions {
  port: number;
  /** Domain the account belongs to (stream `to`). */
  domain: string;
  username: string;
  password: string;
  resource?: string;
  host?: string;
  /** Per-step timeout of @xmpp/client (default 10 s). */
  timeoutMs?: number;
}

export type AnonymousConnectOptions = Omit<ConnectOptions, "username" | "password">;

// The parts of @xmpp/client (untyped) used here.
type Authenticate = (credentials: Record<string, string>, mechanism: string) => Promise<void>;
interface XmppClient {
  on(event: "stanza", listener: (el: Element) => void): void;
  on(event: "online", listener: () => void): void;
  on(event: "error", listener: (err: Error) => void): void;
  on(event: "disconnect", listener: () => void): void;
  start(): Promise<{ toString(): string }>;
  stop(): Promise<unknown>;
  send(el: Element): Promise<void>;
  reconnect: { stop(): void };
  socket?: { destroy(): void } | null;
}
type ClientFactory = (options: {
  service: string;
  domain: string;
  resource?: string;
  timeout: number;
  credentials: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;
}) => XmppClient;

const CLIENT_MODULE: string = "@xmpp/client";
let factory: Promise<ClientFactory> | undefined;
const loadFactory = (): Promise<ClientFactory> =>
  (factory ??= decodeClientReadsPerSocket()
    .then(() => import(CLIENT_MODULE))
    .then((m: { client: ClientFactory }) => m.client));

export function connectClient(opts: ConnectOptions): Promise<TestClient> {
  const { username, password } = opts;
  // PLAIN when offered: @xmpp/client would otherwise refuse it on an unencrypted stream.
  return connect(opts, `${username}@${opts.domain}`, (authenticate, mechanisms) =>
    authenticate({ username, password }, mechanisms.includes("PLAIN") ? "PLAIN" : mechanisms[0]!),
  );
}

/** Test accounts: each user's password is `<user>-pw`. */
export function testAccounts(users: readonly string[]): { user: string; password: string }[] {
  return users.map((user) => ({ user, password: `${user}-pw` }));
}

/** A client of a test account (see testAccounts) on `server`. */
export function connectUser(server: { c2sPort: number; domain: string }, user: string) {
  return connectClient({
    port: server.c2sPort,
    domain: server.domain,
    username: user,
    password: `${user}-pw`,
  });
}

/** SASL ANONYMOUS, e.g. on Prosody's anon.<domain> host. */
export function connectAnonymous(opts: AnonymousConnectOptions): Promise<TestClient> {
  return connect(opts, `(anonymous)@${opts.domain}`, (authenticate) =>
    authenticate({}, "ANONYMOUS"),
  );
}

function receivedSummary(elements: Element[]): string {
  if (elements.length === 0) return "received nothing";
  const shown = elements.slice(-20).map((el) => `  ${el.toString().slice(0, 300)}`);
  const earlier = elements.length - shown.length;
  return [`received ${elements.length}:`, earlier > 0 ? `  (${earlier} earlier)` : "", ...shown]
    .filter(Boolean)
    .join("\n");
}

interface Waiter {
  predicate: (el: Element) => boolean;
  resolve: (el: Element) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

async function connect(
  opts: AnonymousConnectOptions,
  label: string,
  credentials: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>,
): Promise<TestClient> {
  const client = await loadFactory();
  const xmpp = client({
    service: `xmpp://${opts.host ?? "127.0.0.1"}:${opts.port}`,
    domain: opts.domain,
    resource: opts.resource,
    timeout: opts.timeoutMs ?? 10_000,
    credentials,
  });
  xmpp.reconnect.stop();

  let jid = label;
  const received: Element[] = [];
  const buffer: Element[] = [];
  const waiters = new Set<Waiter>();
  const errors: string[] = [];
  let online = false;
  let stopped = false;
  let closed: string | undefined;

  const matches = (predicate: (el: Element) => boolean, el: Element): boolean => {
    try {
      return predicate(el);
    } catch {
      return false;
    }
  };
  const closeAll = (reason: string): void => {
    closed ??= reason;
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(new HarnessError("XMPP_CLOSED", `${jid}: ${closed}; ${receivedSummary(received)}`));
    }
    waiters.clear();
  };

  xmpp.on("online", () => (online = true));
  xmpp.on("error", (err) => errors.push(err.message));
  xmpp.on("disconnect", () => {
    if (online && !stopped)
      closeAll(`connection closed${errors.length ? ` (${errors.join("; ")})` : ""}`);
  });
  xmpp.on("stanza", (el) => {
    if (!online) return; // resource binding and the like
    received.push(el);
    for (const w of waiters) {
      if (matches(w.predicate, el)) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(el);
        return;
      }
    }
    buffer.push(el);
  });

  try {
    jid = (await xmpp.start()).toString();
  } catch (err) {
    xmpp.socket?.destroy();
    throw new HarnessError(
      "XMPP_CLOSED",
      `client ${label} could not connect to port ${opts.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }

  return {
    get jid() {
      return jid;
    },
    received,
    send: (el) => xmpp.send(el),
    waitFor(predicate, timeoutMs = 5_000) {
      const i = buffer.findIndex((el) => matches(predicate, el));
      if (i >= 0) return Promise.resolve(buffer.splice(i, 1)[0]!);
      if (closed) {
        return Promise.reject(new HarnessError("XMPP_CLOSED", `${jid}: ${closed}`));
      }
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(
              new HarnessError(
                "XMPP_TIMEOUT",
                `${jid}: no matching stanza in ${timeoutMs} ms; ${receivedSummary(received)}`,
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      closeAll("client stopped");
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 3_000)));
      await Promise.race([xmpp.stop().catch(() => {}), timeout]);
      clearTimeout(timer);
      xmpp.socket?.destroy();
    },
    abort() {
      stopped = true;
      closeAll("client aborted");
      xmpp.socket?.destroy();
    },
  };
}
