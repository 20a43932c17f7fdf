// XEP-0045 sections 8 and 9 (and 10.3 to 10.8): the muc#admin queries of moderators, admins and
// owners: role and affiliation changes, and the lists of roles and affiliations.
import { NS, StanzaError, bareOf, xml, type Element } from "@fedmuc/xmpp";
import { changeAffiliation } from "./affiliation.js";
import { decision, iqResult } from "./decision.js";
import { affiliationOf, atLeast } from "./privileges.js";
import { changeRole } from "./role.js";
import { occupantByJid, occupantByNick, occupantList } from "./room.js";
import { inSteps, type Step } from "./steps.js";
import type { Affiliation, Decision, Role, Room } from "./types.js";

const ROLES: readonly string[] = ["moderator", "participant", "visitor", "none"];
const AFFILIATIONS: readonly string[] = ["owner", "admin", "member", "outcast", "none"];

export function adminQuery(room: Room, iq: Element): Decision {
  const items = iq.getChild("query", NS.mucAdmin)!.getChildren("item");
  if (items.length === 0) throw new StanzaError("bad-request", "No item in the query");
  return iq.attrs.type === "get" ? list(room, iq, items[0]!) : change(room, iq, items);
}

function change(room: Room, iq: Element, items: Element[]): Decision {
  const from = iq.attrs.from!;
  const actorAffiliation = affiliationOf(room, from);
  const steps = items.map((item): Step => {
    const reason = item.getChildText("reason") ?? undefined;
    const { role, affiliation, nick } = item.attrs;
    if (affiliation !== undefined) {
      if (!AFFILIATIONS.includes(affiliation))
        throw new StanzaError("bad-request", `No affiliation ${affiliation}`);
      const jid = item.attrs.jid ?? (nick ? occupantByNick(room, nick)?.jid : undefined);
      if (!jid) throw new StanzaError("bad-request", "The item names no JID");
      return (r) =>
        changeAffiliation(
          r,
          { affiliation: actorAffiliation, nick: occupantByJid(r, from)?.nick },
          { jid: bareOf(jid), affiliation: affiliation as Affiliation, reason },
        );
    }
    if (role !== undefined && nick !== undefined) {
      if (!ROLES.includes(role)) throw new StanzaError("bad-request", `No role ${role}`);
      return (r) => {
        const actor = localOccupant(r, from);
        if (!actor) throw new StanzaError("forbidden", "Only occupants may change roles");
        return changeRole(r, actor, { nick, role: role as Role, reason });
      };
    }
    throw new StanzaError("bad-request", "Each item needs a role and nick, or an affiliation");
  });
  return inSteps(room, steps, [iqResult(iq)]);
}

/** The occupant `jid` is here, unless it is present through another FMUC node (XEP-0289): its
 * standing here is how that node shows it, and it acts there, through its own node (5.5). */
function localOccupant(room: Room, jid: string) {
  const occupant = occupantByJid(room, jid);
  return occupant?.node ? undefined : occupant;
}

/** 8.5 (voice list), 9.2 (ban list), 9.5 (members), 9.8 (moderators), 10.5, 10.8 (owners, admins). */
function list(room: Room, iq: Element, query: Element): Decision {
  const from = iq.attrs.from!;
  const { role, affiliation } = query.attrs;
  let items: Element[];
  if (role !== undefined) {
    if (localOccupant(room, from)?.role !== "moderator") {
      throw new StanzaError("forbidden", "Only moderators may see role lists");
    }
    items = occupantList(room)
      .filter((o) => o.role === role)
      .map((o) =>
        xml("item", { nick: o.nick, role: o.role, affiliation: o.affiliation, jid: o.jid }),
      );
  } else if (affiliation !== undefined && affiliation !== "none") {
    if (!atLeast(affiliationOf(room, from), "admin")) {
      throw new StanzaError("forbidden", "Only admins and owners may see affiliation lists");
    }
    items = Object.entries(room.affiliations)
      .filter(([, a]) => a === affiliation)
      .map(([jid, a]) => xml("item", { jid, affiliation: a }));
  } else {
    throw new StanzaError("bad-request", "Ask for a role or an affiliation");
  }
  return decision([], [iqResult(iq, xml("query", { xmlns: NS.mucAdmin }, ...items))]);
}
