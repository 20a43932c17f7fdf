// The imperative shell around the room rules: load (or reuse) a snapshot, decide, commit if the
// room has not moved on (else reload and decide again), then carry out the effects in order.
// Each step is a span under the stanza's (README.md "Operations"): the commit is where a link's
// traffic is produced, and its context goes into the outboxes with it.
import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { StanzaError, errorReply, type Element } from "@fedmuc/xmpp";
import {
  applyMutations,
  NO_FEDERATION,
  decide,
  decideLinkTimer,
  decideOperatorAction,
  decidePathChange,
  directoryEntry,
  historyMessage,
  selectHistory,
  serviceOf,
  watchedByPath,
  type Context,
  type Decision,
  type LinkTimerPurpose,
  type OperatorAction,
  type Effect,
  type Federation,
  type Mutation,
  type HistoryEntry,
  type Room,
  type RoomConfig,
} from "@fedmuc/muc-core";
import { LINK_QUEUE, type TimerKey } from "@fedmuc/link-engine";
import type { CommitResult, Dropped, RoomStore } from "@fedmuc/room-store";
import {
  SpanKind,
  carrierOf,
  encodeCarrier,
  recording,
  spanAttributes,
  spanEvent,
  startSpan,
  withSpan,
} from "@fedmuc/telemetry";
import { carryTrace } from "@fedmuc/fmuc-core";
import { summarize } from "./decision-summary.js";
import { Lru } from "./lru.js";

export type Send = (stanza: Element) => Promise<void>;
type PeerAcked = Extract<Effect, { kind: "peerAcked" }>;

/** What the rooms tell the XEP-0289 federation links (the link engine, and the operator). */
export interface LinkPort {
  /** Sends a stanza to a federation peer at once (counted as link traffic). */
  send: Send;
  /** A commit appended traffic to the link: it is to be sent. */
  traffic(room: string, peer: string): Promise<void>;
  /** A commit changed the link's state (null: no link). */
  stateChanged(room: string, peer: string, from: string | null, to: string | null): Promise<void>;
  /** Look at the link again later (its join's retry, its check); by default the join's. */
  timer(room: string, peer: string, timer: TimerKey, afterMs: number | undefined): Promise<void>;
  /** Link sessions: the peer applied the session's stanzas up to `n` (see Effect). */
  peerAcked(room: string, acked: PeerAcked): Promise<void>;
  /** Link sessions: the room applied `rx` of the peer's stanzas of `session`. */
  ackDue(room: string, peer: string, session: string, rx: number): void;
  /** The link is up: the path to the peer's service is to be watched. */
  watchPath(room: string, peer: string): Promise<void>;
  /** The link's stanzas bounced because the path failed: the path is to be checked now. */
  pathFailed(room: string, peer: string): Promise<void>;
  /** A commit changed whether the watch of the peer's service's path covers the link. */
  pathWatched(room: string, peer: string, watched: boolean): Promise<void>;
  /** A commit dropped traffic from the link's bounded backlog. */
  dropped?(room: string, dropped: Dropped): void;
}

export interface RoomHandlerOptions {
  readonly defaults: RoomConfig;
  readonly maxBodyChars: number;
  /** Service administrators (MUC_ADMINS). */
  readonly admins?: readonly string[];
  /** XEP-0289 policy; none by default. */
  readonly federation?: Federation;
  /** Where the rules' notes for the operator go. */
  readonly log?: (level: "info" | "warn", message: string, room: string) => void;
  /** The federation links; without them, stanzas to peers go by `send` and nothing else. */
  readonly links?: LinkPort;
  /** Rooms whose snapshots are kept between stanzas (each is re-checked on commit). */
  readonly cachedRooms?: number;
  /** Decisions retried when other workers keep changing the room first. */
  readonly maxAttempts?: number;
}

export class RoomHandler {
  readonly #cache: Lru<string, Room>;
  readonly #maxAttempts: number;

  constructor(
    private readonly store: RoomStore,
    private readonly send: Send,
    private readonly options: RoomHandlerOptions,
  ) {
    this.#cache = new Lru(options.cachedRooms ?? 10_000);
    this.#maxAttempts = options.maxAttempts ?? 20;
  }

  /** Handles one stanza addressed to `room` (its bare JID). */
  async handle(room: string, stanza: Element): Promise<void> {
    await this.#run(room, (snapshot, ctx) => decide(snapshot, stanza, ctx));
  }

