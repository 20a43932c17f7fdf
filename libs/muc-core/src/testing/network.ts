// XEP-0289 in memory for the rules' unit tests: rooms of several nodes, each deciding with its
// own rules, their link outboxes delivered to each other in order (or lost, on demand), numbered
// as the link engine numbers them on a link with a session, and the links' timers fired when a
// test says so.
import { NS, bareOf, clone, parse, type Element } from "@fedmuc/xmpp";
import { seqElement } from "@fedmuc/fmuc-core";
import { decide, decideLinkTimer, decideOperatorAction, decidePathChange } from "../decide.js";
import type { OperatorAction } from "../federation/operator.js";
import { historyForLink } from "../federation/history.js";
import { DEFAULT_CONFIG, applyMutations, emptyRoom } from "../room.js";
import type {
  Context,
  Decision,
  Federation,
  HistoryEntry,
  LinkTimerPurpose,
  Room,
} from "../types.js";

export const HUB = "rabbithole@rooms.wonderland.lit";
export const SPOKE = "elsinore@talk.denmark.lit";
export const ALICE = "alice@wonderland.lit/priam-ubuntu-vm";
export const HATTER = "hatter@wonderland.lit/tea";
export const HAMLET = "hamlet@denmark.lit/priam-ubuntu-vm";

