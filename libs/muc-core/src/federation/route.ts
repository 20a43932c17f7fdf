// XEP-0289 as a routing of the effects of XEP-0045 decisions (see libs/fmuc-core/README.md):
// effects for local occupants are sent; the copies of one broadcast for the occupants present
// through a node collapse to one copy for that node, appended to the link's outbox; broadcasts
// about an occupant also reach links that have no addressed occupant yet, but for the
// occupant's own; nothing returns to the node a stanza came from.
import type { Element } from "@fedmuc/xmpp";
import { decision } from "../decision.js";
import { applyMutations, occupantByJid, occupantByNick } from "../room.js";
import type { Decision, Effect, HistoryLimits, Mutation, Occupant, Room } from "../types.js";
import { forNode, isMessage, roomsBelow } from "./copy.js";
import { resourceOf } from "./stanza.js";

function recipientOf(effect: Effect): string | undefined {
  if (effect.kind === "send") return effect.stanza.attrs.to;
  return effect.kind === "sendHistory" ? effect.to : undefined;
}

/** The history a joining node asked for (its join's <history/>), as an outbox mutation. */
function historyFor(peer: string, limits: HistoryLimits, room: Room, now: Date): Mutation {
  const fromSeconds =
    limits.seconds === undefined
      ? undefined
      : new Date(now.getTime() - limits.seconds * 1000).toISOString();
  const since = [limits.since && new Date(limits.since).toISOString(), fromSeconds]
    .filter(Boolean)
    .sort()
    .at(-1);
  const count = Math.min(limits.maxstanzas ?? room.config.maxHistory, room.config.maxHistory);
  const after = limits.after ? { after: limits.after } : {};
  return { op: "enqueueHistory", peer, count, ...(since ? { since } : {}), ...after };
}

/** Routes a decision's effects between local occupants and federation links. */
export function federate(before: Room, d: Decision, origin?: string, now = new Date()): Decision {
  // A room that has no link and gets none has nothing to route: most rooms, on every stanza.
  const linking = d.mutations.some((m) => m.op === "setLink");
  if (Object.keys(before.links).length === 0 && !linking) return d;
  const after = applyMutations(before, d.mutations, before.version);
  const peers = new Set([...Object.keys(before.links), ...Object.keys(after.links)]);
  if (peers.size === 0) return d;
  const linkOf = (peer: string) => after.links[peer] ?? before.links[peer]!;
  const occupantAt = (jid: string | undefined) =>
    jid ? (occupantByJid(before, jid) ?? occupantByJid(after, jid)) : undefined;
  const subjectOf = (stanza: Element) => {
    const nick = resourceOf(stanza.attrs.from);
    return nick ? (occupantByNick(after, nick) ?? occupantByNick(before, nick)) : undefined;
  };

  // One broadcast = the copies of one stanza (name, from, type) for several occupants, or for
  // the occupant it is about; anything else for one occupant is a unicast.
  const keyOf = (stanza: Element) => `${stanza.name}|${stanza.attrs.from}|${stanza.attrs.type}`;
  const targets = new Map<string, Occupant[]>();
  for (const effect of d.effects) {
    const target = occupantAt(recipientOf(effect));
    if (effect.kind !== "send" || !target) continue;
    const key = keyOf(effect.stanza);
    targets.set(key, [...(targets.get(key) ?? []), target]);
  }
  const isBroadcast = (stanza: Element) => {
    const to = targets.get(keyOf(stanza)) ?? [];
    const subject = subjectOf(stanza);
    return to.length > 1 || (subject !== undefined && to[0]?.jid === subject.jid);
  };
  // A link joined in this decision, first or again: it gets the room's whole state (5.1).
  const isNewLink = (peer: string) =>
    after.links[peer] !== undefined && after.links[peer].joins !== before.links[peer]?.joins;

  const effects: Effect[] = [];
  const enqueued: Mutation[] = [];
  const done = new Set<string>();
  const relay = (stanza: Element, peer: string, only?: Occupant) => {
    const key = `${keyOf(stanza)}|${peer}`;
    // Nothing returns to its node, but a new link gets the whole state, its joiner included.
    // Primary-replica: a replica's own messages are echoed back to it, which delivers them then.
    const link = linkOf(peer);
    const echo = link.role === "downstream" && link.replica && isMessage(stanza);
    if ((peer === origin && !isNewLink(peer) && !echo) || done.has(key)) return;
    done.add(key);
    const copy = forNode(stanza, peer, linkOf(peer), subjectOf(stanza), roomsBelow(after), only);
    // Toward a node below, room presence and messages are what a rejoin carries again.
    const replaceable =
      link.role === "downstream" &&
      (stanza.name === "presence" || stanza.attrs.type === "groupchat");
    enqueued.push({
      op: "enqueue",
      peer,
      stanza: copy.toString(),
      ...(replaceable ? { replaceable } : {}),
    });
  };
  for (const effect of d.effects) {
    const target = occupantAt(recipientOf(effect));
    if (!target?.node) {
      effects.push(effect);
      continue;
    }
    if (effect.kind === "sendHistory") {
      // 5.1: a new link gets the history with the occupants, before the subject.
      if (isNewLink(target.node)) enqueued.push(historyFor(target.node, effect.limits, after, now));
      continue;
    }
    if (effect.kind !== "send") continue;
    const { stanza } = effect;
    // A node has the occupant list, history and subject already, unless its link is new (5.1).
    const joinState =
      stanza.name === "presence"
        ? stanza.attrs.type !== "error"
        : stanza.attrs.type === "groupchat";
    const unicast = !isBroadcast(stanza);
    if (unicast && joinState && !isNewLink(target.node)) continue;
    relay(stanza, target.node, unicast ? target : undefined);
  }
  // A broadcast about an occupant reaches every link but the occupant's own, whether it
  // addressed an occupant there or not (a link still joining has none yet).
  for (const effect of d.effects) {
    if (effect.kind !== "send" || !isBroadcast(effect.stanza)) continue;
    const subject = subjectOf(effect.stanza);
    if (!subject) continue;
    for (const peer of peers) if (peer !== subject.node) relay(effect.stanza, peer);
  }
  return decision([...d.mutations, ...enqueued], effects);
}
