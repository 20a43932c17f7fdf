export { createRedis, type ClientOptions, type RedisClient } from "./create.js";
export {
  nodeAuth,
  redisTarget,
  type NodeAuth,
  type RedisSettings,
  type RedisTarget,
} from "./target.js";
