// Feeds ltx (the XML parser of @xmpp/xml 0.13) in pieces it parses in linear time. In a text
// run, ltx calls indexOf("<") from every position until it finds one in the current write, so
// a text node split across reads costs O(n²): a 256 KiB body read in 64 KiB chunks blocks the
// event loop for about a second. Holding back character data after the last complete tag until
// more input arrives keeps every text run in a write followed by its "<". Nothing waits that
// matters: the parser emits on ">", and held text only counts once its element closes.
// A small scanner (tags, quoted attribute values) knows where text starts; XMPP streams carry
// no comments (RFC 6120 §11.1), and a CDATA section could only delay text, never change it.

type State = "text" | "tag" | "'" | '"';
const TAG_STOPS = /['">]/g;

export class ParserFeed {
  #held = "";
  #state: State = "text";

  /** The part of held + `text` to write to the parser now; the rest is held. */
  push(text: string): string {
    const data = this.#held + text;
    const offset = this.#held.length;
    let textStart = 0; // where the current text run starts in data (held is all text)
    for (let i = 0; i < text.length;) {
      if (this.#state === "text") {
        const lt = text.indexOf("<", i);
        if (lt < 0) break;
        [this.#state, i] = ["tag", lt + 1];
      } else if (this.#state === "tag") {
        TAG_STOPS.lastIndex = i;
        const stop = TAG_STOPS.exec(text);
        if (!stop) break;
        this.#state = stop[0] === ">" ? "text" : (stop[0] as State);
        i = stop.index + 1;
        textStart = offset + i;
      } else {
        const end = text.indexOf(this.#state, i);
        if (end < 0) break;
        [this.#state, i] = ["tag", end + 1];
      }
    }
    let cut = this.#state === "text" ? textStart : data.length;
    // Whitespace between stanzas (keepalives, RFC 6120 §4.6.1) is cheap: never hoard it.
    if (/^\s*$/.test(data.slice(cut))) cut = data.length;
    this.#held = data.slice(cut);
    return data.slice(0, cut);
  }

  /** Characters held back. */
  get held(): number {
    return this.#held.length;
  }

  /** Forgets held text and state, for a new socket. */
  reset(): void {
    this.#held = "";
    this.#state = "text";
  }
}
