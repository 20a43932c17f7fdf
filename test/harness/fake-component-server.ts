// An in-process XEP-0114 component listener on a socket, for a component to connect to instead of
// a real server: it sends a stream header with an id, checks the handshake, records the rest, and
// can route a stanza to the connection after the component closed its stream (as ejabberd may).
import { once } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { handshakeDigest } from "../../libs/component/src/handshake.js";

/** How it answers a handshake: accept it, <conflict/> (another holds the domain), or
 * <not-authorized/> whatever the digest (as if the secret were wrong). */
export type FakeServerMode = "accept" | "conflict" | "wrong-secret";

export interface FakeServerOptions {
  /** The component's domain (the stream header's `from`). */
  readonly domain: string;
  /** The shared secret the handshake must prove; another one is answered <not-authorized/>. */
  readonly secret: string;
}

export class FakeComponentServer {
  readonly sockets: Socket[] = [];
  readonly received: string[] = []; // per connection, after the handshake
  mode: FakeServerMode = "accept";
  /** Routed to the connection before the server read its close (as ejabberd may). */
  beforeClose = "";

  private constructor(
    readonly server: Server,
    readonly options: FakeServerOptions,
  ) {}

  /** Listens on 127.0.0.1, on a port the kernel picks. */
  static async start(options: FakeServerOptions): Promise<FakeComponentServer> {
    const fake: FakeComponentServer = new FakeComponentServer(
      createServer((s) => fake.#accept(s)),
      options,
    );
    fake.server.listen(0, "127.0.0.1");
    await once(fake.server, "listening");
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The component's service URL. */
  get service(): string {
    return `xmpp://127.0.0.1:${this.port}`;
  }

  /** The latest connection. */
  get last(): Socket {
    return this.sockets[this.sockets.length - 1]!;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  #accept(socket: Socket): void {
    const n = this.sockets.push(socket) - 1;
    const id = `id${n}`;
    let data = "";
    let online = false;
    socket.setEncoding("utf8");
    socket.on("error", () => {});
    socket.on("data", (chunk: string) => {
      if (online) {
        this.received[n] += chunk;
        // RFC 6120 §4.4: answer the closing tag with ours, then close.
        if (this.received[n]!.endsWith("</stream:stream>")) {
          socket.end(`${this.beforeClose}</stream:stream>`);
        }
        return;
      }
      data += chunk;
      if (/<stream:stream [^>]*>/.test(data) && !data.includes("<handshake")) {
        socket.write(
          `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'` +
            ` xmlns='jabber:component:accept' from='${this.options.domain}' id='${id}'>`,
        );
        data = data.replace(/^[\s\S]*<stream:stream [^>]*>/, "");
      }
      const digest = /<handshake>([0-9a-f]+)<\/handshake>/.exec(data)?.[1];
      if (!digest) return;
      const error = (c: string) =>
        `<stream:error><${c} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`;
      const wrong =
        this.mode === "wrong-secret" || digest !== handshakeDigest(id, this.options.secret);
      if (wrong) socket.end(error("not-authorized"));
      else if (this.mode === "conflict") socket.end(error("conflict"));
      else {
        online = true;
        this.received[n] = "";
        socket.write("<handshake/>");
      }
    });
  }
}
