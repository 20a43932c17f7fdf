// The room model shared by the rules (pure) and the store (Redis). XEP-0045 section numbers cite
// where each notion is defined.
import type { Element } from "@fedmuc/xmpp";
import type { LinkLoss } from "@fedmuc/fmuc-core";

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
  /** XEP-0289 resync: announced before the link's current join, not yet announced again. */
  readonly stale?: boolean;
}

export interface Heard {
  readonly peer: string;
  readonly at: string;
  readonly id?: string;
}

/** Why a link's timer was set: to join again, to check the peer is alive, or to end the grace
 * period after which a down link's occupants leave. */
export type LinkTimerPurpose = "join" | "ping" | "grace";

/** XEP-0289: a federation link of this room with a peer room. */
export interface FederationLink {
  /** upstream: this room joined the peer; downstream: the peer joined this room. */
  readonly role: "upstream" | "downstream";
  /** joining: the first join is on its way; up: joined; down: the peer or the path to it
   * failed, a join will be tried again; resyncing: that join is on its way. */
  readonly state: "joining" | "up" | "down" | "resyncing";
  /** primary-replica: the joined node echoes the joining node's messages back to it. */
  readonly replica: boolean;
  /** Downstream: the rooms whose traffic comes through this link, the peer first. */
  readonly below?: readonly string[];
  /** Joins sent (upstream) or answered (downstream) on this link, the first one included. */
  readonly joins: number;
  /** Upstream: the time of the latest message heard from the peer, from its clock when it gave
   * one (XEP-0203), for the history a rejoin asks for. */
  readonly heard?: string;
  /** Upstream: the peer's stanza id (XEP-0359) of that message, for a rejoin asking for the
   * history after it (a peer of this service answers exactly, whatever the clocks say). */
  readonly heardId?: string;
  /** When the link went down (its occupants stay for the grace period). */
  readonly downSince?: string;
  /** Downstream: it went down because the path to the peer's service failed (its stanzas
   * bounced with remote-server-*): the path's check brings it back up when the service answers
   * (federation/path.ts), unless its grace period ended first. */
  readonly pathDown?: boolean;
  /** Between nodes of this service: the link's session (libs/fmuc-core/README.md, "Link
   * sessions"), proposed by the joining node, settled by the joined node; absent with a peer
   * that does not number its traffic. */
  readonly session?: string;
  /** Downstream: the session the joining node offered when this one started (a join offering
   * it again repeats that join). */
  readonly offered?: string;
  /** The peer's stanzas of the session applied here, in order (1, 2, ... rx). */
  readonly rx?: number;
  /** When this node last asked the peer to send again what follows rx (once per gap, and again
   * if the gap is still there a while later), and at which rx. */
  readonly nak?: { readonly rx: number; readonly at: string };
  /** The latest run of copies sent again by the peer seen here (its asks name it). */
  readonly run?: number;
  /** The peer resumed the session `count` times, the last time having applied `rx` of this
   * room's stanzas: the link's next delivery round sends again what follows (in the same step
   * as anything else, so what waited never crosses both new and as a copy). */
  readonly resumed?: { readonly count: number; readonly rx: number };
  /** Upstream: the grace period ended and the peer's occupants left this room's view; the next
   * join asks for them again. */
  readonly needState?: boolean;
  /** The peer takes trace context on this link's stanzas (libs/fmuc-core/README.md "Trace
   * context"): its join offered it (downstream), or its room advertises it (upstream). */
  readonly traces?: boolean;
  /** Upstream: the session this node proposed afresh because the link lost traffic (see
   * Room.lost); its joins offer it until the link is up again. */
  readonly restart?: string;
}

/** XEP-0289, this service: what a link's bounded backlog dropped (libs/fmuc-core/README.md,
 * "Bounded backlogs"). */
export type { LinkLoss } from "@fedmuc/fmuc-core";

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
  /** XEP-0289: the room this one federates with; undefined follows FMUC_UPSTREAM, null: none. */
  readonly upstream?: string | null;
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
  /** XEP-0289: the latest message heard from the room this one joined, kept after it left the
   * set, so that its next join asks only for what it missed. */
  readonly heard?: Heard;
  /** XEP-0289: what each link's bounded backlog dropped, by peer, until its return reports it
   * (written by the store as it drops; absent when nothing was). */
  readonly lost?: Readonly<Record<string, LinkLoss>>;
}

