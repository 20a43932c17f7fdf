// The presence an occupant is seen with (XEP-0045 sections 7.2.3 to 7.2.5, 7.7, 7.14).
import { NS, clone, parse, xml, type Element } from "@fedmuc/xmpp";
import { occupantJid } from "./address.js";
import type { Occupant, Room } from "./types.js";

/** Status codes (section 15.6). */
export const STATUS = {
  nonAnonymous: 100,
  self: 110,
  logged: 170,
  created: 201,
  nickRewritten: 210,
  nickChanged: 303,
} as const;

export interface PresenceOptions {
  readonly codes?: readonly number[];
  readonly unavailable?: boolean;
  /** 7.6.3: the new nickname, on the unavailable presence of a nickname change. */
  readonly newNick?: string;
  /** 7.14: what an unavailable presence carries besides the MUC payload (the exit message). */
  readonly exitPayload?: readonly Element[];
}

/** Whether `viewer` may see the real JID of others (section 4.2, non-anonymous vs moderators). */
export function seesRealJids(room: Room, viewer: Occupant): boolean {
  return room.config.whois === "anyone" || viewer.role === "moderator";
}

/** `subject`'s presence as sent to `viewer`. */
export function occupantPresence(
  room: Room,
  subject: Occupant,
  viewer: Occupant,
  options: PresenceOptions = {},
): Element {
  const self = subject.jid === viewer.jid;
  const payload = options.unavailable ? (options.exitPayload ?? []) : payloadOf(subject);
  const item = xml("item", {
    affiliation: subject.affiliation,
    role: options.unavailable && !options.newNick ? "none" : subject.role,
    jid: self || seesRealJids(room, viewer) ? subject.jid : undefined,
    nick: options.newNick,
  });
  const codes = [...(self ? [STATUS.self] : []), ...(options.codes ?? [])];
  return xml(
    "presence",
    {
      from: occupantJid(room.jid, subject.nick),
      to: viewer.jid,
      type: options.unavailable ? "unavailable" : undefined,
    },
    ...payload.map(clone),
    xml("x", { xmlns: NS.mucUser }, item, ...codes.map((code) => xml("status", { code }))),
    xml("occupant-id", { xmlns: NS.occupantId, id: subject.occupantId }),
  );
}

/** The occupant's stored presence payload, parsed once per occupant record (a join shows the
 * newcomer to every occupant: one parse, not one per recipient). */
const parsed = new WeakMap<Occupant, Element[]>();
function payloadOf(occupant: Occupant): Element[] {
  let payload = parsed.get(occupant);
  if (!payload) parsed.set(occupant, (payload = parse(occupant.presence).getChildElements()));
  return payload;
}

/** The occupant's own presence payload to keep: everything but MUC elements and errors. */
export function presencePayload(stanza: Element): string {
  const kept = stanza
    .getChildElements()
    .filter((c) => ![NS.muc, NS.mucUser, NS.occupantId].includes(c.attrs.xmlns as never))
    .filter((c) => c.name !== "error");
  return xml("presence", {}, ...kept.map(clone)).toString();
}
