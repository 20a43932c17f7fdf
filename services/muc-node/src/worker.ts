// One worker: the component stream, the room handler on the shared Redis store, and the HTTP probes.
import type { Server } from "node:http";
import type { Config } from "@fedmuc/config";
import { ComponentConnection } from "@fedmuc/component";
import { DEFAULT_CONFIG, serviceOf } from "@fedmuc/muc-core";
import { createRedis, redisTarget } from "@fedmuc/redis";
import { PathStore, RoomStore } from "@fedmuc/room-store";
import { SpanKind, carrierOf, createRegistry, withSpan, type Logger } from "@fedmuc/telemetry";
import { stripped, strippedFor, traceElement } from "@fedmuc/fmuc-core";
import type { Element } from "@fedmuc/xmpp";
import { federationOf, joinRetryDelay, pacedRejoins, startLinks } from "./federation.js";
import { Handoff } from "./handoff.js";
import { PATH_TIMER, PathWatch } from "./path-watch.js";
import { REJOIN_TIMER } from "./paced-rejoins.js";
import { startHttp } from "./http.js";
import {
  publishComponentMetrics,
  publishLinks,
  publishReadiness,
  workerMetrics,
} from "./metrics.js";
import { arrivingContext, inboundHandler } from "./inbound.js";
import { RoomHandler } from "./room-handler.js";
import { OperatorCommands } from "./commands/operator.js";
import { CommandSessions } from "./commands/sessions.js";
import { DetachedPeers } from "./detached-peers.js";
import type { ShutdownStep } from "./shutdown.js";

export interface Worker {
  readonly http: Server;
  /** SIGTERM: handle what still arrives until nothing is in flight, flush, close the stream,
   * then stop the link jobs (run within a deadline by shutDownWithin). */
  shutdownSteps(): ShutdownStep[];
}

