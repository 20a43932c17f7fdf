// A userspace link between two sites (this kernel has no netem): one TCP proxy listener per site,
// where DNS sends that site's peers, forwarding to the site's real S2S address. All connections
// share one full-duplex link: per direction one token bucket and one latency, whichever site
// opened the connection. Rate counts payload bytes only (no TCP/IP headers). Rate and latency
// changes apply to bytes read after the change; bytes already queued keep their delivery time.
import { connect, createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { deliveryTime, segments, TokenBucket } from "./link-schedule.js";

export type Site = "hub" | "spoke";
export type Direction = "hubToSpoke" | "spokeToHub";
export interface Endpoint {
  host: string;
  port: number;
}
export interface DirectionStats {
  /** Payload bytes delivered in this direction. */
  bytes: number;
  /** Connections opened in this direction (by the site it starts from). */
  connections: number;
}
export type LinkStats = Record<Direction, DirectionStats>;

export interface LinkShaperOptions {
  /** Per site: where its peers connect (what DNS answers) and where the site really listens. */
  hub: { listen: Endpoint; target: Endpoint };
  spoke: { listen: Endpoint; target: Endpoint };
}

const SEGMENT = 1_460; // bytes a "packet" carries, so a big read trickles out rather than lands whole
const HIGH_WATER = 64 * 1024; // queued bytes per connection and direction before reading pauses

const toward = (site: Site): Direction => (site === "hub" ? "spokeToHub" : "hubToSpoke");
const awayFrom = (site: Site): Direction => (site === "hub" ? "hubToSpoke" : "spokeToHub");
const zero = (): LinkStats => ({
  hubToSpoke: { bytes: 0, connections: 0 },
  spokeToHub: { bytes: 0, connections: 0 },
});

/** One direction of one connection: bytes wait in order until their delivery time. */
class Pipe {
  private readonly queue: { at: number; data: Buffer }[] = [];
  private queued = 0;
  private last = -Infinity;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly shaper: LinkShaper,
    private readonly direction: Direction,
    private readonly from: Socket,
    private readonly to: Socket,
  ) {
    from.on("data", (chunk: Buffer) => this.push(chunk));
    from.on("end", () => {
      this.ended = true;
      this.flush();
    });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private push(chunk: Buffer): void {
    const now = performance.now();
    for (const data of segments(chunk, SEGMENT)) {
      const passAt = this.shaper.bucket(this.direction).take(now, data.length);
      this.last = deliveryTime(passAt, this.shaper.latencyMs, this.last);
      this.queue.push({ at: this.last, data });
    }
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER) this.from.pause();
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.timer);
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const { data } = this.queue.shift()!;
      this.to.write(data);
      this.queued -= data.length;
      this.shaper.delivered(this.direction, data);
    }
    if (this.queued <= HIGH_WATER && this.from.isPaused()) this.from.resume();
    const next = this.queue[0];
    if (next) this.timer = setTimeout(() => this.flush(), next.at - now);
    else if (this.ended) this.to.end();
  }
}

export class LinkShaper {
  private latency = 0;
  private readonly buckets = { hubToSpoke: new TokenBucket(), spokeToHub: new TokenBucket() };
  private counters = zero();
  private recording: Record<Direction, Buffer[]> | undefined;
  private readonly connections = new Set<{ sockets: Socket[]; pipes: Pipe[] }>();
  private readonly servers: Record<Site, Server>;
  private up = false;

  private constructor(private readonly opts: LinkShaperOptions) {
    this.servers = {
      hub: createServer({ allowHalfOpen: true }, (socket) => this.accept("hub", socket)),
      spoke: createServer({ allowHalfOpen: true }, (socket) => this.accept("spoke", socket)),
    };
  }

  /** Listens on both sites' addresses; rejects (e.g. EADDRINUSE) if either cannot. */
  static async start(opts: LinkShaperOptions): Promise<LinkShaper> {
    const shaper = new LinkShaper(opts);
    try {
      await shaper.restore();
    } catch (err) {
      await shaper.cut();
      throw err;
    }
    return shaper;
  }

  /** Bits per second in each direction, or null for no limit. */
  setRate(bitsPerSecond: number | null): void {
    this.buckets.hubToSpoke.setRate(bitsPerSecond);
    this.buckets.spokeToHub.setRate(bitsPerSecond);
  }

  /** One-way delay added to every byte, in each direction. */
  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`latency must be >= 0: ${ms}`);
    this.latency = ms;
  }

  /** Drops every connection and stops listening: new connections are refused until restore(). */
  async cut(): Promise<void> {
    this.up = false;
    for (const c of this.connections) {
      for (const pipe of c.pipes) pipe.stop();
      for (const socket of c.sockets) socket.destroy();
    }
    this.connections.clear();
    await Promise.all(
      Object.values(this.servers).map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      ),
    );
  }

  /** Listens again on both sites' addresses. */
  async restore(): Promise<void> {
    if (this.up) return;
    for (const site of ["hub", "spoke"] as const) {
      const server = this.servers[site];
      if (server.listening) continue;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ ...this.opts[site].listen, exclusive: true }, () => {
          server.off("error", reject);
          resolve();
        });
      });
    }
    this.up = true;
  }

  get latencyMs(): number {
    return this.latency;
  }

  get isCut(): boolean {
    return !this.up;
  }

  stats(): LinkStats {
    return structuredClone(this.counters);
  }

  resetStats(): void {
    this.counters = zero();
  }

  /** For the pipes. */
  bucket(direction: Direction): TokenBucket {
    return this.buckets[direction];
  }

  delivered(direction: Direction, data: Buffer): void {
    this.counters[direction].bytes += data.length;
    this.recording?.[direction].push(data);
  }

  /** Keeps what is delivered in each direction from now on (S2S here is plain text), until
   * `recorded` hands it over: to see the stanzas as they crossed. */
  record(): void {
    this.recording = { hubToSpoke: [], spokeToHub: [] };
  }

  /** What was delivered in each direction since `record`, as text; the recording stops. */
  recorded(): Record<Direction, string> {
    const { hubToSpoke = [], spokeToHub = [] } = this.recording ?? {};
    this.recording = undefined;
    return {
      hubToSpoke: Buffer.concat(hubToSpoke).toString("utf8"),
      spokeToHub: Buffer.concat(spokeToHub).toString("utf8"),
    };
  }

  close(): Promise<void> {
    return this.cut();
  }

  // A peer of `site` connected to the site's listener: forward to the site's real address.
  private accept(site: Site, inbound: Socket): void {
    if (!this.up) return void inbound.destroy();
    // Half-open on both sides: each pipe ends its socket once its queue is delivered.
    const outbound = connect({ ...this.opts[site].target, allowHalfOpen: true });
    const conn = {
      sockets: [inbound, outbound],
      pipes: [
        new Pipe(this, toward(site), inbound, outbound),
        new Pipe(this, awayFrom(site), outbound, inbound),
      ],
    };
    this.connections.add(conn);
    this.counters[toward(site)].connections++;
    // An error (reset, refused) on either side drops both; a clean close waits for the other.
    const drop = (): void => {
      for (const pipe of conn.pipes) pipe.stop();
      for (const socket of conn.sockets) socket.destroy();
    };
    for (const socket of conn.sockets) {
      socket.on("error", drop);
      socket.on("close", (hadError) => {
        if (hadError) drop();
        if (conn.sockets.every((s) => s.closed)) this.connections.delete(conn);
      });
    }
  }
}
