// XEP-0045 section 7.8.2: mediated invitations, and their declines.
import { NS, StanzaError, bareOf, xml, type Element } from "@fedmuc/xmpp";
import { decision, send } from "./decision.js";
import { atLeast } from "./privileges.js";
import type { Decision, Mutation, Occupant, Room } from "./types.js";

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
    const reason = inv.getChildText("reason");
    return send(
      xml(
        "message",
        { from: room.jid, to },
        xml(
          "x",
          { xmlns: NS.mucUser },
          xml("invite", { from: sender.jid }, reason ? xml("reason", {}, reason) : undefined),
          password ? xml("password", {}, password) : undefined,
        ),
      ),
    );
  });
  return decision(mutations, effects);
}

export function decline(room: Room, from: string, declined: Element): Decision {
  const to = declined.attrs.to;
  if (!to) throw new StanzaError("bad-request", "A decline needs a 'to' address");
  const reason = declined.getChildText("reason");
  return decision(
    [],
    [
      send(
        xml(
          "message",
          { from: room.jid, to },
          xml(
            "x",
            { xmlns: NS.mucUser },
            xml("decline", { from }, reason ? xml("reason", {}, reason) : undefined),
          ),
        ),
      ),
    ],
  );
}
