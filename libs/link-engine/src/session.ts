// The sending side of a link session between two nodes of this service (libs/fmuc-core/README.md
// "Link sessions"): each stanza taken from the outbox gets the next number and is kept in the
// link's sent stream until the peer acknowledges it; what the peer asks for again (or does not
// acknowledge in time) is sent again from there, in order. A new session renumbers what the
// old one left unacknowledged. The scripts keep each step atomic; one delivery job per link
// runs them.
import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import { STREAM_LUA, roomKeys, sessionKeys } from "@fedmuc/room-store";
import type { Link } from "./outbox.js";

const script = (name: string): string => readFileSync(new URL(name, import.meta.url), "utf8");

type Scripted = (Redis | Cluster) & {
  fedmucPrepare(...keysThenArgv: string[]): Promise<(string | number | null)[]>;
  fedmucNumber(...keysThenArgv: string[]): Promise<number[] | null>;
  fedmucAck(...keysThenArgv: string[]): Promise<[number, number, number]>;
  fedmucPutBack(...keysThenArgv: string[]): Promise<number>;
};

/** A stanza of the session: its number, the XML sent, and when it was queued (ms). */
export interface Numbered {
  readonly n: number;
  readonly stanza: string;
  readonly queuedAt: number;
}

/** What a delivery needs of the link as its room last committed it (the links hash). */
export interface LinkState {
  readonly state?: string;
  readonly session?: string;
  readonly rx?: number;
  /** The peer takes trace context on its link stanzas (it advertised it, see fmuc-core). */
  readonly traces?: boolean;
}

/** The link's state (null: gone), with what to send again and the run of copies it is in. */
export interface Round {
  readonly link: LinkState | null;
  readonly resend: Numbered[];
  readonly run: number;
}

/** What the peer acknowledged: it has applied the session's stanzas up to `n`; `resend`: it
 * asks for what follows, unless a run of copies newer than `run` (the latest it has seen; 0 or
 * absent: none) is on its way from no later than that. */
export interface PeerAck {
  readonly session: string;
  readonly n: number;
  readonly resend: boolean;
  readonly run?: number;
}

/** An outbox entry to number: its stanza, or "" if it leaves without being sent. */
export interface ToNumber {
  readonly id: string;
  readonly stanza: string;
  readonly replaceable: boolean;
}

export class LinkSessions {
  readonly #redis: Scripted;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix: string,
  ) {
    const prepare = STREAM_LUA + script("./prepare.lua");
    redis.defineCommand("fedmucPrepare", { numberOfKeys: 3, lua: prepare });
    redis.defineCommand("fedmucNumber", { numberOfKeys: 3, lua: script("./number.lua") });
    redis.defineCommand("fedmucAck", { numberOfKeys: 2, lua: script("./ack.lua") });
    redis.defineCommand("fedmucPutBack", { numberOfKeys: 1, lua: script("./put-back.lua") });
    this.#redis = redis as Scripted;
  }

  #keys(link: Link) {
    return sessionKeys(this.prefix, link.room, link.peer);
  }

  /** The link's state and up to `count` stanzas to send again (a new session renumbers first). */
  async prepare(link: Link, count: number): Promise<Round> {
    const { sent, seq } = this.#keys(link);
    const links = roomKeys(this.prefix, link.room).links;
    const [json, run, ...flat] = await this.#redis.fedmucPrepare(
      links,
      sent,
      seq,
      link.peer,
      String(count),
    );
    const resend: Numbered[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      resend.push({
        n: Number(flat[i]),
        stanza: String(flat[i + 1]),
        queuedAt: Number(flat[i + 2]),
      });
    }
    const state = typeof json === "string" ? (JSON.parse(json) as LinkState) : null;
    return { link: state, resend, run: Number(run ?? 0) };
  }

  /** Numbers `entries` (taken from the outbox) in `session`: their numbers in order, 0 for one
   * that is not sent; null if the session changed meanwhile (nothing was taken). */
  async number(
    link: Link,
    outbox: string,
    session: string,
    entries: readonly ToNumber[],
  ): Promise<number[] | null> {
    const { sent, seq } = this.#keys(link);
    const argv = entries.flatMap((e) => [e.id, e.stanza, e.replaceable ? "1" : "0"]);
    return this.#redis.fedmucNumber(outbox, sent, seq, session, ...argv);
  }

  /** Copies from stanza `n` on that `prepare` gave were not sent: they are to be sent again. */
  async putBack(link: Link, session: string, n: number): Promise<void> {
    await this.#redis.fedmucPutBack(this.#keys(link).seq, session, String(n));
  }

  /** Whether something waits to be sent again. */
  async resending(link: Link): Promise<boolean> {
    return Number(await this.#redis.hget(this.#keys(link).seq, "resend")) > 0;
  }

  /** Forgets what the peer acknowledged; true when something is to be sent again. */
  async acknowledged(link: Link, ack: PeerAck): Promise<boolean> {
    const { sent, seq } = this.#keys(link);
    const [again] = await this.#redis.fedmucAck(
      sent,
      seq,
      ack.session,
      String(ack.n),
      ack.resend ? "1" : "0",
      "",
      String(ack.run ?? 0),
    );
    return again === 1;
  }

  /** Nothing was acknowledged for a while after stanza `tx` was sent: the last stanza sent goes
   * again as a probe (the peer acknowledges it, or asks for what it lacks), unless the peer has
   * acknowledged `tx` meanwhile. Also says how far the numbering and its acknowledgements are. */
  async timedOut(link: Link, session: string, tx: number) {
    const { sent, seq } = this.#keys(link);
    const [again, now, acked] = await this.#redis.fedmucAck(
      sent,
      seq,
      session,
      "0",
      "1",
      String(tx),
      "",
    );
    return { resend: again === 1, tx: now, acked };
  }
}
