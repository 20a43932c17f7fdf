// The hub's users for the hub benchmark and suites, scripted: one component whose JIDs create the
// hub's rooms (XEP-0045 10.1.2, an instant room) and stay in them as their one local occupant, and
// send groupchat messages. Cheaper at ten thousand rooms than a client, whose every stanza a test
// client keeps.
import { xml, type Element } from "@fedmuc/xmpp";
import { ScriptedComponent, eachOf, type ScriptedOptions } from "./scripted-component.js";

const MUC = "http://jabber.org/protocol/muc";

export class ScriptedOwner extends ScriptedComponent {
  readonly #done = new Set<string>();
  readonly #entered = new Set<string>();
  #refused: string | undefined;
  #ids = 0;

  constructor(options: ScriptedOptions) {
    super(options);
  }

  get jid(): string {
    return `alice@${this.scripted.domain}/hub`;
  }

  /** Creates each room and accepts its default configuration, `concurrent` at a time. */
  async createRooms(rooms: readonly string[], concurrent = 100): Promise<void> {
    await eachOf(rooms.length, concurrent, async (i) => {
      const room = rooms[i]!;
      this.send(xml("presence", { from: this.jid, to: `${room}/Alice` }, xml("x", { xmlns: MUC })));
      // In: the configuration may go (two workers may take the two stanzas at once).
      await this.until(() => this.#entered.has(room) || this.#refused !== undefined);
      if (this.#refused) throw new Error(`${room} not entered: ${this.#refused}`);
      const id = `create-${++this.#ids}`;
      const form = xml("x", { xmlns: "jabber:x:data", type: "submit" });
      this.send(
        xml(
          "iq",
          { type: "set", from: this.jid, to: room, id },
          xml("query", { xmlns: `${MUC}#owner` }, form),
        ),
      );
      await this.until(() => this.#done.has(id) || this.#refused !== undefined);
      if (this.#refused) throw new Error(`${room} not created: ${this.#refused}`);
    });
  }

  say(room: string, body: string): void {
    this.send(
      xml("message", { type: "groupchat", from: this.jid, to: room }, xml("body", {}, body)),
    );
  }

  protected received(stanza: Element): void {
    const from = String(stanza.attrs.from ?? "");
    if (stanza.is("presence") && from.endsWith("/Alice")) this.#entered.add(from.split("/")[0]!);
    if (!stanza.is("iq") && stanza.attrs.type !== "error") return;
    if (stanza.attrs.type === "error") this.#refused = stanza.toString();
    if (stanza.attrs.type === "result") this.#done.add(String(stanza.attrs.id));
  }
}
