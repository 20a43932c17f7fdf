// Room snapshots and mutations to and from their Redis form.
import {
  emptyRoom,
  type Affiliation,
  type FederationLink,
  type Heard,
  type LinkLoss,
  type Mutation,
  type Occupant,
  type Room,
  type RoomConfig,
  type Subject,
} from "@fedmuc/muc-core";
import { CONFIG_BASELINE, LINK_BASELINE, OCCUPANT_BASELINE, compact, expand } from "./compact.js";

/** The version token a commit is checked against: a new incarnation of a room has a new salt. */
export function versionToken(room: Room): string {
  return `${room.exists ? room.salt : ""}:${room.version}`;
}

/** The link peers a decision writes to (traffic, or the link's end), in first-use order: each
 * one's keys (outbox, sent stream, session counters) follow the 6 room keys. */
export function linkPeers(mutations: readonly Mutation[]): string[] {
  return [
    ...new Set(
      mutations.flatMap((m) =>
        m.op === "enqueue" ||
        m.op === "enqueueHistory" ||
        m.op === "dropReplaceable" ||
        (m.op === "setLink" && m.link === null)
          ? [m.peer]
          : [],
      ),
    ),
  ];
}

/** Mutations as the flat triples commit.lua reads. */
export function encodeMutations(mutations: readonly Mutation[]): string[] {
  const peers = linkPeers(mutations);
  /** The index (in KEYS) of the first of the peer's three keys. */
  const keysOf = (peer: string) => String(7 + 3 * peers.indexOf(peer));
  return mutations.flatMap((m): string[] => {
    switch (m.op) {
      case "create":
        return ["create", m.salt, compact(m.config, CONFIG_BASELINE)];
      case "setConfig":
        return ["meta", "config", compact(m.config, CONFIG_BASELINE)];
      case "unlock":
        return ["meta", "locked", "0"];
      case "setAffiliation":
        return ["aff", m.jid, m.affiliation === "none" ? "" : m.affiliation];
      case "putOccupant":
        return ["put", m.occupant.nick, compact(m.occupant, OCCUPANT_BASELINE, ["nick"])];
      case "removeOccupant":
        return ["del", m.nick, ""];
      case "setSubject":
        return ["meta", "subject", JSON.stringify(m.subject)];
      case "setHeard":
        return ["meta", "heard", JSON.stringify(m.heard)];
      case "appendHistory":
        return ["hist", String(m.max), JSON.stringify(m.entry)];
      case "destroy":
        return ["destroy", "", ""];
      case "enqueue":
        return [m.replaceable ? "outp" : "out", keysOf(m.peer), m.stanza];
      case "dropReplaceable":
        return ["outdrop", keysOf(m.peer), ""];
      case "forgetLoss":
        return ["forgetloss", m.peer, ""];
      case "enqueueHistory":
        return [
          "outh",
          keysOf(m.peer),
          JSON.stringify({ count: m.count, since: m.since ?? "", after: m.after ?? "" }),
        ];
      case "setLink":
        // A link that ends forgets its session with it (its outbox still sends what is left).
        return m.link
          ? ["link", m.peer, compact(m.link, LINK_BASELINE)]
          : ["link", m.peer, "", "unlink", keysOf(m.peer), ""];
    }
  });
}

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** The snapshot from load.lua's reply. */
export function decodeRoom(
  jid: string,
  defaults: RoomConfig,
  metaFlat: readonly string[],
  occupantsFlat: readonly string[],
  affiliationsFlat: readonly string[],
  linksFlat: readonly string[],
  lostFlat: readonly string[] = [],
): Room {
  const meta = Object.fromEntries(pairs(metaFlat));
  if (meta.salt === undefined) return emptyRoom(jid, defaults);
  const occupants: Record<string, Occupant> = {};
  for (const [nick, json] of pairs(occupantsFlat)) {
    occupants[nick] = { ...expand<Occupant>(json, OCCUPANT_BASELINE), nick };
  }
  return {
    jid,
    version: Number(meta.version ?? 0),
    exists: true,
    salt: meta.salt,
    // Fields added since the baseline was fixed fall back to the service's defaults.
    config: { ...defaults, ...expand<RoomConfig>(meta.config ?? "{}", CONFIG_BASELINE) },
    locked: meta.locked === "1",
    affiliations: Object.fromEntries(pairs(affiliationsFlat)) as Record<string, Affiliation>,
    subject: meta.subject ? (JSON.parse(meta.subject) as Subject) : null,
    ...(meta.heard ? { heard: JSON.parse(meta.heard) as Heard } : {}),
    occupants,
    links: Object.fromEntries(
      pairs(linksFlat).map(([peer, json]) => [peer, expand<FederationLink>(json, LINK_BASELINE)]),
    ),
    ...(lostFlat.length > 0 && {
      lost: Object.fromEntries(
        pairs(lostFlat).map(([peer, json]) => [peer, JSON.parse(json) as LinkLoss]),
      ),
    }),
  };
}
