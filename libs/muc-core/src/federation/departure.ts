// A remote occupant leaving, as its node announced it: a removal (kick, ban...) keeps its codes,
// actor and reason; anything else is an exit (XEP-0045 7.14) with its exit message. With its
// node's last occupant, the node leaves the set (5.4).
import { leftPresence } from "@fedmuc/fmuc-core";
import { NS, type Element } from "@fedmuc/xmpp";
import { decision } from "../decision.js";
import { exit } from "../exit.js";
import { occupantList } from "../room.js";
import type { Decision, Mutation, Occupant, Room } from "../types.js";
import { remoteLeaves } from "./removal.js";

export function departure(room: Room, occupant: Occupant, presence: Element): Decision {
  const codes = presence.getChild("x", NS.mucUser)?.getChildren("status") ?? [];
  const removal = codes.some((s) => s.attrs.code !== "110");
  return removal ? remoteLeaves(room, occupant, presence) : exit(room, occupant, presence);
}

/** 5.4: when a node's last occupant has left, the node has left the set. */
export function leave(room: Room, peer: string, left: Decision): Decision {
  const remaining = occupantList(room).filter((o) => o.node === peer);
  if (remaining.length > 1) return left;
  const mutations: Mutation[] = [
    ...left.mutations,
    { op: "setLink", peer, link: null },
    { op: "enqueue", peer, stanza: leftPresence(room.jid, peer).toString() },
  ];
  return decision(mutations, left.effects);
}
