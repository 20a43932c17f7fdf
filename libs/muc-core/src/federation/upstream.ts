// XEP-0289 on the joining node: open the link on the first local occupant (5.1), adopt what
// the joined node sends (its occupants, history and subject, 5.1; its traffic, 5.2 to 5.4), and
// close the link on <reject/> or <left/>.
import { NS, bareOf, clone, errorCondition, xml, type Element } from "@fedmuc/xmpp";
import type { FmucPayload } from "@fedmuc/fmuc-core";
import { NOTHING, decision, send } from "../decision.js";
import { enter } from "../enter.js";
import { changeAvailability } from "../exit.js";
import { groupchat } from "../groupchat.js";
import { historyMessage } from "../history.js";
import { privateMessage } from "../private-message.js";
import { removeOccupant } from "../removal.js";
import { occupantByJid, occupantByNick, occupantList } from "../room.js";
import { subjectMessage } from "../subject.js";
import type { Context, Decision, HistoryEntry, Mutation, Room } from "../types.js";
import { departure } from "./departure.js";
import { localRemovedElsewhere } from "./removal.js";
import { asOccupant, resourceOf } from "./stanza.js";

/** The link is gone: its occupants leave this room's view without a word (5.1, 5.4). */
function unlink(room: Room, peer: string): Decision {
  const gone: Mutation[] = occupantList(room)
    .filter((o) => o.node === peer)
    .map((o) => ({ op: "removeOccupant", nick: o.nick }));
  return decision([{ op: "setLink", peer, link: null }, ...gone], []);
}

export function adoptState(
  room: Room,
  stanza: Element,
  peer: string,
  payload: FmucPayload | undefined,
  ctx: Context,
): Decision {
  if (payload?.kind === "reject" || payload?.kind === "left") return unlink(room, peer);
  const nick = resourceOf(stanza.attrs.from);
  const type = stanza.attrs.type;
  if (stanza.name === "message" && type === "groupchat" && stanza.getChild("subject")) {
    return adoptSubject(room, stanza, peer, nick, ctx);
  }
  if (stanza.name === "presence" && type === "error") return refused(room, stanza, peer, nick);
  if (payload?.kind !== "from") return NOTHING;
  const occupant = occupantByJid(room, payload.jid);
  // The joined node's list of occupants includes this node's own: they are here already.
  if (occupant && !occupant.node) {
    if (stanza.name === "presence" && type === "unavailable") {
      return localRemovedElsewhere(room, peer, occupant, stanza);
    }
    // Primary-replica: the echo of a local occupant's message is when it is delivered here.
    const echo = stanza.name === "message" && type === "groupchat" && room.links[peer]?.replica;
    return echo ? groupchat(room, occupant, asOccupant(stanza, payload.jid), ctx) : NOTHING;
  }
  const own = asOccupant(stanza, payload.jid);
  if (stanza.name === "presence") {
    if (occupant?.node !== peer) {
      return type === "unavailable" || !nick ? NOTHING : enter(room, own, nick, ctx, peer);
    }
    return type === "unavailable"
      ? departure(room, occupant, own)
      : changeAvailability(room, occupant, own);
  }
  if (stanza.name !== "message") return NOTHING;
  if (type === "groupchat" && stanza.getChild("subject"))
    return adoptSubject(room, stanza, peer, nick, ctx);
  const delay = stanza.getChild("delay", NS.delay) ?? stanza.getChild("x", NS.delay);
  if (type === "groupchat" && delay) return adoptHistory(room, own, nick, delay, ctx);
  if (!occupant || occupant.node !== peer) return NOTHING;
  if (type === "groupchat") return groupchat(room, occupant, own, ctx);
  return privateMessage(room, occupant, own, resourceOf(stanza.attrs.to));
}

/**
 * The joined node refused a local occupant's presence, e.g. with <conflict/> because its nick is
 * taken there (the upper node decides nick collisions): the occupant gets that error, as if its
 * own join had been refused, and the others see it leave. Nobody vanishes without a word.
 */
