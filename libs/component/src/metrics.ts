// The connection's counters and gauges as one plain object, for the service to publish.

export interface ComponentCounters {
  stanzasIn: number;
  stanzasOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Retries scheduled after a lost or failed session. */
  reconnects: number;
  conflicts: number;
  streamErrors: number;
  handlerErrors: number;
  /** Stanzas read while closing the stream, not handled. */
  stanzasDropped: number;
  /** Stanzas read while closing the stream, handed to another connection (onLate). */
  stanzasHandedOff: number;
}

export interface ComponentMetrics extends ComponentCounters {
  /** 1 while the stream is authenticated. */
  online: number;
  /** Serialized bytes waiting for the socket: at most maxQueuedBytes plus one stanza. */
  queuedBytes: number;
  queuedBytesPeak: number;
  /** Stanzas serialized and waiting for the socket. */
  queuedStanzas: number;
  /** Sends waiting for room in the queue (not serialized yet). */
  waitingSends: number;
  /** Bytes in the socket's own buffer, not yet taken by the kernel. */
  socketBufferedBytes: number;
  /** Inbound stanzas being handled or queued behind their room: at most maxInFlight. */
  inFlight: number;
  /** Inbound stanzas read past the limit, waiting for a slot. */
  inboundBacklog: number;
  /** 1 while reading is paused. */
  readingPaused: number;
}

export const zeroCounters = (): ComponentCounters => ({
  stanzasIn: 0,
  stanzasOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  reconnects: 0,
  conflicts: 0,
  streamErrors: 0,
  handlerErrors: 0,
  stanzasDropped: 0,
  stanzasHandedOff: 0,
});
