// Queries to a room (section 6.4, 8, 9, 10) and to an occupant (XEP-0410 self-ping).
import { NS, StanzaError, type Element } from "@fedmuc/xmpp";
import { adminQuery } from "./admin.js";
import { decision, iqResult } from "./decision.js";
import { roomInfo, roomItems } from "./disco.js";
import { ownerQuery } from "./owner.js";
import { occupantByJid, occupantByNick } from "./room.js";
import type { Context, Decision, Room } from "./types.js";

export function roomQuery(room: Room, iq: Element, nick: string, ctx: Context): Decision {
  const payload = iq.getChildElements()[0];
  const xmlns = payload?.attrs.xmlns;
  const get = iq.attrs.type === "get";
  if (nick) return occupantQuery(room, iq, nick, xmlns);
  if (xmlns === NS.discoInfo && get) return roomInfo(room, iq, ctx);
  if (xmlns === NS.discoItems && get) return roomItems(room, iq);
  if (!room.exists) throw new StanzaError("item-not-found", "No such room");
  if (xmlns === NS.mucOwner) return ownerQuery(room, iq, ctx);
  if (xmlns === NS.mucAdmin) return adminQuery(room, iq);
  if (xmlns === NS.ping && get) return decision([], [iqResult(iq)]);
  throw new StanzaError("service-unavailable");
}

function occupantQuery(room: Room, iq: Element, nick: string, xmlns: string | undefined): Decision {
  const sender = occupantByJid(room, iq.attrs.from!);
  // XEP-0410 section 3.2: a ping to one's own occupant JID is answered by the room while joined.
  if (xmlns === NS.ping && sender?.nick === nick) return decision([], [iqResult(iq)]);
  if (!sender) throw new StanzaError("not-acceptable", "You are not in the room");
  // XEP-0410 section 3: item-not-found tells a joined client that the nickname is not (or no
  // longer) in the room, e.g. after a nickname change.
  if (!occupantByNick(room, nick)) throw new StanzaError("item-not-found", "No such occupant");
  throw new StanzaError("feature-not-implemented", "Queries to other occupants are not relayed");
}
