// The XEP-0114 stream: xmpp.js's Component, corrected. Per-socket UTF-8 decoding (utf8.ts) fed
// to the parser in linear-time pieces (parser-feed.ts), the
// handshake on 'open' as @xmpp/component's factory does (but hashing UTF-8, handshake.ts), typed
// stream errors without xmpp.js's automatic see-other-host redirect, and a stream close that
// cannot end a later socket. Reconnecting is supervisor.ts's job, not this class's.
import type { Socket } from "node:net";
import { xml, type Element } from "@fedmuc/xmpp";
import { HandshakeError } from "./errors.js";
import { handshakeDigest } from "./handshake.js";
import { ParserFeed } from "./parser-feed.js";
import { streamErrorFromElement } from "./stream-errors.js";
import { Utf8Decoder } from "./utf8.js";
import { CoreComponent } from "./xmpp-core.js";

export interface EntityOptions {
  readonly service: string;
  readonly domain: string;
  readonly secret: string;
  readonly timeoutMs: number;
}

export class ComponentEntity extends CoreComponent {
  readonly #decoder = new Utf8Decoder();
  readonly #feed = new ParserFeed();
  readonly #secret: string;
  /** This side sent </stream:stream> on the current socket. */
  #closingOurs = false;
  /** Bytes read and written by sockets that have closed. */
  #closedRead = 0;
  #closedWritten = 0;

  constructor(o: EntityOptions) {
    super({ service: o.service, domain: o.domain });
    this.timeout = o.timeoutMs;
    this.#secret = o.secret;
    // XEP-0114 §3: the server's stream header carries the id the handshake hashes.
    this.on("open", (header: Element) => {
      this.#handshake(header).catch((err: unknown) => this.emit("error", err));
    });
    // RFC 6120 §4.4: the server closed its stream; close ours and the TCP connection, which
    // xmpp.js leaves open.
    this.on("close", () => (this.#closingOurs ? undefined : this.socket?.end("</stream:stream>")));
  }

  get bytesRead(): number {
    return this.#closedRead + (this.socket?.bytesRead ?? 0);
  }

  get bytesWritten(): number {
    return this.#closedWritten + (this.socket?.bytesWritten ?? 0);
  }

  override _attachSocket(socket: Socket): void {
    this.#decoder.reset();
    this.#feed.reset();
    this.#closingOurs = false;
    socket.once("close", () => {
      this.#closedRead += socket.bytesRead;
      this.#closedWritten += socket.bytesWritten;
    });
    super._attachSocket(socket);
  }

  override _onData(data: Buffer): void {
    const text = this.#feed.push(this.#decoder.write(data));
    if (text) this.parser?.write(text);
  }

  override _onStreamError(el: Element): void {
    this.emit("error", streamErrorFromElement(el, this.options.domain));
  }

  // RFC 6120 §4.4: send </stream:stream>, await the peer's, close TCP. xmpp.js re-reads
  // this.socket after the wait, which by then may be the next connection's socket.
  override async _end(): Promise<unknown> {
    const socket = this.socket;
    this.#closingOurs = true;
    const el = await this.close().catch(() => undefined);
    if (socket && this.socket === socket) await this.disconnect().catch(() => socket.destroy());
    return el;
  }

  async #handshake(header: Element): Promise<void> {
    const id = header.attrs.id;
    if (!id) throw new HandshakeError("stream header without id (XEP-0114 §3)");
    const reply = await this.sendReceive(xml("handshake", {}, handshakeDigest(id, this.#secret)));
    if (reply.name !== "handshake") {
      throw new HandshakeError(`expected <handshake/>, got <${reply.name}/> (XEP-0114 §3)`);
    }
    this._jid(this.options.domain);
    this._status("online");
  }
}
