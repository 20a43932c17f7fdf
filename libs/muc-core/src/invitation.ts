// XEP-0045 section 7.8.2: mediated invitations, and their declines.
import { NS, StanzaError, bareOf, xml, type Element } from "@fedmuc/xmpp";
import { decision, send } from "./decision.js";
import { atLeast } from "./privileges.js";
import type { Decision, Mutation, Occupant, Room } from "./types.js";

/** The room's own message carrying a muc#user payload. */
function fromRoom(room: Room, to: string, ...payload: (Element | undefined)[]): Element {
  return xml("message", { from: room.jid, to }, xml("x", { xmlns: NS.mucUser }, ...payload));
}

/** An <invite/> or <decline/> as relayed: from whom, and the reason given, if any. */
function withReason(name: "invite" | "decline", from: string, original: Element): Element {
  const reason = original.getChildText("reason");
  return xml(name, { from }, reason ? xml("reason", {}, reason) : undefined);
}

export function invite(room: Room, sender: Occupant | undefined, invitations: Element[]): Decision {
  if (!sender) throw new StanzaError("not-acceptable", "Only occupants may invite");
  // 7.8.2 and muc#roomconfig_allowinvites: in a members-only room, only admins and owners invite
  // unless the room lets occupants do so; the invitee then becomes a member.
  const { membersOnly, allowInvites, password } = room.config;
  if (membersOnly && !allowInvites && !atLeast(sender.affiliation, "admin")) {
    throw new StanzaError("forbidden", "Only admins may invite to this members-only room");
  }
  const mutations: Mutation[] = [];
  const effects = invitations.map((inv) => {
    const to = inv.attrs.to;
    if (!to) throw new StanzaError("bad-request", "An invitation needs a 'to' address");
    const invitee = bareOf(to);
    if (membersOnly && (room.affiliations[invitee] ?? "none") === "none") {
      mutations.push({ op: "setAffiliation", jid: invitee, affiliation: "member" });
    }
    return send(
      fromRoom(
        room,
        to,
        withReason("invite", sender.jid, inv),
        password ? xml("password", {}, password) : undefined,
      ),
    );
  });
  return decision(mutations, effects);
}

export function decline(room: Room, from: string, declined: Element): Decision {
  const to = declined.attrs.to;
  if (!to) throw new StanzaError("bad-request", "A decline needs a 'to' address");
  return decision([], [send(fromRoom(room, to, withReason("decline", from, declined)))]);
}
