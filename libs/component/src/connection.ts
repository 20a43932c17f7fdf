// The service's XEP-0114 connection: one stream at a time, reconnected by supervisor.ts, with a
// bounded outbound queue (outbound-queue.ts), bounded in-flight inbound work in per-room order
// (inbound.ts) and a graceful drain for SIGTERM. The decisions live in the pure modules; this
// class wires them to the socket.
import { EventEmitter, once } from "node:events";
import type { Element } from "@fedmuc/xmpp";
import { ComponentEntity } from "./entity.js";
import {
  ConflictError,
  DrainTimeoutError,
  StoppedError,
  StreamError,
  type ComponentError,
} from "./errors.js";
import { createInbound } from "./inbound.js";
import type { InflightLimiter } from "./inflight-limiter.js";
import type { Logger } from "./logger.js";
import { zeroCounters, type ComponentMetrics } from "./metrics.js";
import { resolveOptions, type ComponentOptions, type ResolvedOptions } from "./options.js";
import { OutboundQueue } from "./outbound-queue.js";
import { runSession } from "./session.js";
import { settlesWithin } from "./settles-within.js";
import { retryReport, type ComponentEvents, type ComponentStatus } from "./status.js";
import { Supervisor, type RetryInfo, type SessionEnd } from "./supervisor.js";

export type { ComponentEvents, ComponentStatus } from "./status.js";

const isStanza = (el: Element): boolean => ["message", "presence", "iq"].includes(el.name);

export class ComponentConnection extends EventEmitter<ComponentEvents> {
  readonly #o: ResolvedOptions;
  readonly #log: Logger;
  readonly #entity: ComponentEntity;
  readonly #out: OutboundQueue<Element>;
  readonly #in: InflightLimiter<Element>;
  readonly #supervisor: Supervisor;
  readonly #counters = zeroCounters();
  #status: ComponentStatus = "offline";
  #phase: "running" | "draining" | "stopping" = "running";
  #closing: Promise<void> | undefined;
  /** The stream is being closed: stanzas read now cannot be answered here (see onLate). */
  #closingStream = false;
  /** Stanzas read after the close on their way to another connection (onLate). */
  readonly #handingOff = new Set<Promise<void>>();

