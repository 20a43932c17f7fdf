// What a Redis holds, for the benchmarks' memory figures.
import { connectRedis } from "../harness/redis.js";

export interface Usage {
  readonly bytes: number;
  readonly keys: number;
}

/** Every key of a Redis and what it takes (MEMORY USAGE, summed), SCANned so that a large
 * key space neither blocks the server nor needs one huge reply. */
export async function redisUsage(handle: Parameters<typeof connectRedis>[0]): Promise<Usage> {
  const redis = connectRedis(handle);
  try {
    let [cursor, bytes, keys] = ["0", 0, 0];
    do {
      const [next, batch] = await redis.scan(cursor, "COUNT", 1000);
      const sizes = await Promise.all(batch.map((k) => redis.memory("USAGE", k)));
      bytes += sizes.reduce<number>((a, b) => a + Number(b ?? 0), 0);
      keys += batch.length;
      cursor = next;
    } while (cursor !== "0");
    return { bytes, keys };
  } finally {
    redis.disconnect();
  }
}

/** The growth from `before` to `after`, per one of `n` things added. */
export const growthPer = (after: Usage, before: Usage, n: number): Usage => ({
  bytes: (after.bytes - before.bytes) / n,
  keys: (after.keys - before.keys) / n,
});
