// A real OTLP/HTTP trace receiver for the end-to-end suites (no collector needed): services export
// to it with their own SDK, http/json or http/protobuf, gzip or not, and tests wait for spans.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { decodeJsonRequest, OtlpDecodeError, type ReceivedSpan } from "./otlp-json.js";
import { decodeProtobufRequest } from "./otlp-protobuf.js";

export type { AttrValue, ReceivedSpan } from "./otlp-json.js";

export type OtlpReceiverErrorCode = "WAIT_TIMEOUT" | "STOPPED";

export class OtlpReceiverError extends Error {
  override readonly name = "OtlpReceiverError";

  constructor(
    readonly code: OtlpReceiverErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const TRACES_PATH = "/v1/traces";
const MAX_BODY = 64 * 1024 * 1024;

// Each accepted media type: how its bodies decode, and its empty ExportTraceServiceResponse.
const ENCODINGS = new Map<string, { decode: (body: Uint8Array) => ReceivedSpan[]; ok: string }>([
  ["application/json", { decode: decodeJsonRequest, ok: "{}" }],
  ["application/x-protobuf", { decode: decodeProtobufRequest, ok: "" }],
]);

/** A request answered with `status` and the message. */
class Rejected extends Error {
  override readonly name = "Rejected";

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const inflate = promisify(gunzip);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Read to the end, so that the answer reaches the client, but keep nothing past the limit.
    if (size <= MAX_BODY) chunks.push(chunk);
  }
  if (size > MAX_BODY) throw new Rejected(413, `body of ${size} bytes, over ${MAX_BODY}`);
  return Buffer.concat(chunks);
}

async function decompressed(body: Buffer, encoding: string | undefined): Promise<Buffer> {
  const name = (encoding ?? "identity").trim().toLowerCase();
  if (name === "identity") return body;
  if (name !== "gzip") throw new Rejected(415, `unsupported Content-Encoding: ${name}`);
  try {
    return await inflate(body, { maxOutputLength: MAX_BODY });
  } catch (err) {
    throw new Rejected(400, `bad gzip body: ${(err as Error).message}`);
  }
}

interface Waiter {
  check(): void;
  fail(err: Error): void;
}

export class OtlpReceiver {
  /** Every span received, in order of arrival. */
  readonly spans: ReceivedSpan[] = [];
  /** Every accepted export request: its media type and how many spans it carried. */
  readonly requests: { contentType: string; spans: number }[] = [];
  /** Every refused request, to tell why spans that were sent are missing. */
  readonly rejected: { contentType: string; status: number; message: string }[] = [];
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:PORT. */
  readonly endpoint: string;
  private readonly waiters = new Set<Waiter>();

  private constructor(private readonly server: Server) {
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  /** A receiver on 127.0.0.1; the kernel picks its port (port 0: no race with other binders). */
  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: 0, host: "127.0.0.1" }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new OtlpReceiver(server);
  }

  /** The spans of one trace, in order of arrival. */
  spansOf(traceId: string): ReceivedSpan[] {
    const id = traceId.toLowerCase();
    return this.spans.filter((span) => span.traceId === id);
  }

  /** What `find` returns once it returns something (undefined, null and false are nothing yet),
   * checked now and after each accepted request; rejects after `timeoutMs` saying what arrived. */
  waitFor<T>(
    find: (spans: readonly ReceivedSpan[]) => T | undefined,
    timeoutMs = 10_000,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        outcome();
      };
      const waiter: Waiter = {
        check: () => {
          try {
            const found = find(this.spans);
            if (found !== undefined && found !== null && found !== false) {
              settle(() => resolve(found));
            }
          } catch (err) {
            settle(() => reject(err));
          }
        },
        fail: (err) => settle(() => reject(err)),
      };
      const timer = setTimeout(() => {
        const message = `OtlpReceiver.waitFor: nothing found in ${timeoutMs} ms; ${this.summary()}`;
        waiter.fail(new OtlpReceiverError("WAIT_TIMEOUT", message));
      }, timeoutMs);
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  /** Stops listening and drops open connections; pending waits reject. */
  async stop(): Promise<void> {
    for (const waiter of [...this.waiters]) {
      waiter.fail(new OtlpReceiverError("STOPPED", "OtlpReceiver stopped while waiting"));
    }
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** How many spans (and their names), requests and refusals arrived so far. */
  summary(): string {
    const counts = new Map<string, number>();
    for (const span of this.spans) counts.set(span.name, (counts.get(span.name) ?? 0) + 1);
    const names = [...counts].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name));
    const shown = names.length > 30 ? [...names.slice(0, 30), "…"] : names;
    const refused = this.rejected.map((r) => `${r.status} ${r.message}`);
    return (
      `had ${this.spans.length} spans from ${this.requests.length} requests` +
      (shown.length > 0 ? ` (${shown.join(", ")})` : "") +
      (refused.length > 0 ? `; refused ${refused.length}: ${refused.join("; ")}` : "")
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    try {
      const path = new URL(req.url ?? "/", "http://receiver").pathname;
      if (path !== TRACES_PATH) throw new Rejected(404, `no ${path} here, only ${TRACES_PATH}`);
      if (req.method !== "POST") throw new Rejected(405, `${req.method} ${path}: only POST`);
      const encoding = ENCODINGS.get(contentType);
      if (!encoding) throw new Rejected(415, `unsupported Content-Type: ${contentType || "none"}`);
      const body = await decompressed(await readBody(req), req.headers["content-encoding"]);
      const spans = encoding.decode(body);
      for (const span of spans) this.spans.push(span);
      this.requests.push({ contentType, spans: spans.length });
      res.writeHead(200, { "content-type": contentType }).end(encoding.ok);
      for (const waiter of [...this.waiters]) waiter.check();
    } catch (err) {
      const status =
        err instanceof Rejected ? err.status : err instanceof OtlpDecodeError ? 400 : 500;
      const message = (err as Error).message;
      this.rejected.push({ contentType, status, message });
      req.resume(); // drains what the client still sends
      if (!res.headersSent) {
        res.writeHead(status, { "content-type": "text/plain" }).end(`${message}\n`);
      }
    }
  }
}
