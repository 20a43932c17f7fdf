export * from "./types.js";
export { decide, decideLinkTimer, decideOperatorAction, decidePathChange } from "./decide.js";
export { targets, type LinkTarget, type OperatorAction } from "./federation/operator.js";
export {
  heardFrom,
  pathAnswer,
  pathDue,
  pathPing,
  watchedByPath,
  type PathState,
  type PathStep,
} from "./federation/path.js";
export {
  NO_FEDERATION,
  applyMutations,
  changesSnapshot,
  emptyRoom,
  occupantByJid,
  DEFAULT_CONFIG,
} from "./room.js";
export { addressOf, occupantJid } from "./address.js";
export { directoryEntry } from "./disco.js";
export { selectHistory, historyMessage } from "./history.js";
export { federate } from "./federation/route.js";
export { serviceOf } from "./federation/service.js";
export { historyForLink } from "./federation/history.js";
