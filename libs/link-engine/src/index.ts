export {
  LinkDispatcher,
  LINK_QUEUE,
  linkJobId,
  type DispatcherOptions,
  type TimerKey,
} from "./dispatcher.js";
export { LinkOutbox, type Link, type OutboxEntry } from "./outbox.js";
