// XEP-0045 section 10.2 and 15.5.3: the muc#roomconfig form, to show and to apply.
import {
  StanzaError,
  bareOf,
  formElement,
  parseJid,
  parseBoolean,
  type Element,
  type Field,
  type Values,
} from "@fedmuc/xmpp";
import type { Affiliation, PmPolicy, Role, Room, RoomConfig } from "./types.js";

const F = "muc#roomconfig_";
/** This service's field: the room this room federates with (XEP-0289). */
const UPSTREAM = "fedmuc#upstream";
const ROLES: readonly Role[] = ["moderator", "participant", "visitor"];
const PM_POLICIES: readonly PmPolicy[] = ["anyone", "participants", "moderators", "none"];
const opts = (values: readonly string[]) => values.map((v) => ({ label: v, value: v }));
const bool = (v: boolean) => [v ? "1" : "0"];

function holders(room: Room, affiliation: Affiliation): string[] {
  return Object.entries(room.affiliations)
    .filter(([, a]) => a === affiliation)
    .map(([jid]) => jid);
}

/** The form an owner fills in, with the room's current values (10.1.3, 10.2). */
export function configForm(room: Room): Element {
  const c = room.config;
  const fields: Field[] = [
    { var: `${F}roomname`, type: "text-single", label: "Name", values: [c.name] },
    { var: `${F}roomdesc`, type: "text-single", label: "Description", values: [c.description] },
    { var: `${F}persistentroom`, type: "boolean", label: "Persistent", values: bool(c.persistent) },
    {
      var: `${F}publicroom`,
      type: "boolean",
      label: "Listed in the directory",
      values: bool(c.public),
    },
    { var: `${F}membersonly`, type: "boolean", label: "Members only", values: bool(c.membersOnly) },
    { var: `${F}moderatedroom`, type: "boolean", label: "Moderated", values: bool(c.moderated) },
    {
      var: `${F}passwordprotectedroom`,
      type: "boolean",
      label: "Password required",
      values: bool(c.password !== ""),
    },
    { var: `${F}roomsecret`, type: "text-private", label: "Password", values: [c.password] },
    {
      var: `${F}maxusers`,
      type: "list-single",
      label: "Maximum occupants (0: no limit)",
      values: [String(c.maxUsers)],
      options: opts(["0", "10", "20", "50", "100", "500"]),
    },
    {
      var: `${F}whois`,
      type: "list-single",
      label: "Who may see real JIDs",
      values: [c.whois],
      options: opts(["moderators", "anyone"]),
    },
    {
      var: `${F}changesubject`,
      type: "boolean",
      label: "Participants may change the subject",
      values: bool(c.changeSubject),
    },
    {
      var: `${F}allowinvites`,
      type: "boolean",
      label: "Participants may invite",
      values: bool(c.allowInvites),
    },
    {
      var: `${F}allowpm`,
      type: "list-single",
      label: "Who may send private messages",
      values: [c.allowPm],
      options: opts(PM_POLICIES),
    },
    {
      var: `${F}presencebroadcast`,
      type: "list-multi",
      label: "Roles whose presence is broadcast",
      values: c.presenceBroadcast,
      options: opts(ROLES),
    },
    {
      var: `${F}historylength`,
      type: "text-single",
      label: "Messages of history kept",
      values: [String(c.maxHistory)],
    },
    {
      var: UPSTREAM,
      type: "text-single",
      label: "Federate with (XEP-0289): a room address, none, or empty for the service's default",
      values: [c.upstream === undefined ? "" : (c.upstream ?? "none")],
    },
    { var: `${F}roomowners`, type: "jid-multi", label: "Owners", values: holders(room, "owner") },
    { var: `${F}roomadmins`, type: "jid-multi", label: "Admins", values: holders(room, "admin") },
  ];
  return formElement("form", "http://jabber.org/protocol/muc#roomconfig", fields);
}

function invalid(name: string, value: string): never {
  throw new StanzaError("not-acceptable", `Invalid value "${value}" for ${F}${name}`);
}

function count(name: string, value: string, max: number): number {
  if (value === "none") return 0;
  if (!/^\d+$/.test(value) || Number(value) > max) invalid(name, value);
  return Number(value);
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  return allowed.includes(value as T) ? (value as T) : invalid(name, value);
}

export interface SubmittedConfig {
  readonly config: RoomConfig;
  /** Owners and admins as listed in the form, when the form lists them. */
  readonly owners?: readonly string[];
  readonly admins?: readonly string[];
}

/** The configuration after an owner's submission; unknown fields are ignored. */
export function applyConfigForm(
  config: RoomConfig,
  values: Values,
  historyMax: number,
): SubmittedConfig {
  const one = (name: string) => values.get(`${F}${name}`)?.[0];
  const flag = (name: string, current: boolean) => {
    const v = one(name);
    return v === undefined ? current : parseBoolean(`${F}${name}`, v);
  };
  const text = (name: string, current: string) => one(name) ?? current;
  const protect = flag("passwordprotectedroom", config.password !== "");
  const password = protect ? text("roomsecret", config.password) : "";
  if (protect && password === "") {
    throw new StanzaError("not-acceptable", "A password-protected room needs a password");
  }
  const maxUsers = one("maxusers");
  const whois = one("whois");
  const allowPm = one("allowpm");
  const history = one("historylength");
  const broadcast = values.get(`${F}presencebroadcast`);
  const jids = (name: string) =>
    values
      .get(`${F}${name}`)
      ?.filter((j) => j !== "")
      .map(bareOf);
  return {
    config: {
      name: text("roomname", config.name),
      description: text("roomdesc", config.description),
      persistent: flag("persistentroom", config.persistent),
      public: flag("publicroom", config.public),
      membersOnly: flag("membersonly", config.membersOnly),
      moderated: flag("moderatedroom", config.moderated),
      password,
      maxUsers: maxUsers === undefined ? config.maxUsers : count("maxusers", maxUsers, 1_000_000),
      whois: whois === undefined ? config.whois : oneOf("whois", whois, ["moderators", "anyone"]),
      changeSubject: flag("changesubject", config.changeSubject),
      allowInvites: flag("allowinvites", config.allowInvites),
      allowPm: allowPm === undefined ? config.allowPm : oneOf("allowpm", allowPm, PM_POLICIES),
      presenceBroadcast: broadcast
        ? broadcast.map((r) => oneOf("presencebroadcast", r, ROLES))
        : config.presenceBroadcast,
      maxHistory:
        history === undefined ? config.maxHistory : count("historylength", history, historyMax),
      ...upstreamField(values.get(UPSTREAM)?.[0], config.upstream),
    },
    owners: jids("roomowners"),
    admins: jids("roomadmins"),
  };
}

/** The upstream field: empty follows the service (FMUC_UPSTREAM), "none" turns federation off. */
function upstreamField(
  value: string | undefined,
  current: string | null | undefined,
): { upstream?: string | null } {
  const chosen = value === undefined ? current : value.trim();
  if (chosen === undefined || chosen === "") return {};
  if (chosen === null || chosen.toLowerCase() === "none") return { upstream: null };
  const jid = roomAddress(chosen);
  if (!jid) {
    throw new StanzaError(
      "not-acceptable",
      `Invalid value "${chosen}" for ${UPSTREAM}: not a room address`,
    );
  }
  return { upstream: jid };
}

function roomAddress(text: string): string | undefined {
  try {
    const jid = parseJid(text);
    return jid.local && !jid.resource ? `${jid.local.toLowerCase()}@${jid.domain}` : undefined;
  } catch {
    return undefined;
  }
}
