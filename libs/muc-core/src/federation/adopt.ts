// XEP-0289 5.1 on the joining node: the joined node's subject and history join this room's,
// shown to its own users and passed down to the rooms that joined it (a chain).
import { NS, bareOf, clone, xml, type Element } from "@fedmuc/xmpp";
import { NOTHING, decision, send } from "../decision.js";
import { exit } from "../exit.js";
import { historyMessage } from "../history.js";
import { occupantList } from "../room.js";
import { inSteps } from "../steps.js";
import { subjectMessage } from "../subject.js";
import type { Context, Decision, HistoryEntry, Room } from "../types.js";
import { watchPath } from "./health.js";
import { historyForLink } from "./history.js";
import { configQuery } from "./mirror.js";
import { passDown } from "./pass-down.js";
import { reportLoss } from "./loss.js";

/** 5.1: the subject completes the join; the joining node adopts it, and the peer's occupants
 * it did not announce again in a rejoin have left meanwhile. */
export function adoptSubject(
  room: Room,
  stanza: Element,
  peer: string,
  nick: string,
  ctx: Context,
): Decision {
  const subject = {
    text: stanza.getChildText("subject") ?? "",
    nick,
    stamp: ctx.now.toISOString(),
  };
  const link = room.links[peer];
  const completes = link && link.state !== "up";
  const up = {
    ...link!,
    state: "up",
    heard: link?.heard ?? subject.stamp,
    downSince: undefined,
    needState: undefined,
    restart: undefined,
  } as const;
  const gone = occupantList(room).filter((o) => o.node === peer && o.stale);
  // Users are shown an empty subject on entering a room that has none.
  const known = room.subject ?? { text: "", nick: "" };
  const changed = known.text !== subject.text || known.nick !== subject.nick;
  return inSteps(room, [
    // Once joined, the configuration comes from the upstream room.
    () =>
      completes
        ? decision(
            [{ op: "setLink", peer, link: up }],
            [send(configQuery(room, peer)), watchPath(peer)],
          )
        : NOTHING,
    ...gone.map((o) => (r: Room) => exit(r, o)),
    (r) => {
      if (!changed && completes) return NOTHING; // known already
      const adopted: Room = { ...r, subject };
      const locals = occupantList(r).filter((o) => !o.node);
      return decision(
        [{ op: "setSubject", subject }, ...passDown(r, (to) => subjectMessage(adopted, to))],
        locals.map((o) => send(subjectMessage(adopted, o.jid))),
      );
    },
    // Back after an outage that dropped traffic for the peer: that is reported.
    (r) => (completes ? reportLoss(r, peer) : NOTHING),
  ]);
}

/** 5.1: history from the joined node joins this room's history, with its original time. */
export function adoptHistory(
  room: Room,
  own: Element,
  nick: string,
  delay: Element,
  ctx: Context,
): Decision {
  const stamp = normalStamp(delay.attrs.stamp) ?? ctx.now.toISOString();
  const id = ctx.newId();
  const kept = xml(
    "message",
    { from: `${room.jid}/${nick}`, type: "groupchat" },
    ...own
      .getChildElements()
      .filter((c) => c !== delay && c.attrs.xmlns !== NS.delay)
      .map(clone),
    xml("stanza-id", { xmlns: NS.sid, id, by: room.jid }),
  );
  const entry: HistoryEntry = {
    nick,
    jid: bareOf(own.attrs.from!),
    stamp,
    id,
    stanza: kept.toString(),
  };
  const locals = occupantList(room).filter((o) => !o.node);
  return decision(
    [
      { op: "appendHistory", entry, max: room.config.maxHistory },
      ...passDown(room, (to) => historyForLink(entry, room.jid, to)),
    ],
    locals.map((o) => send(historyMessage(entry, room.jid, o.jid))),
  );
}

/** XEP-0082 stamps, and the spec's example form 20120419T16:00:44 (tolerated on input). */
function normalStamp(stamp: string | undefined): string | undefined {
  if (!stamp) return undefined;
  const legacy = /^(\d{4})(\d{2})(\d{2})T(\d{2}:\d{2}:\d{2})$/.exec(stamp);
  const text = legacy ? `${legacy[1]}-${legacy[2]}-${legacy[3]}T${legacy[4]}Z` : stamp;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
