// Where Redis is: one server, a cluster, or a master found through sentinels, read from the
// configuration. REDIS_URL's credentials (its password replaced by REDIS_PASSWORD when that is
// set), database and TLS apply to the nodes in every case.
import { redisDatabase, type Config, type HostPort } from "@fedmuc/config";

/** What every node connection uses, from REDIS_URL. */
export interface NodeAuth {
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls: boolean;
}

export type RedisTarget =
  | { readonly kind: "single"; readonly url: string }
  | { readonly kind: "cluster"; readonly nodes: readonly HostPort[]; readonly auth: NodeAuth }
  | {
      readonly kind: "sentinel";
      readonly sentinels: readonly HostPort[];
      /** The master's name as the sentinels know it. */
      readonly name: string;
      readonly auth: NodeAuth;
    };

export type RedisSettings = Pick<
  Config,
  "REDIS_URL" | "REDIS_PASSWORD" | "REDIS_CLUSTER_NODES" | "REDIS_SENTINELS" | "REDIS_SENTINEL_NAME"
>;

export function nodeAuth(url: string): NodeAuth {
  const { username, password, protocol } = new URL(url);
  return {
    ...(username && { username: decodeURIComponent(username) }),
    ...(password && { password: decodeURIComponent(password) }),
    db: redisDatabase(url),
    tls: protocol === "rediss:",
  };
}

/** REDIS_URL with REDIS_PASSWORD in it, if that is set. */
function urlOf(settings: RedisSettings): string {
  if (settings.REDIS_PASSWORD === "") return settings.REDIS_URL;
  const url = new URL(settings.REDIS_URL);
  url.password = encodeURIComponent(settings.REDIS_PASSWORD);
  return url.toString();
}

export function redisTarget(settings: RedisSettings): RedisTarget {
  const url = urlOf(settings);
  const auth = nodeAuth(url);
  if (settings.REDIS_CLUSTER_NODES.length > 0) {
    return { kind: "cluster", nodes: settings.REDIS_CLUSTER_NODES, auth };
  }
  if (settings.REDIS_SENTINELS.length > 0) {
    const name = settings.REDIS_SENTINEL_NAME;
    return { kind: "sentinel", sentinels: settings.REDIS_SENTINELS, name, auth };
  }
  return { kind: "single", url };
}