function refused(room: Room, error: Element, peer: string, nick: string): Decision {
  const condition = errorCondition(error);
  if (condition !== "conflict" && condition !== "forbidden") {
    // Not about this user (the room is missing, the service is down): the link failed, local
    // chat goes on.
    const failed = unlink(room, peer);
    const note = `${peer} refused the link (${condition ?? "no condition"})`;
    return decision(failed.mutations, [{ kind: "log", level: "warn", message: note }]);
  }
  const occupant = occupantByNick(room, nick);
  if (!occupant || occupant.node) return NOTHING;
  const removal = removeOccupant(room, occupant, { codes: [] });
  const notice = clone(error);
  notice.attrs.from = `${room.jid}/${occupant.nick}`;
  notice.attrs.to = occupant.jid;
  const others = removal.effects.filter(
    (e) => e.kind !== "send" || e.stanza.attrs.to !== occupant.jid,
  );
  return decision(removal.mutations, [...others, send(notice)]);
}

/** 5.1: the subject completes the join; the joining node adopts it. */
function adoptSubject(
  room: Room,
  stanza: Element,
  peer: string,
  nick: string,
  ctx: Context,
): Decision {
  const subject = {
    text: stanza.getChildText("subject") ?? "",
    nick,
    stamp: ctx.now.toISOString(),
  };
  const link = room.links[peer];
  const adopted: Room = { ...room, subject };
  const locals = occupantList(room).filter((o) => !o.node);
  return decision(
    [
      { op: "setSubject", subject },
      ...(link ? [{ op: "setLink", peer, link: { ...link, state: "joined" } } as const] : []),
    ],
    locals.map((o) => send(subjectMessage(adopted, o.jid))),
  );
}

/** 5.1: history from the joined node joins this room's history, with its original time. */
function adoptHistory(
  room: Room,
  own: Element,
  nick: string,
  delay: Element,
  ctx: Context,
): Decision {
  const stamp = normalStamp(delay.attrs.stamp) ?? ctx.now.toISOString();
  const kept = xml(
    "message",
    { from: `${room.jid}/${nick}`, type: "groupchat" },
    ...own
      .getChildElements()
      .filter((c) => c !== delay && c.attrs.xmlns !== NS.delay)
      .map(clone),
  );
  const entry: HistoryEntry = {
    nick,
    jid: bareOf(own.attrs.from!),
    stamp,
    stanza: kept.toString(),
  };
  const locals = occupantList(room).filter((o) => !o.node);
  return decision(
    [{ op: "appendHistory", entry, max: room.config.maxHistory }],
    locals.map((o) => send(historyMessage(entry, room.jid, o.jid))),
  );
}

/** XEP-0082 stamps, and the spec's example form 20120419T16:00:44 (tolerated on input). */
function normalStamp(stamp: string | undefined): string | undefined {
  if (!stamp) return undefined;
  const legacy = /^(\d{4})(\d{2})(\d{2})T(\d{2}:\d{2}:\d{2})$/.exec(stamp);
  const text = legacy ? `${legacy[1]}-${legacy[2]}-${legacy[3]}T${legacy[4]}Z` : stamp;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** 5.1: the first local occupant opens the link to the room this room federates with. */
export function openUpstream(room: Room, d: Decision, ctx: Context): Decision {
  const peer = ctx.federation.upstream(room.jid);
  if (!peer || room.links[peer]) return d;
  const joinsLocally = d.mutations.some(
    (m) => m.op === "putOccupant" && !m.occupant.node && !occupantByJid(room, m.occupant.jid),
  );
  if (!joinsLocally) return d;
  const link = { role: "upstream", state: "joining", replica: ctx.federation.replica } as const;
  return decision([...d.mutations, { op: "setLink", peer, link }], d.effects);
}
