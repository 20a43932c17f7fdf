// XEP-0289 wiring: the policy the room rules consult, and the link dispatcher that sends each
// link's outbox through the component stream.
import type { Config } from "@fedmuc/config";
import { allows } from "@fedmuc/fmuc-core";
import { LinkDispatcher } from "@fedmuc/link-engine";
import type { Federation } from "@fedmuc/muc-core";
import { createRedis, redisTarget } from "@fedmuc/redis";
import type { Logger } from "@fedmuc/telemetry";
import type { Element } from "@fedmuc/xmpp";

export function federationOf(config: Config): Federation {
  const upstream = config.FMUC_UPSTREAM;
  return {
    allows: (peer) => allows(config.FMUC_ALLOW, peer),
    // Each room federates with the room of the same local part at the upstream service.
    upstream: (room) => (upstream ? `${room.slice(0, room.indexOf("@"))}@${upstream}` : null),
    replica: config.FMUC_MODE === "primary-replica",
  };
}

export function startLinks(
  config: Config,
  send: (stanza: Element) => Promise<void>,
  log: Logger,
): LinkDispatcher {
  const dispatcher = new LinkDispatcher({
    connection: createRedis(redisTarget(config), { maxRetriesPerRequest: null }),
    // One hash tag for all of BullMQ's keys, so that they share a slot on Redis Cluster.
    queuePrefix: `{${config.REDIS_KEY_PREFIX}links}`,
    storePrefix: config.REDIS_KEY_PREFIX,
    send,
    onError: (err, link) => log.warn({ err, ...link }, "federation link: will retry"),
  });
  dispatcher.start();
  return dispatcher;
}
