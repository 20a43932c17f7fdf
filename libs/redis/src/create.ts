// The one way this service makes a Redis client: every connection (room store, link outboxes,
// BullMQ) comes from here, so a single server, a cluster and sentinels are one code path.
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { NodeAuth, RedisTarget } from "./target.js";

export type RedisClient = Redis | Cluster;

export interface ClientOptions {
  /** Attempts per command while reconnecting; null waits for ever (what BullMQ requires). */
  readonly maxRetriesPerRequest: number | null;
  /** Told of the client's connection errors (ioredis otherwise prints each one to stderr as
   * plain text, outside the log); the service gives every client one. */
  readonly onError?: (err: Error) => void;
}

const nodeOptions = (auth: NodeAuth, options: ClientOptions): RedisOptions => ({
  username: auth.username,
  password: auth.password,
  db: auth.db,
  ...(auth.tls && { tls: {} }),
  maxRetriesPerRequest: options.maxRetriesPerRequest,
});

export function createRedis(target: RedisTarget, options: ClientOptions): RedisClient {
  const client = clientOf(target, options);
  if (options.onError) client.on("error", options.onError);
  return client;
}

function clientOf(target: RedisTarget, options: ClientOptions): RedisClient {
  switch (target.kind) {
    case "single":
      return new Redis(target.url, { maxRetriesPerRequest: options.maxRetriesPerRequest });
    case "cluster":
      return new Cluster([...target.nodes], { redisOptions: nodeOptions(target.auth, options) });
    case "sentinel":
      return new Redis({
        ...nodeOptions(target.auth, options),
        sentinels: [...target.sentinels],
        name: target.name,
        // Follow a failover as the sentinels announce it, and when a write still reaches the old
        // master (now a replica), reconnect through the sentinels and send it again.
        failoverDetector: true,
        reconnectOnError: (err) => (err.message.startsWith("READONLY") ? 2 : false),
      });
  }
}
