// The base of the scripted peers of the hub benchmark and suites: one XEP-0114 component (the
// project's own connection: the transport only) that counts the bytes of the stanzas it exchanges
// and lets its user wait for a condition on what it received, looked at after each stanza.
import { once } from "node:events";
import { ComponentConnection } from "@fedmuc/component";
import type { Element } from "@fedmuc/xmpp";

const OWN_NAMESPACES = "urn:fedmuc:";

export interface ScriptedOptions {
  readonly componentPort: number;
  readonly domain: string;
  readonly secret: string;
}

export abstract class ScriptedComponent {
  /** Bytes of the stanzas sent and received. */
  bytesOut = 0;
  bytesIn = 0;
  /** The stanzas received that carried anything of this service's own namespaces
   * (urn:fedmuc:...): a plain XEP-0289 peer, which this one plays, must get none. */
  readonly extensions: string[] = [];
  #connection: ComponentConnection | undefined;
  #waiters: (() => void)[] = [];

  constructor(readonly scripted: ScriptedOptions) {}

  async connect(): Promise<void> {
    const { componentPort, domain, secret } = this.scripted;
    const connection = new ComponentConnection({
      service: `xmpp://127.0.0.1:${componentPort}`,
      domain,
      password: secret,
      handler: async (stanza) => {
        const text = stanza.toString();
        this.bytesIn += Buffer.byteLength(text);
        if (text.includes(OWN_NAMESPACES)) this.extensions.push(text);
        this.received(stanza);
        for (const wake of this.#waiters.splice(0)) wake();
      },
      maxQueuedBytes: 64 * 1024 * 1024, // thousands of joins or messages at once
    });
    const online = once(connection, "online");
    const refused = Promise.race([once(connection, "conflict"), once(connection, "streamError")]);
    connection.start();
    await Promise.race([
      online,
      refused.then(([err]) => {
        throw new Error(`${domain}: the server refused the component: ${(err as Error).message}`);
      }),
    ]);
    this.#connection = connection;
  }

  /** Closes the stream: the server bounces what comes for it meanwhile. */
  async disconnect(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.stop().catch(() => {});
  }

  protected send(stanza: Element): void {
    if (!this.#connection) return;
    this.bytesOut += Buffer.byteLength(stanza.toString());
    this.#connection.send(stanza).catch(() => {});
  }

  protected abstract received(stanza: Element): void;

  /** Resolves once `ready()` holds. */
  protected async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((wake) => this.#waiters.push(wake));
  }
}

/** Runs `task(i)` for i in [0, count), `concurrent` at a time. */
export async function eachOf(
  count: number,
  concurrent: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) await task(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrent, count) }, worker));
}