/** A message kept in the room's history (section 7.2.15), as it was broadcast. */
export interface HistoryEntry {
  readonly nick: string;
  readonly jid: string;
  readonly stamp: string;
  /** The room's XEP-0359 stanza id of the message (absent in entries stored before it was kept). */
  readonly id?: string;
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
  /** XEP-0289: a stanza for the federation link to `peer`, kept in order until it is sent;
   * `replaceable` when a rejoin's state and history carry it again (room presence, messages). */
  | {
      readonly op: "enqueue";
      readonly peer: string;
      readonly stanza: string;
      readonly replaceable?: boolean;
    }
  /** XEP-0289: see Room.heard. */
  | { readonly op: "setHeard"; readonly heard: Heard }
  /** XEP-0289: the link's loss was reported (its return): forgotten. */
  | { readonly op: "forgetLoss"; readonly peer: string }
  /** XEP-0289: the link's waiting traffic that a rejoin's state and history replace. */
  | { readonly op: "dropReplaceable"; readonly peer: string }
  /** XEP-0289 5.1: the room's latest `count` history entries (from `since`, if given), for the
   * link to `peer`, in order, after what is enqueued before. */
  | {
      readonly op: "enqueueHistory";
      readonly peer: string;
      readonly count: number;
      readonly since?: string;
      /** Only the entries after the one with this id, when the history still has it. */
      readonly after?: string;
    };

/** What the shell does after the mutations are committed, in this order. */
export type Effect =
  | { readonly kind: "send"; readonly stanza: Element }
  /** XEP-0289: the link to `peer` is up; the path to its service is to be watched (path.ts). */
  | { readonly kind: "watchPath"; readonly peer: string }
  /** XEP-0289: a stanza to `peer` bounced because the path to its service failed (RFC 6120
   * 8.3.3): the path is checked now, and watched while it stays down (path.ts). */
  | { readonly kind: "pathFailed"; readonly peer: string }
  /** Send the room's history to `to`, as selected by `limits` (section 7.2.15). */
  | { readonly kind: "sendHistory"; readonly to: string; readonly limits: HistoryLimits }
  /** XEP-0289: look at the link to `peer` again after `afterMs` (by default, the join's
   * timeout and retry backoff); `joins` is the link's count when scheduled, so a timer made
   * stale by later events does nothing. */
  | {
      readonly kind: "linkTimer";
      readonly peer: string;
      readonly purpose: LinkTimerPurpose;
      readonly joins: number;
      readonly afterMs?: number;
    }
  /** XEP-0289 link sessions: the peer has applied `n` of this room's stanzas of `session`;
   * `resend`: send again what came after, unless a run of copies newer than `run` (the latest
   * the peer has seen; 0 or absent: none) is on its way to fill it. */
  | {
      readonly kind: "peerAcked";
      readonly peer: string;
      readonly session: string;
      readonly n: number;
      readonly resend: boolean;
      readonly run?: number;
    }
  /** XEP-0289 link sessions: this room has applied `rx` of the peer's stanzas of `session`; the
   * peer is to be told, with its next stanza or soon on its own. */
  | {
      readonly kind: "ackDue";
      readonly peer: string;
      readonly session: string;
      readonly rx: number;
    }
  /** Something an operator should know (refused or ignored federation traffic). */
  | { readonly kind: "log"; readonly level: "info" | "warn"; readonly message: string };

export interface HistoryLimits {
  readonly maxchars?: number;
  readonly maxstanzas?: number;
  readonly seconds?: number;
  readonly since?: string;
  /** XEP-0289, between nodes of this service: only the messages after the one with this id. */
  readonly after?: string;
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
  /** How long a down link's occupants stay before they leave (FMUC_GRACE_MS). */
  readonly graceMs?: number;
  /** How often a link this node joined checks that the peer answers (FMUC_PING_INTERVAL_MS). */
  readonly pingMs?: number;
  /** This node takes trace context on its links (it exports traces): its joins offer it, its
   * rooms advertise it. */
  readonly traces?: boolean;
  /** Whether the operator detached the service of the room `peer` (federation/operator.ts):
   * rooms here neither join it nor let it join, until it is attached again. */
  detached?(peer: string): boolean;
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
  /** Service administrators (bare JIDs): owners of every room (MUC_ADMINS). */
  readonly admins?: readonly string[];
}