export async function startWorker(config: Config, log: Logger): Promise<Worker> {
  const registry = createRegistry();
  const metrics = workerMetrics(registry);
  // Every Redis client reports its errors here: Redis going away is logged once, not once per
  // client and reconnection attempt, until the main client is ready again.
  let redisUp = true;
  const onError = (err: Error) => {
    if (redisUp) log.warn({ err: err.message }, "redis unreachable: reconnecting");
    redisUp = false;
  };
  const redisClient = (maxRetriesPerRequest: number | null) =>
    createRedis(redisTarget(config), { maxRetriesPerRequest, onError });
  const redis = redisClient(3);
  redis.on("ready", () => {
    if (!redisUp) log.info("redis reachable again");
    redisUp = true;
  });
  const store = new RoomStore(redis, {
    prefix: config.REDIS_KEY_PREFIX,
    defaults: { ...DEFAULT_CONFIG, maxHistory: config.MUC_HISTORY_MAX },
    outboxBound: {
      maxBytes: config.FMUC_OUTBOX_MAX_BYTES,
      maxAgeMs: config.FMUC_OUTBOX_MAX_AGE_MS,
    },
  });

  // What this worker reads after closing its stream (draining) goes to the others, with the
  // trace context it arrived with, so that the one that handles it continues its trace.
  const handoff = new Handoff(redis, redisClient(null), {
    key: `${config.REDIS_KEY_PREFIX}handoff`,
    handle: (stanza) => handle(stanza, true),
    onError: (err) => log.warn({ err }, "handed-over stanza"),
  });
  const handOver = (stanza: Element) => {
    const parent = arrivingContext(config, stanza, false);
    return withSpan("fedmuc.handoff", { kind: SpanKind.PRODUCER, parent }, async () => {
      const carried = carrierOf();
      if (carried) stanza.append(traceElement(carried));
      await handoff.give(stanza);
    });
  };
  const component = new ComponentConnection({
    service: config.XMPP_COMPONENT_URL,
    domain: config.XMPP_COMPONENT_DOMAIN,
    password: config.XMPP_COMPONENT_SECRET,
    maxInFlight: config.INBOUND_MAX_IN_FLIGHT,
    maxQueuedBytes: config.OUTBOUND_MAX_BYTES,
    logger: log.child({ module: "component" }),
    handler: (stanza) => handle(stanza),
    onLate: handOver,
  });
  const send = (stanza: Element) => component.send(stanza);
  const linkTraffic = (direction: "in" | "out", stanza: Element, peer = "") => {
    const labels = { direction, peer_service: serviceOf(peer) };
    metrics.linkStanzas.inc(labels);
    metrics.linkBytes.inc(labels, Buffer.byteLength(stanza.toString()));
  };
  // What goes to a federation peer: without what its link does not carry (FMUC_STRIP), counted.
  const sendToPeer = (stanza: Element) => {
    const peer = stanza.attrs.to?.split("/")[0] ?? "";
    const out = stripped(stanza, strippedFor(config.FMUC_STRIP, peer));
    linkTraffic("out", out, peer);
    return send(out);
  };
  const links = startLinks(config, redisClient(null), onError, log.child({ module: "links" }), {
    send: sendToPeer,
    onTimer: (link, timer) =>
      timer.purpose === PATH_TIMER
        ? paths.due(link.peer, timer.joins)
        : timer.purpose === REJOIN_TIMER
          ? paths.rejoinsDue(link.peer, timer.joins)
          : rooms.handleLinkTimer(link.room, link.peer, timer),
    onResent: (link, stanzas) =>
      metrics.linkResent.inc({ peer_service: serviceOf(link.peer) }, stanzas),
    onSent: (_link, queuedAt) =>
      metrics.linkStanzaSeconds.observe({ direction: "out" }, (Date.now() - queuedAt) / 1000),
    onRateWait: (link) => metrics.linkRateWaits.inc({ peer_service: serviceOf(link.peer) }),
  });
  const pathStore = new PathStore(redis, config.REDIS_KEY_PREFIX);
  // A path's check and its paced rejoins run as timers of the "link" to the peer service.
  const serviceTimer = (purpose: string) => (service: string, gen: number, afterMs: number) =>
    links.schedule(
      { room: config.XMPP_COMPONENT_DOMAIN, peer: service },
      { purpose, joins: gen },
      afterMs,
    );
  const paths = new PathWatch({
    store: pathStore,
    domain: config.XMPP_COMPONENT_DOMAIN,
    intervalMs: config.FMUC_PING_INTERVAL_MS,
    maxMs: Math.max(config.FMUC_PING_INTERVAL_MS, config.FMUC_RETRY_MAX_MS),
    send: sendToPeer,
    schedule: serviceTimer(PATH_TIMER),
    changed: (room, peer, changed) => rooms.handlePathChange(room, peer, changed),
    rejoins: pacedRejoins(config, redis, pathStore, {
      schedule: serviceTimer(REJOIN_TIMER),
      tell: (room, peer) => rooms.handlePathChange(room, peer, "up"),
    }),
    log: (message, service) => log.info({ service }, message),
  });
  // The peer services an administrator detached: the rules consult them.
  const detached = new DetachedPeers(redis, redisClient(null), config.REDIS_KEY_PREFIX, (err) =>
    log.warn({ err }, "detached peer services: could not read them"),
  );
  await detached.start();
  const rooms: RoomHandler = new RoomHandler(store, send, {
    defaults: store.options.defaults,
    maxBodyChars: config.MUC_MAX_BODY_CHARS,
    federation: federationOf(config, (service) => detached.has(service)),
    admins: config.MUC_ADMINS,
    log: (level, message, room) => log[level]({ room }, message),
    links: {
      send: sendToPeer,
      traffic: (room, peer) => links.kick({ room, peer }),
      stateChanged: async (room, peer, from, to) => {
        await store.indexLink(room, peer, to);
        // Logged once noted, so that what the log says the operator's view shows.
        log.info({ room, peer, from, to }, `federation link ${to ?? "gone"}`);
        metrics.linkStates.inc({ state: to ?? "none" });
      },
      timer: (room, peer, timer, afterMs) =>
        links.schedule({ room, peer }, timer, afterMs ?? joinRetryDelay(config, timer.joins)),
      peerAcked: (room, { peer, ...ack }) => links.acknowledged({ room, peer }, ack),
      ackDue: (room, peer, session, rx) => links.ackDue({ room, peer }, session, rx),
      dropped: (room, { peer, stanzas, messages, first }) => {
        const peer_service = serviceOf(peer);
        metrics.linkDroppedStanzas.inc({ peer_service }, stanzas);
        metrics.linkDroppedMessages.inc({ peer_service }, messages);
        // Once per outage; the return reports the total.
        if (first)
          log.warn(
            { room, peer, dropped: stanzas, messages },
            "federation link backlog full: dropping its oldest",
          );
      },
      watchPath: async (room, peer) => {
        await paths.store.noteLink(room, peer, true); // noted already, unless up before an upgrade
        await paths.watch(peer);
      },
      pathFailed: (_room, peer) => paths.bounced(peer),
      pathWatched: (room, peer, watched) => paths.store.noteLink(room, peer, watched),
    },
  });
  const commands = new OperatorCommands({
    domain: config.XMPP_COMPONENT_DOMAIN,
    admins: config.MUC_ADMINS,
    store,
    sessions: new CommandSessions(redis, config.REDIS_KEY_PREFIX),
    detached,
    act: (room, peer, action) => rooms.handleOperatorAction(room, peer, action),
    log: (message, fields) => log.info(fields, message),
  });
  const handle = inboundHandler({
    config,
    rooms,
    store,
    send,
    metrics,
    log,
    paths,
    commands,
    linkTraffic: (stanza) => linkTraffic("in", stanza, stanza.attrs.from),
  });

  publishComponentMetrics(registry, () => component.metrics());
  // Why the worker cannot serve now (none: it can), and whether Redis answers: one PING.
  const readiness = async () => {
    const problems: string[] = [];
    if (!component.online) problems.push(`component stream ${component.status}`);
    const pong = await redis.ping().catch((err: Error) => err.message);
    if (pong !== "PONG") problems.push(`redis: ${pong}`);
    return { problems, redisUp: pong === "PONG" };
  };
  publishLinks(registry, () => store.linkHealth());
  publishReadiness(registry, readiness);
  const http = await startHttp(config.HTTP_PORT, {
    registry,
    links: () => store.links(),
    notReady: async () => (await readiness()).problems,
  });
  component.start();
  handoff.start();

  return {
    http,
    // The stream first: what the server still routes here is handled (and its link traffic
    // kicked) before the link jobs stop. Links being sent then finish within what is left of
    // the budget; past it, their jobs are left to another worker once their locks expire (the
    // outboxes keep what was not sent). What the stream still reads after its close is handed
    // to the other workers, so this one stops taking what they hand over first.
    shutdownSteps: () => [
      { name: "stop taking handed-over stanzas", run: () => handoff.stop() },
      { name: "drain the component stream", run: (ms) => component.drain(ms) },
      { name: "stop the federation link jobs", run: () => links.close() },
      { name: "close the HTTP server", run: () => new Promise((done) => http.close(done)) },
      { name: "stop watching detached peer services", run: () => detached.stop() },
      { name: "close Redis", run: () => redis.quit() },
    ],
  };
}
