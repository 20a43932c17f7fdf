export { RoomStore, type CommitResult, type RoomStoreOptions } from "./store.js";
export { outboxKey, roomKeys, sessionKeys } from "./keys.js";
