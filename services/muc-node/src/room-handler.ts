// The imperative shell around the room rules: load (or reuse) a snapshot, decide, commit if the
// room has not moved on (else reload and decide again), then carry out the effects in order.
import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { StanzaError, errorReply, type Element } from "@fedmuc/xmpp";
import {
  applyMutations,
  NO_FEDERATION,
  decide,
  decideLinkTimer,
  directoryEntry,
  historyMessage,
  selectHistory,
  type Context,
  type Decision,
  type LinkTimerPurpose,
  type Effect,
  type Federation,
  type Mutation,
  type HistoryEntry,
  type Room,
  type RoomConfig,
} from "@fedmuc/muc-core";
import type { TimerKey } from "@fedmuc/link-engine";
import type { RoomStore } from "@fedmuc/room-store";
import { Lru } from "./lru.js";

export type Send = (stanza: Element) => Promise<void>;
type PeerAcked = Extract<Effect, { kind: "peerAcked" }>;

export interface RoomHandlerOptions {
  readonly defaults: RoomConfig;
  readonly maxBodyChars: number;
  /** Service administrators (MUC_ADMINS). */
  readonly admins?: readonly string[];
  /** XEP-0289 policy; none by default. */
  readonly federation?: Federation;
  /** Where the rules' notes for the operator go. */
  readonly log?: (level: "info" | "warn", message: string, room: string) => void;
  /** Told of each link a commit appended traffic to, so that it is sent. */
  readonly onLinkTraffic?: (room: string, peer: string) => Promise<void>;
  /** Sends a stanza to a federation peer (counted as link traffic); `send` by default. */
  readonly sendToPeer?: Send;
  /** Told of each link whose state a commit changed (null: no link). */
  readonly onLinkState?: (
    room: string,
    peer: string,
    from: string | null,
    to: string | null,
  ) => Promise<void>;
  /** Told to look at a link again later (its join's retry). */
  readonly onLinkTimer?: (
    room: string,
    peer: string,
    timer: TimerKey,
    afterMs: number | undefined,
  ) => Promise<void>;
  /** XEP-0289 link sessions: the peer applied the session's stanzas up to `n` (see Effect). */
  readonly onPeerAcked?: (room: string, acked: PeerAcked) => Promise<void>;
  /** XEP-0289 link sessions: the room applied `rx` of the peer's stanzas of `session`. */
  readonly onAckDue?: (room: string, peer: string, session: string, rx: number) => void;
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

  async #run(room: string, decideOn: (snapshot: Room, ctx: Context) => Decision): Promise<void> {
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      const snapshot = this.#cache.get(room) ?? (await this.store.load(room));
      const ctx = this.#context();
      const decision = decideOn(snapshot, ctx);
      const result = await this.store.commit(snapshot, decision.mutations);
      if (!result.committed) {
        // Another worker changed the room first: reload, after a short random pause so that
        // contenders spread out instead of colliding again.
        this.#cache.delete(room);
        await delay(Math.random() * Math.min(2 ** attempt, 50));
        continue;
      }
      const next = applyMutations(snapshot, decision.mutations, result.version);
      this.#cache.set(room, next);
      for (const [peer, from, to] of linkChanges(snapshot, next))
        await this.options.onLinkState?.(room, peer, from, to);
      const listed = directoryEntry(next);
      if (listed !== directoryEntry(snapshot)) await this.store.list(room, listed);
      await this.#carryOut(decision.effects, next, result.lastHistoryId, ctx);
      // Links are kicked last: what the room sends directly (a join's answer, <resumed/>) goes
      // ahead of the link's numbered traffic.
      for (const peer of linkPeers(snapshot, decision.mutations))
        await this.options.onLinkTraffic?.(room, peer);
      return;
    }
    throw new StanzaError("resource-constraint", "The room is too busy, try again");
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
        const toPeer = room.links[bare] && this.options.sendToPeer;
        sending.push(toPeer ? toPeer(effect.stanza) : this.send(effect.stanza));
        continue;
      }
      if (effect.kind === "log") {
        this.options.log?.(effect.level, effect.message, room.jid);
        continue;
      }
      if (effect.kind === "linkTimer") {
        sending.push(
          this.options.onLinkTimer?.(room.jid, effect.peer, effect, effect.afterMs) ??
            Promise.resolve(),
        );
        continue;
      }
      if (effect.kind === "peerAcked") {
        sending.push(this.options.onPeerAcked?.(room.jid, effect) ?? Promise.resolve());
        continue;
      }
      if (effect.kind === "ackDue") {
        this.options.onAckDue?.(room.jid, effect.peer, effect.session, effect.rx);
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
