// XEP-0045 section 7.2: entering a room.
import { StanzaError, type Element } from "@fedmuc/xmpp";
import { decision, send } from "./decision.js";
import { historyLimits } from "./history.js";
import { occupantIdOf } from "./occupant-id.js";
import { STATUS, occupantPresence, presencePayload } from "./occupant-presence.js";
import { enforceNick } from "./nick.js";
import { occupantByNick, occupantList } from "./room.js";
import { subjectMessage } from "./subject.js";
import type { Context, Decision, Mutation, Occupant, Room } from "./types.js";

export function enter(room: Room, stanza: Element, requested: string, ctx: Context): Decision {
  const jid = stanza.attrs.from!;
  // 7.2.1: no nickname is jid-malformed; the nickname is prepared as RFC 8266 says.
  const nick = enforceNick(requested);
  // 7.2.9 Nickname conflict
  if (occupantByNick(room, nick)) {
    throw new StanzaError("conflict", "That nickname is already in use");
  }

  const creating = !room.exists;
  const salt = creating ? ctx.newId() : room.salt;
  const config = creating ? ctx.defaults : room.config;
  const joiner: Occupant = {
    nick,
    jid,
    role: creating ? "moderator" : "participant",
    affiliation: creating ? "owner" : "none",
    presence: presencePayload(stanza),
    occupantId: occupantIdOf(salt, jid),
  };
  const created: Room = creating ? { ...room, exists: true, salt, config } : room;
  const others = occupantList(created);
  const selfCodes = [
    ...(config.whois === "anyone" ? [STATUS.nonAnonymous] : []),
    ...(creating ? [STATUS.created] : []),
    ...(nick !== requested ? [STATUS.nickRewritten] : []),
  ];

  const mutations: Mutation[] = [
    ...(creating ? [{ op: "create", salt, config } as const] : []),
    { op: "putOccupant", occupant: joiner },
  ];
  return decision(mutations, [
    // 7.2.3: existing occupants to the newcomer, the newcomer to them, then to itself, last.
    ...others.map((o) => send(occupantPresence(created, o, joiner))),
    ...others.map((o) => send(occupantPresence(created, joiner, o))),
    send(occupantPresence(created, joiner, joiner, { codes: selfCodes })),
    // 7.2.15 history, then 7.2.16 the subject.
    { kind: "sendHistory", to: jid, limits: historyLimits(stanza) },
    send(subjectMessage(created, jid)),
  ]);
}
