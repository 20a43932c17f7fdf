// XEP-0289, this service (libs/fmuc-core/README.md, "Bounded backlogs"): a link whose bounded
// backlog dropped traffic while its peer was away does not resume its session on its return: it
// starts afresh, so the peer gets the room's state and recent history instead of the backlog
// that was lost. The return reports the loss, once, to the users of both sites: those who missed
// messages (the peer's, told by the node that dropped them) and those whose messages did not
// reach the other site; each sees a status message from its room (XEP-0045 7.2.x style: a
// groupchat from the room's bare JID).
import { lostMessage, type LinkLoss } from "@fedmuc/fmuc-core";
import { parseJid, xml } from "@fedmuc/xmpp";
import { NOTHING, decision, send } from "../decision.js";
import { occupantList } from "../room.js";
import type { Decision, FederationLink, Mutation, Room } from "../types.js";

/** What the link to `peer` lost since its last return, if anything: its return then starts a
 * fresh session, with the room's history in place of the lost backlog. */
export function lossOf(room: Room, peer: string): LinkLoss | undefined {
  return room.lost?.[peer];
}

/** Which side of the link the users told are on: the one whose node dropped the traffic, or the
 * one that missed it. `history`: the node that dropped it is the joined node, whose fresh start
 * sent the room's recent history instead. */
export interface LossReport {
  readonly side: "sent here" | "missed here";
  readonly site: string;
  readonly history: boolean;
}

/** The status message's text: how many messages, across the link to or from which site, since
 * when. */
export function lossText(loss: LinkLoss, { side, site, history }: LossReport): string {
  const count = `${loss.messages} message${loss.messages === 1 ? "" : "s"}`;
  const since = new Date(loss.since).toISOString();
  const why = "the link was down for longer than its backlog holds";
  if (side === "sent here") {
    const instead = history ? ` ${site} was sent the room's recent history instead.` : "";
    return `${count} sent here since ${since} could not be delivered to ${site}: ${why}.${instead}`;
  }
  const instead = history ? " The room's recent history was sent instead." : "";
  return `${count} sent at ${site} since ${since} could not be delivered here: ${why}.${instead}`;
}

/** The room tells its own users (the peers' occupants hear it from their own room). */
function told(room: Room, text: string) {
  return occupantList(room)
    .filter((o) => !o.node)
    .map((o) =>
      send(xml("message", { from: room.jid, to: o.jid, type: "groupchat" }, xml("body", {}, text))),
    );
}

/** The node that dropped traffic for `peer`, on the link's return in a fresh session: its users
 * are told what did not reach the peer's site, the peer (a node of this service: it numbers its
 * traffic) is told what it missed, after what the fresh start sends it, and the loss is
 * forgotten. Presences and the like alone need no word: the fresh start sends the state again. */
export function reportLoss(room: Room, peer: string): Decision {
  const loss = lossOf(room, peer);
  const link: FederationLink | undefined = room.links[peer];
  if (!loss || !link) return NOTHING;
  const report: LossReport = {
    side: "sent here",
    site: siteOf(peer),
    history: link.role === "downstream",
  };
  const since = new Date(loss.since).toISOString();
  const note = `the link to ${peer} dropped ${loss.stanzas} stanzas (${loss.messages} messages) queued since ${since}; started afresh`;
  const tell: Mutation[] = link.session
    ? [{ op: "enqueue", peer, stanza: lostMessage(room.jid, peer, loss).toString() }]
    : [];
  return decision(
    [{ op: "forgetLoss", peer }, ...tell],
    [
      ...(loss.messages > 0 ? told(room, lossText(loss, report)) : []),
      { kind: "log", level: "warn", message: note },
    ],
  );
}

/** The peer dropped traffic for this room while the link was down: this room's users are told
 * what they missed. */
export function heardOfLoss(room: Room, peer: string, loss: LinkLoss): Decision {
  const link = room.links[peer];
  if (!link || loss.messages === 0) return NOTHING;
  const report: LossReport = {
    side: "missed here",
    site: siteOf(peer),
    history: link.role === "upstream",
  };
  return decision([], told(room, lossText(loss, report)));
}

function siteOf(peer: string): string {
  return parseJid(peer).domain;
}
