export { RoomStore, type CommitResult, type RoomStoreOptions } from "./store.js";
export { roomKeys } from "./keys.js";
