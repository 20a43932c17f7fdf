// A remote occupant leaving, as its node announced it: a removal (kick, ban...) keeps its codes,
// actor and reason; anything else is an exit (XEP-0045 7.14) with its exit message.
import { NS, type Element } from "@fedmuc/xmpp";
import { exit } from "../exit.js";
import type { Decision, Occupant, Room } from "../types.js";
import { remoteLeaves } from "./removal.js";

export function departure(room: Room, occupant: Occupant, presence: Element): Decision {
  const codes = presence.getChild("x", NS.mucUser)?.getChildren("status") ?? [];
  const removal = codes.some((s) => s.attrs.code !== "110");
  return removal ? remoteLeaves(room, occupant, presence) : exit(room, occupant, presence);
}