  constructor(options: ComponentOptions) {
    super();
    const o = (this.#o = resolveOptions(options));
    this.#log = o.logger;
    this.#entity = new ComponentEntity({
      service: o.service,
      domain: o.domain,
      secret: o.password,
      timeoutMs: o.connectTimeoutMs,
    });
    this.#out = new OutboundQueue({
      highWaterMark: o.maxQueuedBytes,
      timeoutMs: o.sendTimeoutMs,
      serialize: (el) => this.#serialize(el),
    });
    this.#in = createInbound({
      ...o,
      onError: (err, room) => {
        this.#counters.handlerErrors++;
        this.#log.error({ err, room }, "stanza handler failed");
      },
      pause: () => this.#entity.socket?.pause(),
      resume: () => (this.#closingStream ? undefined : this.#entity.socket?.resume()),
    });
    this.#supervisor = new Supervisor({
      policy: o.backoff,
      random: o.random,
      session: () => this.#session(),
      onRetry: (info) => this.#retry(info),
    });
    // Sessions record errors; this listener only keeps EventEmitter from throwing.
    this.#entity.on("error", (err: Error) => this.#log.debug({ err }, "component stream error"));
    this.#entity.on("status", (s: string) => (s === "online" ? undefined : this.#out.detach()));
    this.#entity.on("stanza", (el: Element) => this.#receive(el));
  }

  get status(): ComponentStatus {
    return this.#status;
  }

  /** For /readyz: the stream is authenticated and not draining. */
  get online(): boolean {
    return this.#status === "online";
  }

  /** Connects, and reconnects with backoff until stop() or drain(). */
  start(): void {
    if (this.#phase !== "running") throw new StoppedError("start() after stop() or drain()");
    this.#supervisor.start();
  }

  /**
   * Queues a stanza (a missing `from` becomes the component's domain, XEP-0114 §3); resolves once
   * handed to the socket, in order. Waits while the socket or the byte budget is full, and while
   * offline; rejects with SendTimeoutError or StoppedError. Serialized when admitted to the
   * queue: do not change `el` before the promise settles.
   */
  send(el: Element): Promise<void> {
    return this.#out.push(el);
  }

  /**
   * SIGTERM: handle what arrives until the first moment no handler runs and no send waits
   * (reconnecting to flush if need be), then close the stream and the socket. Takes at most timeoutMs plus closeTimeoutMs;
   * rejects with DrainTimeoutError if work was left, after closing anyway.
   */
  drain(timeoutMs = this.#o.drainTimeoutMs): Promise<void> {
    if (this.#closing) return this.#closing;
    const drained = this.#drain(timeoutMs);
    this.#closing = drained.catch(() => {});
    return drained;
  }

  /**
   * Closes now: queued sends are rejected with StoppedError, running handlers are not waited
   * for. Resolves once closed (after a drain() in progress, whatever its outcome).
   */
  stop(): Promise<void> {
    return (this.#closing ??= this.#shutdown(new StoppedError()));
  }

  metrics(): ComponentMetrics {
    return {
      ...this.#counters,
      bytesIn: this.#entity.bytesRead,
      bytesOut: this.#entity.bytesWritten,
      online: this.online ? 1 : 0,
      queuedBytes: this.#out.bytes,
      queuedBytesPeak: this.#out.peakBytes,
      queuedStanzas: this.#out.stanzas,
      waitingSends: this.#out.waiting,
      socketBufferedBytes: this.#entity.socket?.writableLength ?? 0,
      inFlight: this.#in.running,
      inboundBacklog: this.#in.backlog,
      readingPaused: this.#in.paused || this.#closingStream ? 1 : 0,
    };
  }

  async #drain(timeoutMs: number): Promise<void> {
    this.#phase = "draining";
    this.#setStatus("draining");
    // Reading goes on until the close: a server that spreads one domain's stanzas over several
    // connections (ejabberd) keeps routing to this one until it reads the close, and whatever
    // it routed meanwhile would otherwise be read only after the close, and dropped. So the
    // stream closes at the first moment nothing is being handled and nothing waits to be sent,
    // which leaves to chance only what is on the wire while the close travels.
    const quiet = async (): Promise<void> => {
      do {
        await this.#in.idle();
        await this.#out.empty();
      } while (this.#in.running + this.#in.backlog > 0);
    };
    const done = await settlesWithin(quiet(), timeoutMs);
    const inFlight = this.#in.running + this.#in.backlog;
    const left = `${inFlight} stanzas in flight, ${this.#out.stanzas + this.#out.waiting} sends queued`;
    const error = done ? null : new DrainTimeoutError(timeoutMs, left);
    await this.#shutdown(error ?? new StoppedError());
    if (error) throw error;
  }

  async #shutdown(reason: ComponentError): Promise<void> {
    if (this.#phase === "running") this.#phase = "stopping";
    this.#setStatus(this.#phase);
    const stopped = this.#supervisor.stop();
    this.#closingStream = true;
    this.#out.close(reason);
    const socket = this.#entity.socket;
    if (socket && !socket.closed) {
      const closed = once(socket, "close");
      socket.resume(); // RFC 6120 §4.4: read on until the server's </stream:stream>
      if (this.#entity.status === "online") void this.#entity._end();
      else socket.destroy();
      if (!(await settlesWithin(closed, this.#o.closeTimeoutMs))) socket.destroy();
    }
    await stopped;
    await Promise.all(this.#handingOff);
    this.#setStatus("offline");
    const { stanzasDropped, stanzasHandedOff } = this.#counters;
    this.#log.info(
      { domain: this.#o.domain, reason: reason.code, stanzasDropped, stanzasHandedOff },
      "component stream closed",
    );
  }

  #session(): Promise<SessionEnd> {
    this.#setStatus("connecting");
    const { service, domain, connectTimeoutMs: timeoutMs } = this.#o;
    const onOnline = (): void => this.#onOnline();
    return runSession(this.#entity, { service, domain, timeoutMs, now: Date.now, onOnline });
  }

  #onOnline(): void {
    const socket = this.#entity.socket;
    if (!socket) return;
    if (this.#in.paused || this.#closingStream) socket.pause();
    socket.on("drain", () => this.#out.drained());
    // Stanzas go out at once (no Nagle delay), and those written in one tick in one segment.
    socket.setNoDelay(true);
    let corked = false;
    this.#out.attach({
      write: (data) => {
        this.#counters.stanzasOut++;
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(() => {
            corked = false;
            socket.uncork();
          });
        }
        return socket.write(data);
      },
    });
    this.#log.info({ domain: this.#o.domain }, "component stream online");
    this.#setStatus("online");
  }

  #retry(info: RetryInfo): void {
    const { attempt, delayMs, error } = info;
    const report = retryReport(info);
    this.#counters.reconnects++;
    this.#log[report.level](
      { err: error, attempt, delayMs, domain: this.#o.domain },
      report.message,
    );
    this.#setStatus(report.status);
    if (error instanceof StreamError) {
      this.#counters.streamErrors++;
      this.emit("streamError", error);
    }
    if (error instanceof ConflictError) {
      this.#counters.conflicts++;
      this.emit("conflict", error);
    }
    this.emit("reconnecting", info);
  }

  #receive(el: Element): void {
    this.#counters.stanzasIn++;
    if (this.#closingStream) return this.#late(el);
    this.#in.push(el);
  }

  /** A stanza read after this connection closed its stream: handed off, or dropped. */
  #late(el: Element): void {
    const { onLate } = this.#o;
    if (!onLate) {
      this.#counters.stanzasDropped++;
      return;
    }
    this.#counters.stanzasHandedOff++;
    const handing = onLate(el).catch((err: Error) => {
      this.#counters.stanzasDropped++;
      this.#log.error({ err }, "a stanza read after the close could not be handed off");
    });
    this.#handingOff.add(handing);
    void handing.finally(() => this.#handingOff.delete(handing));
  }

  #serialize(el: Element): string {
    if (isStanza(el) && !el.attrs.from) el.attrs.from = this.#o.domain;
    return el.toString();
  }

  #setStatus(next: ComponentStatus): void {
    if (this.#phase !== "running" && next !== this.#phase && next !== "offline") return;
    const previous = this.#status;
    if (previous === next) return;
    this.#status = next;
    this.emit("status", next, previous);
    if (next === "online") this.emit("online");
  }
}
