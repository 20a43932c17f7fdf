// One Redis for a test file (vitest), with a client: started in beforeAll, stopped in afterAll.
import { afterAll, beforeAll } from "vitest";
import type { RedisClient } from "@fedmuc/redis";
import { connectRedis, startRedis, type RedisHandle } from "./redis.js";

export function redisPerFile(): { readonly client: RedisClient } {
  let redis: RedisHandle | undefined;
  let client: RedisClient | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    client = connectRedis(redis);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });
  return {
    get client() {
      if (!client) throw new Error("the file's Redis is not started yet (use it in a test)");
      return client;
    },
  };
}
