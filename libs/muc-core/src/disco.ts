// XEP-0045 section 6.4 (room information) and 6.5 (room items), and the features advertised.
import { TRACE_FEATURE } from "@fedmuc/fmuc-core";
import { NS, StanzaError, formElement, xml, type Element } from "@fedmuc/xmpp";
import { decision, iqResult } from "./decision.js";
import { occupantList } from "./room.js";
import type { Context, Decision, Room } from "./types.js";

/** The muc_* features (section 15.3) that describe a room's configuration, and this service's;
 * `traces`: this node takes trace context on its links (libs/fmuc-core, "Trace context"). */
export function roomFeatures(room: Room, traces = false): string[] {
  const c = room.config;
  return [
    NS.muc,
    c.persistent ? "muc_persistent" : "muc_temporary",
    c.public ? "muc_public" : "muc_hidden",
    c.membersOnly ? "muc_membersonly" : "muc_open",
    c.moderated ? "muc_moderated" : "muc_unmoderated",
    c.password ? "muc_passwordprotected" : "muc_unsecured",
    c.whois === "anyone" ? "muc_nonanonymous" : "muc_semianonymous",
    "http://jabber.org/protocol/muc#stable_id",
    "http://jabber.org/protocol/muc#self-ping-optimization",
    NS.occupantId,
    // XEP-0289, and this service's additions to it (paths against loops, link sessions).
    NS.fmuc,
    NS.fedmuc,
    `${NS.fedmuc}#sessions`,
    ...(traces ? [TRACE_FEATURE] : []),
    NS.discoInfo,
  ];
}

export function roomName(room: Room): string {
  return room.config.name || room.jid.slice(0, room.jid.indexOf("@"));
}

export function roomInfo(room: Room, iq: Element, ctx: Context): Decision {
  if (!room.exists) throw new StanzaError("item-not-found", "No such room");
  const info = formElement("result", "http://jabber.org/protocol/muc#roominfo", [
    { var: "muc#roominfo_description", type: "text-single", values: [room.config.description] },
    {
      var: "muc#roominfo_occupants",
      type: "text-single",
      values: [String(occupantList(room).length)],
    },
    { var: "muc#roominfo_subject", type: "text-single", values: [room.subject?.text ?? ""] },
    {
      var: "muc#roominfo_changesubject",
      type: "boolean",
      values: [room.config.changeSubject ? "1" : "0"],
    },
    { var: "muc#roomconfig_roomname", type: "text-single", values: [roomName(room)] },
  ]);
  return decision(
    [],
    [
      iqResult(
        iq,
        xml(
          "query",
          { xmlns: NS.discoInfo },
          xml("identity", { category: "conference", type: "text", name: roomName(room) }),
          ...roomFeatures(room, ctx.federation.traces).map((f) => xml("feature", { var: f })),
          info,
        ),
      ),
    ],
  );
}

/** 6.5: the room's items; occupants are not listed, to keep nicknames private. */
export function roomItems(room: Room, iq: Element): Decision {
  if (!room.exists) throw new StanzaError("item-not-found", "No such room");
  return decision([], [iqResult(iq, xml("query", { xmlns: NS.discoItems }))]);
}

/** How the room appears in the service's directory (6.3): its name, or null when not listed. */
export function directoryEntry(room: Room): string | null {
  return room.exists && room.config.public && !room.locked ? roomName(room) : null;
}
