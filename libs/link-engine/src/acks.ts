// Acknowledgements of a link session's stanzas, from the receiving side (libs/fmuc-core/README.md
// "Link sessions"): an acknowledgement rides on the next stanza sent to the peer; when none goes
// there for a while, or many stanzas wait for one, it goes on its own. Acknowledgements are
// cumulative and idempotent, so one kept in memory and lost with a worker costs nothing but a
// stanza the peer sends again.
import { ackMessage } from "@fedmuc/fmuc-core";
import type { Element } from "@fedmuc/xmpp";
import { linkJobId, type Link } from "./link.js";

export interface AckOptions {
  /** How long an acknowledgement waits for a stanza to ride on. */
  readonly delayMs: number;
  /** Stanzas applied before an acknowledgement goes at once. */
  readonly every: number;
  readonly send: (stanza: Element) => Promise<void>;
  readonly onError?: (err: Error, link: Link) => void;
}

interface Owed {
  readonly link: Link;
  readonly session: string;
  rx: number;
  count: number;
  /** The peer sent something again: it has not heard the last acknowledgement. */
  repeat: boolean;
  timer?: NodeJS.Timeout;
}

export class Acknowledger {
  /** Per link: the session and count the peer was last told (one entry per link, so a link's
   * past sessions are not kept). */
  readonly #told = new Map<string, { readonly session: string; readonly rx: number }>();
  readonly #owed = new Map<string, Owed>();

  constructor(private readonly options: AckOptions) {}

  /** This room has applied `rx` of the peer's stanzas of `session` (or got one again). */
  due(link: Link, session: string, rx: number): void {
    const id = `${linkJobId(link)} ${session}`;
    const owed = this.#owed.get(id) ?? { link, session, rx: 0, count: 0, repeat: false };
    this.#owed.set(id, owed);
    owed.repeat ||= rx <= this.#toldOf(link, session);
    owed.rx = Math.max(owed.rx, rx);
    owed.count++;
    if (owed.count >= this.options.every) this.#flush(id);
    else owed.timer ??= setTimeout(() => this.#flush(id), this.options.delayMs).unref();
  }

  /** The acknowledgement to carry on a stanza of `session` for the peer now, if one is owed
   * (`rx` is the room's count as last committed). */
  piggyback(link: Link, session: string, rx: number | undefined): number | undefined {
    const id = `${linkJobId(link)} ${session}`;
    if (!rx || rx <= this.#toldOf(link, session)) return undefined;
    this.#told.set(linkJobId(link), { session, rx });
    const owed = this.#owed.get(id);
    if (owed && owed.rx <= rx) this.#forget(id);
    return rx;
  }

  /** What the peer was last told of `session` on this link (0: nothing, or of another). */
  #toldOf(link: Link, session: string): number {
    const told = this.#told.get(linkJobId(link));
    return told?.session === session ? told.rx : 0;
  }

  close(): void {
    for (const id of [...this.#owed.keys()]) this.#forget(id);
  }

  #forget(id: string): void {
    clearTimeout(this.#owed.get(id)?.timer);
    this.#owed.delete(id);
  }

  #flush(id: string): void {
    const owed = this.#owed.get(id);
    this.#forget(id);
    if (!owed) return;
    const { link, session, rx } = owed;
    const told = this.#toldOf(link, session);
    if (rx <= told && !owed.repeat) return;
    this.#told.set(linkJobId(link), { session, rx: Math.max(rx, told) });
    const ack = ackMessage(link.room, link.peer, { s: session, n: rx, resend: false });
    this.options.send(ack).catch((err: Error) => this.options.onError?.(err, link));
  }
}
