// XEP-0045 section 10: the muc#owner queries: configuring (10.1, 10.2) and destroying (10.9).
import { NS, NS_DATA, StanzaError, bareOf, formValues, xml, type Element } from "@fedmuc/xmpp";
import { changeAffiliation, CODES } from "./affiliation.js";
import { configForm, applyConfigForm } from "./config-form.js";
import { decision, iqResult, send } from "./decision.js";
import { affiliationOf } from "./privileges.js";
import { removeOccupant } from "./removal.js";
import { occupantByJid, occupantList } from "./room.js";
import { checkUpstreamChoice } from "./federation/loop.js";
import { inSteps, type Step } from "./steps.js";
import type { Context, Decision, Room, RoomConfig } from "./types.js";

/** Status codes of configuration changes (10.2.1, 15.6). */
const CONFIG_CODES = { changed: 104, nowNonAnonymous: 172, nowSemiAnonymous: 173 };

export function ownerQuery(room: Room, iq: Element, ctx: Context): Decision {
  // 10.1.3, 10.2: only owners may configure or destroy a room; the service's administrators
  // are owners of every room (also of a room that mirrors an upstream room and has no owner).
  const admin = ctx.admins?.includes(bareOf(iq.attrs.from!).toLowerCase()) ?? false;
  if (!admin && affiliationOf(room, iq.attrs.from!) !== "owner") {
    throw new StanzaError("forbidden", "Only owners may configure the room");
  }
  const query = iq.getChild("query", NS.mucOwner)!;
  if (iq.attrs.type === "get") {
    return decision([], [iqResult(iq, xml("query", { xmlns: NS.mucOwner }, configForm(room)))]);
  }
  const destroy = query.getChild("destroy");
  if (destroy) return destroyRoom(room, iq, destroy);
  const form = query.getChild("x", NS_DATA);
  if (form?.attrs.type === "cancel") {
    // 10.1.2: cancelling the initial configuration of a new room destroys it.
    return room.locked ? destroyRoom(room, iq) : decision([], [iqResult(iq)]);
  }
  if (!form || form.attrs.type !== "submit") {
    throw new StanzaError("bad-request", "Submit a muc#roomconfig form, or cancel, or destroy");
  }
  return configure(room, iq, form, ctx);
}

function configure(room: Room, iq: Element, form: Element, ctx: Context): Decision {
  const submitted = applyConfigForm(room.config, formValues(form), ctx.defaults.maxHistory);
  const { config } = submitted;
  // XEP-0289: an upstream room that federates with this one already would close a cycle.
  if (config.upstream) checkUpstreamChoice(room, config.upstream);
  const actor = { affiliation: "owner" as const, nick: occupantByJid(room, iq.attrs.from!)?.nick };
  const listed = (jids: readonly string[] | undefined, affiliation: "owner" | "admin"): Step[] =>
    (jids ?? [])
      .filter((jid) => room.affiliations[jid] !== affiliation)
      .map((jid) => (r) => changeAffiliation(r, actor, { jid, affiliation }));
  const steps: Step[] = [
    () => ({
      mutations: [{ op: "setConfig", config }, ...(room.locked ? [{ op: "unlock" } as const] : [])],
      effects: [],
    }),
    ...listed(submitted.owners, "owner"),
    ...listed(submitted.admins, "admin"),
    // 9.? / 10.2: a room made members-only removes those who are not members, with 322.
    (r) => {
      if (!config.membersOnly || room.config.membersOnly) return { mutations: [], effects: [] };
      const outsiders = occupantList(r).filter((o) => o.affiliation === "none");
      const removed = outsiders.map((o) => removeOccupant(r, o, { codes: [CODES.membersOnly] }));
      return {
        mutations: removed.flatMap((x) => x.mutations),
        effects: removed.flatMap((x) => x.effects),
      };
    },
  ];
  // 10.2.1: occupants are told that the configuration changed (not on the initial one).
  const notices = room.locked ? [] : configChangeNotices(room, room.config, config).map(send);
  const done = inSteps(room, steps, [iqResult(iq)]);
  return decision(done.mutations, [...done.effects, ...notices]);
}

/** 10.2.1: the message telling each occupant that the configuration changed. */
export function configChangeNotices(room: Room, before: RoomConfig, after: RoomConfig): Element[] {
  return occupantList(room).map((o) => configChangeNotice(room.jid, o.jid, before, after));
}

/** 10.2.1: the message telling `to` that the configuration of `room` changed, with 172 or 173
 * when the room became non-anonymous or semi-anonymous. */
export function configChangeNotice(
  room: string,
  to: string,
  before: RoomConfig,
  after: RoomConfig,
): Element {
  const codes = [
    CONFIG_CODES.changed,
    ...(after.whois !== before.whois
      ? [after.whois === "anyone" ? CONFIG_CODES.nowNonAnonymous : CONFIG_CODES.nowSemiAnonymous]
      : []),
  ];
  return xml(
    "message",
    { from: room, to, type: "groupchat" },
    xml("x", { xmlns: NS.mucUser }, ...codes.map((code) => xml("status", { code }))),
  );
}

/** 10.9: every occupant leaves with a <destroy/> notice; the room and its state are gone. */
function destroyRoom(room: Room, iq: Element, destroy?: Element): Decision {
  const reason = destroy?.getChildText("reason");
  const venue = destroy?.attrs.jid;
  const notices = occupantList(room).map((o) =>
    send(
      xml(
        "presence",
        { from: `${room.jid}/${o.nick}`, to: o.jid, type: "unavailable" },
        xml(
          "x",
          { xmlns: NS.mucUser },
          xml("item", { affiliation: "none", role: "none" }),
          xml("destroy", { jid: venue }, reason ? xml("reason", {}, reason) : undefined),
        ),
      ),
    ),
  );
  return decision([{ op: "destroy" }], [...notices, iqResult(iq)]);
}