  /** XEP-0289: a timer of the link from `room` to `peer` is due. */
  async handleLinkTimer(room: string, peer: string, timer: TimerKey): Promise<void> {
    await this.#run(room, (snapshot, ctx) =>
      decideLinkTimer(snapshot, peer, timer.purpose as LinkTimerPurpose, timer.joins, ctx),
    );
  }

  /** XEP-0289: the path to the service of the room's peer `peer` went down or came back: the
   * bytes this sent to that service directly (a rejoin's presences). */
  async handlePathChange(room: string, peer: string, changed: "down" | "up"): Promise<number> {
    let bytes = 0;
    await this.#run(room, (snapshot, ctx) => {
      const decided = decidePathChange(snapshot, peer, changed, ctx);
      bytes = bytesTo(serviceOf(peer), decided.effects);
      return decided;
    });
    return bytes;
  }

  /** XEP-0289: a service administrator's command about the room's link with `peer` (attach:
   * `peer` is the service attached again). Whether it changed anything. */
  async handleOperatorAction(room: string, peer: string, action: OperatorAction) {
    let changed = false;
    await this.#run(room, (snapshot, ctx) => {
      const decided = decideOperatorAction(snapshot, peer, action, ctx);
      changed = decided.mutations.length > 0;
      return decided;
    });
    return changed;
  }

  async #run(room: string, decideOn: (snapshot: Room, ctx: Context) => Decision): Promise<void> {
    spanAttributes({ "fedmuc.room": room });
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const snapshot = await this.#snapshot(room);
      const ctx = this.#context();
      const decided = startSpan("fedmuc.room.decide", {});
      const decision = decideOn(snapshot, ctx);
      decided.end();
      const result = await this.#commit(snapshot, decision, attempt);
      if (!result.committed) {
        // Another worker changed the room first: reload, after a short random pause so that
        // contenders spread out instead of colliding again.
        spanEvent("fedmuc.commit.conflict", { "fedmuc.commit.attempt": attempt });
        this.#cache.delete(room);
        await delay(Math.random() * Math.min(2 ** (attempt - 1), 50));
        continue;
      }
      if (recording()) {
        spanAttributes({ ...summarize(snapshot, decision), "fedmuc.commit.attempts": attempt });
      }
      const next = applyMutations(snapshot, decision.mutations, result.version);
      // What a link's backlog dropped is in Redis only (the room's losses): read it again.
      if (result.dropped.length === 0) this.#cache.set(room, next);
      else this.#cache.delete(room);
      for (const dropped of result.dropped) this.options.links?.dropped?.(room, dropped);
      for (const [peer, from, to] of linkChanges(snapshot, next)) {
        spanEvent("fedmuc.link.state", {
          "fedmuc.link.peer": peer,
          from: from ?? "",
          to: to ?? "",
        });
        await this.options.links?.stateChanged(room, peer, from, to);
      }
      for (const [peer, watched] of pathWatchChanges(snapshot, next))
        await this.options.links?.pathWatched(room, peer, watched);
      const listed = directoryEntry(next);
      if (listed !== directoryEntry(snapshot)) await this.store.list(room, listed);
      await withSpan("fedmuc.room.send", {}, () =>
        this.#carryOut(decision.effects, next, result.lastHistoryId, ctx),
      );
      // Links are kicked last: what the room sends directly (a join's answer, <resumed/>) goes
      // ahead of the link's numbered traffic.
      for (const peer of linkPeers(snapshot, decision.mutations))
        await this.options.links?.traffic(room, peer);
      return;
    }
    spanAttributes({ "fedmuc.commit.attempts": this.#maxAttempts });
    throw new StanzaError("resource-constraint", "The room is too busy, try again");
  }

  /** The room as cached (re-checked by the commit), or read from Redis. */
  async #snapshot(room: string): Promise<Room> {
    const cached = this.#cache.get(room);
    spanAttributes({ "fedmuc.room.cached": cached !== undefined });
    if (cached) return cached;
    const attributes = { "db.system.name": "redis", "db.operation.name": "EVALSHA load" };
    return withSpan("fedmuc.room.load", { kind: SpanKind.CLIENT, attributes }, () =>
      this.store.load(room),
    );
  }

  /** The commit script; a producer of link traffic when it appends to link outboxes, each entry
   * keeping the commit's trace context. */
  async #commit(snapshot: Room, decision: Decision, attempt: number): Promise<CommitResult> {
    const produced = decision.mutations.filter(
      (m) => m.op === "enqueue" || m.op === "enqueueHistory",
    ).length;
    const messaging = {
      "messaging.system": "fedmuc",
      "messaging.destination.name": LINK_QUEUE,
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.batch.message_count": produced,
    };
    const attributes = {
      "db.system.name": "redis",
      "db.operation.name": "EVALSHA commit",
      "fedmuc.commit.attempt": attempt,
      ...(produced > 0 ? messaging : {}),
    };
    const kind = produced > 0 ? SpanKind.PRODUCER : SpanKind.CLIENT;
    return withSpan("fedmuc.room.commit", { kind, attributes }, async (span) => {
      const context = produced > 0 ? encodeCarrier(carrierOf()) : "";
      const result = await this.store.commit(snapshot, decision.mutations, context);
      span.setAttribute("fedmuc.commit.committed", result.committed);
      return result;
    });
  }

  #context(): Context {
    const { defaults, maxBodyChars, federation = NO_FEDERATION, admins } = this.options;
    return { now: new Date(), newId: randomUUID, defaults, maxBodyChars, federation, admins };
  }

  async #carryOut(effects: readonly Effect[], room: Room, lastHistoryId: string, ctx: Context) {
    const sending: Promise<void>[] = [];
    for (const effect of effects) {
      if (effect.kind === "send") {
        const bare = effect.stanza.attrs.to?.split("/")[0] ?? "";
        const link = room.links[bare];
        const { links } = this.options;
        // To a peer that takes it, a stanza sent at once carries the trace context too.
        const stanza = link?.traces ? carryTrace(effect.stanza, carrierOf()) : effect.stanza;
        sending.push(link && links ? links.send(stanza) : this.send(stanza));
        continue;
      }
      if (effect.kind === "log") {
        this.options.log?.(effect.level, effect.message, room.jid);
        continue;
      }
      if (effect.kind === "linkTimer") {
        sending.push(
          this.options.links?.timer(room.jid, effect.peer, effect, effect.afterMs) ??
            Promise.resolve(),
        );
        continue;
      }
      if (effect.kind === "peerAcked") {
        sending.push(this.options.links?.peerAcked(room.jid, effect) ?? Promise.resolve());
        continue;
      }
      if (effect.kind === "watchPath") {
        sending.push(this.options.links?.watchPath(room.jid, effect.peer) ?? Promise.resolve());
        continue;
      }
      if (effect.kind === "pathFailed") {
        sending.push(this.options.links?.pathFailed(room.jid, effect.peer) ?? Promise.resolve());
        continue;
      }
      if (effect.kind === "ackDue") {
        this.options.links?.ackDue(room.jid, effect.peer, effect.session, effect.rx);
        continue;
      }
      // History up to this commit only: later messages reach the newcomer live (7.2.15).
      const count = effect.limits.maxstanzas ?? room.config.maxHistory;
      const entries = await this.store.history(room.jid, lastHistoryId, count);
      // maxchars counts the stanzas as sent (7.2.15), not as stored.
      const sentLength = (e: HistoryEntry) =>
        historyMessage(e, room.jid, effect.to).toString().length;
      for (const entry of selectHistory(entries, effect.limits, ctx.now, sentLength)) {
        sending.push(this.send(historyMessage(entry, room.jid, effect.to)));
      }
    }
    await Promise.all(sending);
  }
}

