// A load client as cheap as it gets: raw TCP c2s, SASL ANONYMOUS, resource binding, MUC join.
// It parses no XML: a join waits for the self-presence only, and once joined the client scans the
// incoming text for complete <message> stanzas and hands their <body> text to onMessage, so a
// thousand of them fit in one Node thread (the benchmark's load, and tests that need crowds).
import { connect, type Socket } from "node:net";

const STREAM_OPEN = (domain: string): string =>
  `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client'` +
  ` xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
const FEATURES = /<\/stream:features>/;
const SASL_RESULT = /<success\b[^>]*?(?:\/>|>[\s\S]*?<\/success>)|<failure\b[\s\S]*?<\/failure>/;
const BIND_RESULT = /<iq\b[^>]*?\bid=['"]bind1['"][\s\S]*?<\/iq>/;
// The join's answer: the self-presence (status 110, XEP-0045 7.2.3) or an error presence. The
// occupants' presences before it are skipped unparsed: a join must not cost O(occupants^2).
const SELF_OR_ERROR = /code=['"]110['"]|<presence\b[^>]*?\stype=['"]error['"]/g;
const CONFIG_RESULT = /<iq\b[^>]*?\bid=['"]cfg1['"][^>]*?(?:\/>|>[\s\S]*?<\/iq>)/;
const IS_ERROR = /\stype=['"]error['"]/;
const STREAM_ERROR = /<stream:error\b/;
const SETUP_TIMEOUT_MS = 10_000;

/** Called for each received <message> with a body: the body text, and whether type="error". */
export type MessageHandler = (body: string, isError: boolean) => void;

export class RawClient {
  /** Full JID bound by the server. */
  jid = "";
  onMessage: MessageHandler | undefined;
  closed = false;
  #buf = "";
  #scanning = false;
  #waiter: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    socket.on("data", (chunk: string) => {
      this.#buf += chunk;
      if (this.#scanning) this.#scan();
      else this.#waiter?.();
    });
    socket.on("error", () => {}); // 'close' follows
    socket.on("close", () => {
      this.closed = true;
      this.#waiter?.();
    });
  }

  /** Connects to the anonymous host and binds a resource. */
  static async connect(port: number, domain: string): Promise<RawClient> {
    const client = new RawClient(connect({ port, host: "127.0.0.1" }));
    client.socket.write(STREAM_OPEN(domain));
    await client.#expect(FEATURES, "stream features");
    client.socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>`);
    if (!(await client.#expect(SASL_RESULT, "SASL result")).startsWith("<success")) {
      throw new Error(`SASL ANONYMOUS refused by ${domain}`);
    }
    client.socket.write(STREAM_OPEN(domain)); // stream restart after SASL (RFC 6120 6.4.6)
    await client.#expect(FEATURES, "stream features after SASL");
    client.socket.write(
      `<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`,
    );
    const bound = await client.#expect(BIND_RESULT, "resource binding");
    client.jid = /<jid>([^<]+)<\/jid>/.exec(bound)?.[1] ?? "";
    if (!client.jid) throw new Error(`resource binding failed: ${bound}`);
    return client;
  }

  /** Joins room as nick (XEP-0045 7.2), accepting a new room as instant (10.1.2); then scans. */
  async join(room: string, nick: string): Promise<void> {
    this.socket.write(
      `<presence to='${room}/${nick}'><x xmlns='http://jabber.org/protocol/muc'>` +
        `<history maxstanzas='0'/></x></presence>`,
    );
    const presence = await this.#expect(selfPresence, `self-presence in ${room}`);
    if (IS_ERROR.test(presence)) throw new Error(`join ${room} refused: ${presence}`);
    if (/code=['"]201['"]/.test(presence)) {
      this.socket.write(
        `<iq type='set' id='cfg1' to='${room}'><query xmlns='http://jabber.org/protocol/muc#owner'>` +
          `<x xmlns='jabber:x:data' type='submit'/></query></iq>`,
      );
      await this.#expect(CONFIG_RESULT, "instant room configuration");
    }
    this.#scanning = true;
    this.#scan();
  }

  /** Sends a groupchat message whose body is `body` (plain ASCII, nothing to escape). */
  say(room: string, body: string): void {
    this.socket.write(`<message to='${room}' type='groupchat'><body>${body}</body></message>`);
  }

  /** Closes the stream; destroys the socket if the server does not close it within 1 s. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.end("</stream:stream>");
      setTimeout(() => this.socket.destroy(), 1_000).unref();
    });
  }

  // Hands every complete <message> with a body to onMessage; keeps an incomplete tail.
  #scan(): void {
    const buf = this.#buf;
    let pos = 0;
    for (;;) {
      const start = buf.indexOf("<message", pos);
      if (start < 0) {
        pos = Math.max(pos, buf.length - 8); // may hold the start of "<message"
        break;
      }
      const end = buf.indexOf("</message>", start);
      if (end < 0) {
        pos = start;
        break;
      }
      const open = buf.indexOf("<body>", start);
      if (open >= 0 && open < end) {
        const close = buf.indexOf("</body>", open);
        const head = buf.slice(start, buf.indexOf(">", start));
        this.onMessage?.(buf.slice(open + 6, close), IS_ERROR.test(head));
      }
      pos = end + 10;
    }
    this.#buf = pos > 0 ? buf.slice(pos) : buf;
  }

  // Waits for what `find` finds in the setup phase; consumes the buffer up to its end.
  #expect(find: RegExp | Finder, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`timeout waiting for ${what}`)),
        SETUP_TIMEOUT_MS,
      );
      const done = (err?: Error, text?: string): void => {
        clearTimeout(timer);
        this.#waiter = undefined;
        if (err) {
          this.socket.destroy();
          reject(new Error(`${err.message}; received: ${this.#buf.slice(0, 500) || "(nothing)"}`));
        } else resolve(text ?? "");
      };
      this.#waiter = () => {
        const found = find instanceof RegExp ? matched(find, this.#buf) : find(this.#buf);
        if (found) {
          const [start, end] = found;
          const text = this.#buf.slice(start, end);
          this.#buf = this.#buf.slice(end);
          return done(undefined, text);
        }
        if (STREAM_ERROR.test(this.#buf))
          return done(new Error(`stream error waiting for ${what}`));
        if (this.closed) done(new Error(`connection closed waiting for ${what}`));
      };
      this.#waiter();
    });
  }
}

/** Where a stanza starts and ends in the buffer, if it is there whole. */
type Finder = (buf: string) => [number, number] | undefined;

function matched(re: RegExp, buf: string): [number, number] | undefined {
  const m = re.exec(buf);
  return m ? [m.index, m.index + m[0].length] : undefined;
}

/** The first self-presence or error presence, whole. */
const selfPresence: Finder = (buf) => {
  SELF_OR_ERROR.lastIndex = 0;
  const m = SELF_OR_ERROR.exec(buf);
  if (!m) return undefined;
  const start = buf.lastIndexOf("<presence", m.index);
  const close = buf.indexOf("</presence>", m.index);
  return start < 0 || close < 0 ? undefined : [start, close + "</presence>".length];
};
