export { LinkDispatcher, LINK_QUEUE, type DispatcherOptions, type TimerKey } from "./dispatcher.js";
export { LINK_SHARDS, linkJobId, shardOf, shardPrefix, type Link } from "./link.js";
export { LinkOutbox, type OutboxEntry } from "./outbox.js";
export type { PeerAck } from "./session.js";
export { SharedRates, bucketShape } from "./rate.js";