export class Node {
  room: Room;
  /** What local clients received. */
  readonly clients: Element[] = [];
  /** Outbox entries not yet delivered, in order. */
  readonly outbox: Element[] = [];
  ctx: Context;
  /** The room's history, as the store keeps it. */
  readonly history: HistoryEntry[] = [];
  /** Rooms of other nodes: what is sent to them travels like outbox entries. */
  readonly peers = new Set<string>();
  /** Link timers set and not fired yet. */
  timers: { peer: string; purpose: LinkTimerPurpose; joins: number }[] = [];
  /** Notes for the operator. */
  readonly logs: string[] = [];
  /** Peers whose service's path the rules asked to be watched, or checked now (a bounce). */
  readonly watched = new Set<string>();
  readonly failedPaths = new Set<string>();
  /** Outbox entries (as opposed to what the rules send a peer directly): numbered in a session. */
  readonly queued = new WeakSet<Element>();
  /** The latest number given in each link session ("peer session"). */
  readonly numbered = new Map<string, number>();
  /** Numbered stanzas not yet acknowledged, by "peer session", as the link engine keeps them. */
  readonly unacked = new Map<string, Element[]>();
  constructor(jid: string, federation: Federation) {
    this.room = emptyRoom(jid);
    let n = 0;
    this.ctx = {
      now: new Date("2026-01-01T12:00:00Z"),
      newId: () => `${jid}-${++n}`,
      defaults: DEFAULT_CONFIG,
      maxBodyChars: 1000,
      federation,
    };
  }
  step(stanza: string | Element): void {
    const el = typeof stanza === "string" ? parse(stanza) : stanza;
    this.apply(decide(this.room, el, this.ctx));
  }
  /** Fires the link timers of `purpose` set so far. */
  fireTimers(purpose: LinkTimerPurpose = "join"): void {
    const due = this.timers.filter((t) => t.purpose === purpose);
    this.timers = this.timers.filter((t) => t.purpose !== purpose);
    for (const t of due) this.apply(decideLinkTimer(this.room, t.peer, purpose, t.joins, this.ctx));
  }
  /** The path to the service of `peer` went down or came back (as the path's check finds). */
  pathChange(peer: string, changed: "down" | "up"): void {
    this.apply(decidePathChange(this.room, peer, changed, this.ctx));
  }
  /** A service administrator's command about the link to `peer` (attach: `peer`'s service). */
  operator(peer: string, action: OperatorAction): Decision {
    const d = decideOperatorAction(this.room, peer, action, this.ctx);
    this.apply(d);
    return d;
  }
  /** The link timers of `purpose` set and not fired yet. */
  pending(purpose: LinkTimerPurpose = "join") {
    return this.timers
      .filter((t) => t.purpose === purpose)
      .map(({ peer, joins }) => ({ peer, joins }));
  }
  /** Moves this node's clock on. */
  later(ms: number): void {
    this.ctx = { ...this.ctx, now: new Date(this.ctx.now.getTime() + ms) };
  }
  private apply(d: Decision): void {
    const before = this.room;
    this.room = applyMutations(this.room, d.mutations, this.room.version + 1);
    // A resumption, as the link engine's next delivery round takes it up.
    for (const [peer, link] of Object.entries(this.room.links)) {
      const { resumed } = link;
      if (resumed && resumed.count > (before.links[peer]?.resumed?.count ?? 0)) {
        this.acknowledged(peer, resumed.rx, true);
      }
    }
    for (const m of d.mutations) {
      if (m.op === "appendHistory") this.history.push(m.entry);
      if (m.op === "destroy") this.history.splice(0); // the store deletes it with the room
      if (m.op === "enqueue") this.queue(parse(m.stanza));
      if (m.op === "enqueueHistory") {
        const latest = m.count > 0 ? this.history.slice(-m.count) : []; // as XREVRANGE COUNT
        const heard = m.after ? latest.findIndex((e) => e.id === m.after) : -1;
        const chosen =
          heard >= 0
            ? latest.slice(heard + 1)
            : latest.filter((e) => !m.since || e.stamp >= m.since);
        for (const e of chosen) this.queue(parse(historyForLink(e, this.room.jid, m.peer)));
      }
    }
    for (const e of d.effects) {
      if (e.kind === "linkTimer") {
        this.timers.push({ peer: e.peer, purpose: e.purpose, joins: e.joins });
      }
      if (e.kind === "log") this.logs.push(e.message);
      if (e.kind === "watchPath") this.watched.add(e.peer);
      if (e.kind === "pathFailed") this.failedPaths.add(e.peer);
      // A model of the sending side: what is asked for goes again (runs of copies not modelled).
      if (e.kind === "peerAcked") this.acknowledged(e.peer, e.n, e.resend);
      if (e.kind !== "send") continue;
      const toPeer = this.peers.has(bareOf(e.stanza.attrs.to ?? ""));
      (toPeer ? this.outbox : this.clients).push(e.stanza);
    }
  }
  private queue(stanza: Element): void {
    this.queued.add(stanza);
    this.outbox.push(stanza);
  }
  /** An outbox entry as it crosses: numbered in its link's session, if it has one, and kept
   * until acknowledged. */
  crossing(entry: Element): Element {
    const peer = bareOf(entry.attrs.to!);
    const session = this.room.links[peer]?.session;
    if (!this.queued.has(entry) || !session) return entry;
    const key = `${peer} ${session}`;
    const n = (this.numbered.get(key) ?? 0) + 1;
    this.numbered.set(key, n);
    const copy = clone(entry);
    copy.append(seqElement({ s: session, n }));
    this.unacked.set(key, [...(this.unacked.get(key) ?? []), copy]);
    return copy;
  }
  /** What this node sends now is lost on the way (an outage): numbered, but never arrives. */
  lose(): void {
    for (const entry of this.outbox.splice(0)) this.crossing(entry);
  }
  private acknowledged(peer: string, n: number, resend: boolean): void {
    const key = `${peer} ${this.room.links[peer]?.session}`;
    const number = (el: Element) => Number(el.getChild("seq", NS.fedmuc)!.attrs.n);
    const left = (this.unacked.get(key) ?? []).filter((el) => number(el) > n);
    this.unacked.set(key, left);
    if (resend) this.outbox.unshift(...left);
  }
  receivedBy(jid: string): Element[] {
    return this.clients.filter((el) => el.attrs.to === jid);
  }
}

