// XEP-0289 wiring: the policy the room rules consult, the link dispatcher that sends each
// link's outbox through the component stream, and the pacing of rejoins under a rate.
import type { Config } from "@fedmuc/config";
import { allows } from "@fedmuc/fmuc-core";
import { fullJitter } from "@fedmuc/backoff";
import { LinkDispatcher, SharedRates, type Link, type TimerKey } from "@fedmuc/link-engine";
import { serviceOf, type Federation } from "@fedmuc/muc-core";
import type { RedisClient } from "@fedmuc/redis";
import type { PathStore } from "@fedmuc/room-store";
import type { Logger } from "@fedmuc/telemetry";
import type { Element } from "@fedmuc/xmpp";
import { PacedRejoins, type PacedRejoinsOptions } from "./paced-rejoins.js";

/** The rules' policy; `detached`: whether the operator detached a peer service. */
export function federationOf(
  config: Config,
  detached: (service: string) => boolean = () => false,
): Federation {
  const upstream = config.FMUC_UPSTREAM;
  return {
    allows: (peer) => allows(config.FMUC_ALLOW, peer),
    // Each room federates with the room of the same local part at the upstream service.
    upstream: (room) => (upstream ? `${room.slice(0, room.indexOf("@"))}@${upstream}` : null),
    replica: config.FMUC_MODE === "primary-replica",
    graceMs: config.FMUC_GRACE_MS,
    pingMs: config.FMUC_PING_INTERVAL_MS,
    traces: config.OTEL_TRACES_EXPORTER !== "none",
    detached: (peer) => detached(serviceOf(peer)),
  };
}

/** Whether `from` is an FMUC peer: a room allowed to join here, or one at the upstream service. */
export function fromFmucPeer(config: Config, from: string | undefined): boolean {
  if (!from) return false;
  const bare = from.split("/")[0]!;
  const upstream = config.FMUC_UPSTREAM;
  return allows(config.FMUC_ALLOW, bare) || (upstream !== "" && bare.endsWith(`@${upstream}`));
}

/** How long after a join `joins` the link is looked at again: the join's timeout, plus an
 * exponential backoff with full jitter between attempts. */
export function joinRetryDelay(config: Config, joins: number, random = Math.random): number {
  const backoff = { initialMs: 1_000, factor: 2, maxMs: config.FMUC_RETRY_MAX_MS };
  return config.FMUC_JOIN_TIMEOUT_MS + fullJitter(Math.max(joins - 1, 0), backoff, random);
}

export interface LinkHooks {
  /** Hands a link stanza to the XMPP server. */
  readonly send: (stanza: Element) => Promise<void>;
  readonly onTimer: (link: Link, timer: TimerKey) => Promise<void>;
  readonly onResent?: (link: Link, stanzas: number) => void;
  /** A stanza of the link's outbox, queued at `queuedAt` (ms), was sent. */
  readonly onSent?: (link: Link, queuedAt: number) => void;
  /** The link's delivery waits for its peer service's rate (FMUC_PEER_RATES). */
  readonly onRateWait?: (link: Link) => void;
}

export function startLinks(
  config: Config,
  /** For BullMQ's blocking commands (maxRetriesPerRequest null), and where the errors of it and
   * of the connections made from it go. */
  connection: RedisClient,
  onConnectionError: (err: Error) => void,
  log: Logger,
  { send, onTimer, onResent, onSent, onRateWait }: LinkHooks,
): LinkDispatcher {
  const dispatcher = new LinkDispatcher({
    connection,
    // One hash tag for all of BullMQ's keys, so that they share a slot on Redis Cluster.
    queuePrefix: `{${config.REDIS_KEY_PREFIX}links}`,
    storePrefix: config.REDIS_KEY_PREFIX,
    lockMs: config.FMUC_LINK_LOCK_MS,
    send,
    onTimer,
    onConnectionError,
    onError: (err, link) => log.warn({ err, ...link }, "federation link: will retry"),
    onResent: (link, first, last) => {
      log.info({ ...link, first, last }, "federation link: stanzas sent again");
      onResent?.(link, last - first + 1);
    },
    onSent,
    peerRates: config.FMUC_PEER_RATES,
    onRateWait,
  });
  dispatcher.start();
  return dispatcher;
}

/** The rejoins of the links to a service with a rate (FMUC_PEER_RATES), paid from the bucket its
 * links' outboxes pay from; none without a rate set. */
export function pacedRejoins(
  config: Config,
  redis: RedisClient,
  store: PathStore,
  { schedule, tell }: Pick<PacedRejoinsOptions, "schedule" | "tell">,
): PacedRejoins | undefined {
  if (config.FMUC_PEER_RATES.length === 0) return undefined;
  const rates = new SharedRates(redis, config.REDIS_KEY_PREFIX, config.FMUC_PEER_RATES);
  // Paid as by a link from this service to the peer service.
  const link = (service: string) => ({ room: config.XMPP_COMPONENT_DOMAIN, peer: service });
  return new PacedRejoins({
    store,
    paced: (service) => rates.shapeOf(link(service)) !== undefined,
    pay: async (service, bytes) => {
      const payer = link(service);
      const shape = rates.shapeOf(payer);
      return shape ? rates.charge(payer, shape, "presence", bytes) : 0;
    },
    schedule,
    tell,
  });
}
