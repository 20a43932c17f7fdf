// Checks that span several variables, run once each variable has parsed on its own. Each returns
// a problem naming the variables involved, or null.
import { redisDatabase } from "./parsers.js";
import type { Config } from "./variables.js";

type Rule = (config: Config) => string | null;

export const RULES: readonly Rule[] = [
  (c) =>
    c.REDIS_CLUSTER_NODES.length > 0 && c.REDIS_SENTINELS.length > 0
      ? "REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: Redis is either a cluster or found through sentinels, set one"
      : null,
  (c) =>
    c.REDIS_SENTINELS.length > 0 && c.REDIS_SENTINEL_NAME === ""
      ? "REDIS_SENTINEL_NAME is required with REDIS_SENTINELS: the name the sentinels monitor the master by"
      : null,
  (c) =>
    c.REDIS_CLUSTER_NODES.length > 0 && redisDatabase(c.REDIS_URL) !== 0
      ? `REDIS_URL selects database ${redisDatabase(c.REDIS_URL)}, but a Redis Cluster (REDIS_CLUSTER_NODES) has database 0 only`
      : null,
];
