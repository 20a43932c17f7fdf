// XEP-0289 leaves configuration open; here a room that federates upstream mirrors the upstream
// room's configuration, read from its disco#info (XEP-0045 6.4: muc_* features and the
// muc#roominfo form), so it works with any peer. It asks when its join completes and whenever
// the upstream room announces a configuration change (status 104), which it passes on to the
// rooms that joined it, so they ask it in turn. Mirrored: what occupants
// see of the room (name, description, moderation, anonymity, who may change the subject,
// listing). Kept local: admission (members-only, password, capacity), persistence and history
// length, which are each site's own policy.
import { TRACE_FEATURE } from "@fedmuc/fmuc-core";
import { NS, NS_DATA, formValues, xml, type Element } from "@fedmuc/xmpp";
import { NOTHING, decision, send } from "../decision.js";
import { configChangeNotice, configChangeNotices } from "../owner.js";
import { passDown } from "./pass-down.js";
import type { Decision, Mutation, Room, RoomConfig } from "../types.js";

export const CONFIG_QUERY_ID = "fmuc-config";

/** The disco#info query for the upstream room's configuration. */
export function configQuery(room: Room, peer: string): Element {
  return xml(
    "iq",
    { type: "get", from: room.jid, to: peer, id: CONFIG_QUERY_ID },
    xml("query", { xmlns: NS.discoInfo }),
  );
}

/** The mirrored part of the configuration described by a disco#info result. */
export function mirroredConfig(config: RoomConfig, info: Element): RoomConfig {
  const features = new Set(info.getChildren("feature").map((f) => f.attrs.var));
  const form = info.getChildren("x", NS_DATA)[0];
  const values = form ? formValues(form) : new Map<string, string[]>();
  const field = (name: string) => values.get(name)?.[0];
  const either = (yes: string, no: string, current: boolean) =>
    features.has(yes) ? true : features.has(no) ? false : current;
  const changeSubject = field("muc#roominfo_changesubject");
  return {
    ...config,
    name: info.getChild("identity")?.attrs.name ?? field("muc#roomconfig_roomname") ?? config.name,
    description: field("muc#roominfo_description") ?? config.description,
    moderated: either("muc_moderated", "muc_unmoderated", config.moderated),
    public: either("muc_public", "muc_hidden", config.public),
    whois: features.has("muc_nonanonymous")
      ? "anyone"
      : features.has("muc_semianonymous")
        ? "moderators"
        : config.whois,
    changeSubject:
      changeSubject === undefined ? config.changeSubject : ["1", "true"].includes(changeSubject),
  };
}

/** The upstream room's disco#info result: adopt its configuration, telling local occupants,
 * and note whether it takes trace context on the link (libs/fmuc-core, "Trace context"). */
export function adoptConfig(room: Room, peer: string, result: Element): Decision {
  const info = result.getChild("query", NS.discoInfo);
  if (!info) return NOTHING;
  const link = room.links[peer];
  const traces = info.getChildren("feature").some((f) => f.attrs.var === TRACE_FEATURE);
  const tracing: Mutation[] =
    link && (link.traces ?? false) !== traces
      ? [{ op: "setLink", peer, link: { ...link, traces } }]
      : [];
  const config = mirroredConfig(room.config, info);
  if (JSON.stringify(config) === JSON.stringify(room.config)) return decision(tracing, []);
  const locals = { ...room, occupants: localOccupants(room) };
  // Rooms below ask for the configuration they mirror in turn.
  const news = (to: string) => configChangeNotice(room.jid, to, room.config, config);
  return decision(
    [...tracing, { op: "setConfig", config }, ...passDown(room, news)],
    configChangeNotices(locals, room.config, config).map(send),
  );
}

function localOccupants(room: Room): Room["occupants"] {
  return Object.fromEntries(Object.entries(room.occupants).filter(([, o]) => !o.node));
}
