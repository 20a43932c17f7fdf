export { LinkDispatcher, LINK_QUEUE, type DispatcherOptions, type TimerKey } from "./dispatcher.js";
export { linkJobId, type Link } from "./link.js";
export { LinkOutbox, type OutboxEntry } from "./outbox.js";
export type { PeerAck } from "./session.js";
