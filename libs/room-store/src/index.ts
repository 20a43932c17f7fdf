export {
  DEFAULT_OUTBOX_BOUND,
  RoomStore,
  STREAM_LUA,
  type CommitResult,
  type Dropped,
  type IndexedLink,
  type LinkHealth,
  type OutboxBound,
  type RoomStoreOptions,
} from "./store.js";
export { entryTime, outboxKey, roomKeys, sessionKeys } from "./keys.js";
export { PathStore, type StoredPath } from "./paths.js";
