export {
  RoomStore,
  type CommitResult,
  type IndexedLink,
  type LinkHealth,
  type RoomStoreOptions,
} from "./store.js";
export { entryTime, outboxKey, roomKeys, sessionKeys } from "./keys.js";
export { PathStore, type StoredPath } from "./paths.js";