/** The links whose state changed from `before` to `after`: [peer, from, to]. */
function linkChanges(before: Room, after: Room): [string, string | null, string | null][] {
  const peers = new Set([...Object.keys(before.links), ...Object.keys(after.links)]);
  return [...peers].flatMap((peer) => {
    const from = before.links[peer]?.state ?? null;
    const to = after.links[peer]?.state ?? null;
    return from === to ? [] : [[peer, from, to] as [string, string | null, string | null]];
  });
}

/** The bytes of what `effects` send to `service` and its rooms directly. */
function bytesTo(service: string, effects: readonly Effect[]): number {
  let bytes = 0;
  for (const e of effects) {
    if (e.kind === "send" && serviceOf(e.stanza.attrs.to ?? "") === service)
      bytes += Buffer.byteLength(e.stanza.toString());
  }
  return bytes;
}

/** The links whose coverage by the watch of their service's path changed: [peer, watched]. */
function pathWatchChanges(before: Room, after: Room): [string, boolean][] {
  const peers = new Set([...Object.keys(before.links), ...Object.keys(after.links)]);
  return [...peers].flatMap((peer) => {
    const watched = watchedByPath(after.links[peer]);
    return watched === watchedByPath(before.links[peer])
      ? []
      : [[peer, watched] as [string, boolean]];
  });
}

/** Links with new traffic, or up again (what waited for them goes now). */
function linkPeers(before: Room, mutations: readonly Mutation[]): Set<string> {
  return new Set(
    mutations.flatMap((m) => {
      if (m.op === "enqueue") return [m.peer];
      const upAgain = m.op === "setLink" && m.link?.state === "up";
      return upAgain && before.links[m.peer]?.state !== "up" ? [m.peer] : [];
    }),
  );
}

/** The error reply for a failure while handling `stanza`, or undefined if none is due. */
export function failureReply(stanza: Element, err: unknown): Element | undefined {
  if (stanza.attrs.type === "error") return undefined;
  const error =
    err instanceof StanzaError ? err : new StanzaError("internal-server-error", "Internal error");
  return errorReply(stanza, error);
}
