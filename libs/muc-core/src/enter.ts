// XEP-0045 section 7.2: entering a room (and 10.1.1: creating one).
import { NS, StanzaError, bareOf, type Element } from "@fedmuc/xmpp";
import { decision, send } from "./decision.js";
import { historyLimits } from "./history.js";
import { enforceNick } from "./nick.js";
import { occupantIdOf } from "./occupant-id.js";
import { STATUS, occupantPresence, presencePayload } from "./occupant-presence.js";
import { affiliationOf, atLeast, defaultRole, presenceBroadcast } from "./privileges.js";
import { applyMutations, occupantByNick, occupantList } from "./room.js";
import { subjectMessage } from "./subject.js";
import { upstreamOf } from "./federation/upstream-of.js";
import type {
  Affiliation,
  Context,
  Decision,
  Effect,
  HistoryLimits,
  Mutation,
  Occupant,
  Role,
  Room,
} from "./types.js";

export interface Standing {
  readonly affiliation?: Affiliation;
  readonly role?: Role;
}

/** The checks of 7.2.6 to 7.2.10, in the order a service applies them. An occupant coming
 * through an FMUC node was checked by that node: only bans and nickname conflicts apply. */
function admit(room: Room, stanza: Element, nick: string, affiliation: Affiliation, node?: string) {
  const { config } = room;
  if (affiliation === "outcast")
    throw new StanzaError("forbidden", "You are banned from this room");
  if (node !== undefined) {
    if (occupantByNick(room, nick)) throw new StanzaError("conflict", "That nickname is in use");
    return;
  }
  if (room.locked && affiliation !== "owner") {
    throw new StanzaError("item-not-found", "This room is locked until its owner configures it");
  }
  if (config.membersOnly && !atLeast(affiliation, "member")) {
    throw new StanzaError("registration-required", "This room is for members only");
  }
  const password = stanza.getChild("x", NS.muc)?.getChildText("password") ?? "";
  if (config.password && password !== config.password && affiliation !== "owner") {
    throw new StanzaError("not-authorized", "A correct password is needed to enter this room");
  }
  if (occupantByNick(room, nick)) throw new StanzaError("conflict", "That nickname is in use");
  const full = config.maxUsers > 0 && occupantList(room).length >= config.maxUsers;
  if (full && !atLeast(affiliation, "admin")) {
    throw new StanzaError("service-unavailable", "This room is full");
  }
}

export function enter(
  room: Room,
  stanza: Element,
  requested: string,
  ctx: Context,
  node?: string,
  /** XEP-0289: how the room this one joined shows a remote occupant (cosmetic: it grants
   * nothing here, where affiliations are this room's own). */
  shown?: Standing,
): Decision {
  const jid = stanza.attrs.from!;
  const nick = enforceNick(requested);
  const creating = !room.exists;
  const made = creating ? creation(room, ctx) : [];
  const current = creating ? applyMutations(room, made, room.version) : room;
  const owning = creating && current.locked;
  const affiliation = shown?.affiliation ?? (owning ? "owner" : affiliationOf(room, jid));
  admit(current, stanza, nick, affiliation, node);

  const joiner: Occupant = {
    nick,
    jid,
    role: shown?.role ?? defaultRole(current, affiliation),
    affiliation,
    presence: presencePayload(stanza),
    occupantId: occupantIdOf(current.salt, jid),
    ...(node === undefined ? {} : { node }),
  };
  const others = occupantList(current);
  const selfCodes = [
    ...(current.config.whois === "anyone" ? [STATUS.nonAnonymous] : []),
    ...(owning ? [STATUS.created] : []),
    ...(nick !== requested ? [STATUS.nickRewritten] : []),
  ];
  const mutations: Mutation[] = [
    ...made,
    ...(owning ? [{ op: "setAffiliation", jid: bareOf(jid), affiliation: "owner" } as const] : []),
    { op: "putOccupant", occupant: joiner },
  ];
  // 7.2.3: the newcomer to the existing occupants, after they were shown to the newcomer.
  const announce = presenceBroadcast(current, joiner)
    ? others.map((o) => send(occupantPresence(current, joiner, o)))
    : [];
  return decision(mutations, welcome(current, joiner, historyLimits(stanza), selfCodes, announce));
}

/** 10.1.1: a new room, locked until its owner configures it; a room that mirrors an upstream
 * room (XEP-0289) takes its configuration from there: it is not locked, and its first occupant
 * does not become its owner. */
export function creation(room: Room, ctx: Context): Mutation[] {
  const mirror = upstreamOf(room, ctx) !== null;
  const create: Mutation = { op: "create", salt: ctx.newId(), config: ctx.defaults };
  return mirror ? [create, { op: "unlock" }] : [create];
}

/** What a newcomer receives (7.2.3): the occupants, its own presence last, the history (7.2.15)
 * and the subject (7.2.16); `announce` goes between the occupants and its own presence. Also
 * what a federated node gets again when it rejoins (XEP-0289). */
export function welcome(
  room: Room,
  joiner: Occupant,
  limits: HistoryLimits,
  selfCodes: readonly number[] = [],
  announce: readonly Effect[] = [],
): Effect[] {
  return [
    ...occupantList(room)
      .filter((o) => o.jid !== joiner.jid && presenceBroadcast(room, o))
      .map((o) => send(occupantPresence(room, o, joiner))),
    ...announce,
    send(occupantPresence(room, joiner, joiner, { codes: selfCodes })),
    { kind: "sendHistory", to: joiner.jid, limits },
    send(subjectMessage(room, joiner.jid)),
  ];
}