/** Delivers every outbox entry, in order, until no node has anything to send. */
export function network(...nodes: Node[]): () => void {
  const byRoom = new Map(nodes.map((n) => [n.room.jid, n]));
  for (const node of nodes) for (const other of byRoom.keys()) node.peers.add(other);
  return () => {
    for (let moved = true; moved;) {
      moved = false;
      for (const node of nodes) {
        const entry = node.outbox.shift();
        if (!entry) continue;
        byRoom.get(bareOf(entry.attrs.to!))!.step(node.crossing(entry));
        moved = true;
      }
    }
  };
}

/** A hub room (Alice's, created) that the spoke room joins when someone enters it; `extra`:
 * more of each node's federation policy. */
export function world(extra: { hub?: Partial<Federation>; spoke?: Partial<Federation> } = {}) {
  const hub = new Node(HUB, {
    allows: (p) => p === SPOKE,
    upstream: () => null,
    replica: false,
    ...extra.hub,
  });
  const spoke = new Node(SPOKE, {
    allows: () => false,
    upstream: () => HUB,
    replica: false,
    ...extra.spoke,
  });
  hub.peers.add(SPOKE);
  spoke.peers.add(HUB);
  const flush = network(hub, spoke);
  hub.step(`<presence from="${ALICE}" to="${HUB}/Alice"><x xmlns="${NS.muc}"/></presence>`);
  hub.step(
    `<iq from="${ALICE}" to="${HUB}" type="set" id="c"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="submit"/></query></iq>`,
  );
  return { hub, spoke, flush };
}

/** The rooms of a chain, C joins B joins A: the fleet's deck (the Admiral's, with the Admiral
 * in it), and the services of the ship and the boat, each set to join the one above; nobody is
 * on the ship's or the boat's deck yet. */
export function fleet() {
  const TOP = "deck@muc.fleet.example";
  const MID = "deck@muc.ship.example";
  const LOW = "deck@muc.boat.example";
  const top = new Node(TOP, { allows: (p) => p === MID, upstream: () => null, replica: false });
  const mid = new Node(MID, { allows: (p) => p === LOW, upstream: () => TOP, replica: false });
  const low = new Node(LOW, { allows: () => false, upstream: () => MID, replica: false });
  const flush = network(top, mid, low);
  const ADMIRAL = "admiral@fleet.example/bridge";
  const CAPTAIN = "captain@ship.example/helm";
  const COX = "cox@boat.example/tiller";
  top.step(join(ADMIRAL, TOP, "Admiral"));
  top.step(
    `<iq from="${ADMIRAL}" to="${TOP}" type="set" id="c"><query xmlns="${NS.mucOwner}"><x xmlns="jabber:x:data" type="submit"/></query></iq>`,
  );
  return { top, mid, low, flush, ADMIRAL, CAPTAIN, COX };
}

/** The chain with its occupants: the Captain on the ship's deck, then Cox on the boat's. */
export function chain() {
  const rooms = fleet();
  const { mid, low, flush, CAPTAIN, COX } = rooms;
  mid.step(join(CAPTAIN, mid.room.jid, "Captain"));
  flush();
  low.step(join(COX, low.room.jid, "Cox"));
  flush();
  return rooms;
}

/** Delivers, in order, what `from` has for `to`'s room; what it has for others waits. */
export function deliver(from: Node, to: Node): void {
  const forTo = (el: Element) => bareOf(el.attrs.to!) === to.room.jid;
  const entries = from.outbox.filter(forTo);
  from.outbox.splice(0, from.outbox.length, ...from.outbox.filter((el) => !forTo(el)));
  for (const entry of entries) to.step(from.crossing(entry));
}

export const join = (jid: string, room: string, nick: string) =>
  `<presence from="${jid}" to="${room}/${nick}"><x xmlns="${NS.muc}"/></presence>`;
export const say = (jid: string, room: string, text: string) =>
  `<message from="${jid}" to="${room}" type="groupchat"><body>${text}</body></message>`;
export const bodies = (els: Element[]) =>
  els.flatMap((el) => (el.getChildText("body") ? [el.getChildText("body")] : []));
export const presencesFrom = (els: Element[]) =>
  els.filter((el) => el.is("presence")).map((el) => el.attrs.from);
