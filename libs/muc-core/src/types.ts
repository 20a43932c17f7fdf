// The room model shared by the rules (pure) and the store (Redis). XEP-0045 section numbers cite
// where each notion is defined.
import type { Element } from "@fedmuc/xmpp";

/** Section 5.1 */
export type Role = "moderator" | "participant" | "visitor" | "none";
/** Section 5.2 */
export type Affiliation = "owner" | "admin" | "member" | "outcast" | "none";

export interface Occupant {
  readonly nick: string;
  /** The occupant's real full JID. */
  readonly jid: string;
  readonly role: Role;
  readonly affiliation: Affiliation;
  /** The occupant's own presence payload (show, status, caps...) as XML, without MUC elements. */
  readonly presence: string;
  /** XEP-0421 occupant id, stable per real bare JID within the room. */
  readonly occupantId: string;
  /** XEP-0289: the peer room this occupant is present through; absent for a local occupant. */
  readonly node?: string;
}

/** XEP-0289: a federation link of this room with a peer room. */
export interface FederationLink {
  /** upstream: this room joined the peer; downstream: the peer joined this room. */
  readonly role: "upstream" | "downstream";
  readonly state: "joining" | "joined";
  /** primary-replica: the joined node echoes the joining node's messages back to it. */
  readonly replica: boolean;
  /** Downstream: the rooms whose traffic comes through this link, the peer first. */
  readonly below?: readonly string[];
}

export type PmPolicy = "anyone" | "participants" | "moderators" | "none";

/** A room's configuration: the muc#roomconfig form of section 10.2 (owners and admins apart). */
export interface RoomConfig {
  readonly name: string;
  readonly description: string;
  readonly persistent: boolean;
  readonly public: boolean;
  readonly membersOnly: boolean;
  readonly moderated: boolean;
  /** "" when the room has no password. */
  readonly password: string;
  /** 0 for no limit. */
  readonly maxUsers: number;
  /** Who may see real JIDs (section 4.2): semi-anonymous = "moderators". */
  readonly whois: "moderators" | "anyone";
  readonly changeSubject: boolean;
  readonly allowInvites: boolean;
  readonly allowPm: PmPolicy;
  /** Roles whose presence is broadcast to the room. */
  readonly presenceBroadcast: readonly Role[];
  readonly maxHistory: number;
}

export interface Subject {
  readonly text: string;
  readonly nick: string;
  readonly stamp: string;
}

export interface Room {
  /** The room's bare JID. */
  readonly jid: string;
  /** Store version; 0 when the room does not exist. */
  readonly version: number;
  readonly exists: boolean;
  /** Secret salt of the room's occupant ids (XEP-0421 section 4). */
  readonly salt: string;
  readonly config: RoomConfig;
  /** Section 10.1: a new room stays locked until its owner configures it. */
  readonly locked: boolean;
  /** Affiliations by real bare JID (section 5.2); "none" is not stored. */
  readonly affiliations: Readonly<Record<string, Affiliation>>;
  readonly subject: Subject | null;
  /** Occupants by nick. */
  readonly occupants: Readonly<Record<string, Occupant>>;
  /** XEP-0289 links by peer room. */
  readonly links: Readonly<Record<string, FederationLink>>;
}

/** A message kept in the room's history (section 7.2.15), as it was broadcast. */
export interface HistoryEntry {
  readonly nick: string;
  readonly jid: string;
  readonly stamp: string;
  /** The broadcast <message/> as XML, addressed from the room. */
  readonly stanza: string;
}

/** A change to the room's stored state, applied atomically with the others of a decision. */
export type Mutation =
  | { readonly op: "create"; readonly salt: string; readonly config: RoomConfig }
  | { readonly op: "setConfig"; readonly config: RoomConfig }
  | { readonly op: "unlock" }
  | { readonly op: "setAffiliation"; readonly jid: string; readonly affiliation: Affiliation }
  | { readonly op: "putOccupant"; readonly occupant: Occupant }
  | { readonly op: "removeOccupant"; readonly nick: string }
  | { readonly op: "setSubject"; readonly subject: Subject }
  | { readonly op: "appendHistory"; readonly entry: HistoryEntry; readonly max: number }
  | { readonly op: "setLink"; readonly peer: string; readonly link: FederationLink | null }
  | { readonly op: "destroy" }
  /** XEP-0289: a stanza for the federation link to `peer`, kept in order until it is sent. */
  | { readonly op: "enqueue"; readonly peer: string; readonly stanza: string }
  /** XEP-0289 5.1: the room's latest `count` history entries (from `since`, if given), for the
   * link to `peer`, in order, after what is enqueued before. */
  | {
      readonly op: "enqueueHistory";
      readonly peer: string;
      readonly count: number;
      readonly since?: string;
    };

/** What the shell does after the mutations are committed, in this order. */
export type Effect =
  | { readonly kind: "send"; readonly stanza: Element }
  /** Send the room's history to `to`, as selected by `limits` (section 7.2.15). */
  | { readonly kind: "sendHistory"; readonly to: string; readonly limits: HistoryLimits }
  /** Something an operator should know (refused or ignored federation traffic). */
  | { readonly kind: "log"; readonly level: "info" | "warn"; readonly message: string };

export interface HistoryLimits {
  readonly maxchars?: number;
  readonly maxstanzas?: number;
  readonly seconds?: number;
  readonly since?: string;
}

export interface Decision {
  readonly mutations: readonly Mutation[];
  readonly effects: readonly Effect[];
}

/** XEP-0289 policy of this service: who may join here, and whom rooms here join. */
export interface Federation {
  /** Whether the room `peer` may join rooms here as an FMUC node (FMUC_ALLOW). */
  allows(peer: string): boolean;
  /** The room `room` federates with (joins), if any (FMUC_UPSTREAM). */
  upstream(room: string): string | null;
  /** Whether this node's outbound links are primary-replica (FMUC_MODE). */
  readonly replica: boolean;
}

/** What a rule may know of the world besides the room and the stanza. */
export interface Context {
  readonly now: Date;
  /** A fresh unique id (stanza ids, salts). */
  readonly newId: () => string;
  readonly defaults: RoomConfig;
  /** Longest message body accepted, in characters. */
  readonly maxBodyChars: number;
  readonly federation: Federation;
}
