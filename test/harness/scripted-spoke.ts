// A lightweight scripted spoke for the hub benchmark and the hub suites: one component that plays a
// whole spoke service of R federated rooms, speaking the plain XEP-0289 wire format (no link
// sessions, so the hub treats it as another implementation would be treated). Each of its rooms
// joins a hub room as the spec's example 1 does, with one occupant. It checks the path as this
// service does (one XEP-0199 ping of the hub's service per interval) or, for the baseline, as the
// earlier per-link design did (one ping of each hub room per interval). It notes when each room's
// join completes (the subject) and when each message arrives.
import { xml, type Element } from "@fedmuc/xmpp";
import { ScriptedComponent, eachOf, type ScriptedOptions } from "./scripted-component.js";

const FMUC = "http://isode.com/protocol/fmuc";
const MUC = "http://jabber.org/protocol/muc";
const PING = "urn:xmpp:ping";

export interface ScriptedSpokeOptions extends ScriptedOptions {
  /** The hub's MUC service. */
  readonly hub: string;
  /** The hub room each room index federates with. */
  readonly hubRoom: (index: number) => string;
  readonly rooms: number;
}

export type Checks = "service" | "rooms" | "none";

export class ScriptedSpoke extends ScriptedComponent {
  /** When each room's latest join completed (ms), by room index. */
  readonly joinedAt = new Map<number, number>();
  /** Arrival time (ms) of each groupchat body. */
  readonly arrivals = new Map<string, number>();
  /** The groupchat bodies each room received, in order (a copy sent again shows twice). */
  readonly bodies = new Map<number, string[]>();
  readonly #awaited = new Map<string, (at: number) => void>();
  #checks: NodeJS.Timeout | undefined;
  #pings = 0;

  constructor(readonly options: ScriptedSpokeOptions) {
    super(options);
  }

  room(index: number): string {
    return `r${index}@${this.options.domain}`;
  }

  override async disconnect(): Promise<void> {
    this.checks("none");
    await super.disconnect();
  }

  /** Joins every room (again, with `since`: the history after that time), `concurrent` joins
   * on their way at a time; resolves once every join has completed. */
  async joinAll(since?: Date, concurrent = 200): Promise<void> {
    const started = Date.now();
    await eachOf(this.options.rooms, concurrent, async (i) => {
      this.#join(i, since);
      await this.until(() => (this.joinedAt.get(i) ?? 0) >= started);
    });
  }

  /** Path checks from now on: one ping of the hub's service per interval, one of each hub room,
   * or none. */
  checks(kind: Checks, intervalMs = 60_000): void {
    clearInterval(this.#checks);
    if (kind === "none") return;
    const ping = (to: string, from: string) =>
      this.send(
        xml(
          "iq",
          { type: "get", to, from, id: `ping-${++this.#pings}` },
          xml("ping", { xmlns: PING }),
        ),
      );
    const round = () => {
      if (kind === "service") ping(this.options.hub, this.options.domain);
      else for (let i = 0; i < this.options.rooms; i++) ping(this.options.hubRoom(i), this.room(i));
    };
    this.#checks = setInterval(round, intervalMs);
  }

  /** Resolves, with its arrival time, once a groupchat with this body has arrived. */
  arrived(body: string): Promise<number> {
    const at = this.arrivals.get(body);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => this.#awaited.set(body, resolve));
  }

  /** Resolves to a room whose join completed at or after `since`, once there is one. */
  async joinedSince(since: number): Promise<number> {
    const found = () => [...this.joinedAt].find(([, at]) => at >= since)?.[0];
    await this.until(() => found() !== undefined);
    return found()!;
  }

  #join(i: number, since?: Date): void {
    const jid = `user${i}@${this.options.domain}/spoke`;
    const history = since ? { since: since.toISOString() } : { maxstanzas: "0" };
    this.send(
      xml(
        "presence",
        { from: `${this.room(i)}/Hamlet`, to: `${this.options.hubRoom(i)}/Hamlet` },
        xml("fmuc", { xmlns: FMUC, from: jid }),
        xml("x", { xmlns: MUC }, xml("history", history)),
        xml(
          "x",
          { xmlns: `${MUC}#user` },
          xml("item", { affiliation: "none", role: "participant", jid }),
        ),
      ),
    );
  }

  protected received(stanza: Element): void {
    const { to = "", type, from, id } = stanza.attrs as Record<string, string | undefined>;
    if (stanza.is("iq") && type === "get") {
      const answer = stanza.getChild("ping", PING) ? "result" : "error";
      this.send(xml("iq", { type: answer, id, to: from, from: to }));
    } else if (stanza.is("message") && type === "groupchat") {
      const index = Number(/^r(\d+)@/.exec(to)?.[1] ?? -1);
      if (stanza.getChild("subject") !== undefined) this.joinedAt.set(index, Date.now());
      const body = stanza.getChildText("body");
      if (body === null) return;
      this.bodies.set(index, [...(this.bodies.get(index) ?? []), body]);
      this.arrivals.set(body, Date.now());
      this.#awaited.get(body)?.(Date.now());
      this.#awaited.delete(body);
    }
  }
}
