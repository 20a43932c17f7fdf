import { xml, type Element } from "@fedmuc/xmpp";
import { describe, expect, it } from "vitest";
import { ParserFeed } from "./parser-feed.js";

const OPEN = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='x'>";

/** Parses `chunks` through a ParserFeed; returns the elements and every piece written. */
function parse(chunks: string[]): { elements: Element[]; writes: string[]; started: boolean } {
  const parser = new xml.Parser();
  const feed = new ParserFeed();
  const elements: Element[] = [];
  const writes: string[] = [];
  let started = false;
  parser.on("start", () => (started = true));
  parser.on("element", (el) => elements.push(el));
  for (const chunk of chunks) {
    const piece = feed.push(chunk);
    if (piece) {
      writes.push(piece);
      parser.write(piece);
    }
  }
  return { elements, writes, started };
}

const body = "a > b & c < d 'q' \"qq\" ".repeat(30) + "é漢😀"; // raw '>' is legal in text
const stanza = xml("message", { to: "r@x", id: "1" }, xml("body", {}, body)).toString();

describe("ParserFeed", () => {
  it("yields the same elements whatever the split", () => {
    const input = OPEN + stanza + " " + stanza;
    for (let at = 0; at <= input.length; at++) {
      const { elements } = parse([input.slice(0, at), input.slice(at)]);
      expect(elements.map((e) => e.getChildText("body"))).toEqual([body, body]);
    }
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let run = 0; run < 50; run++) {
      const chunks: string[] = [];
      for (let at = 0; at < input.length;) {
        const size = 1 + Math.floor(random() * 40);
        chunks.push(input.slice(at, (at += size)));
      }
      expect(parse(chunks).elements.map((e) => e.attrs.id)).toEqual(["1", "1"]);
    }
  });

  it("never writes a text run without the '<' that ends it (linear for ltx)", () => {
    const chunks = (OPEN + stanza).match(/[\s\S]{1,100}/g)!;
    const { writes, elements } = parse(chunks);
    expect(elements).toHaveLength(1);
    for (const w of writes) expect(w).toMatch(/(>|<[^>]*)$/); // ends with a tag, or inside one
    expect(writes.length).toBeLessThan(chunks.length);
  });

  it("delays no event: the stream header and each stanza go out with their '>'", () => {
    expect(parse([OPEN]).started).toBe(true);
    expect(parse([OPEN, stanza]).elements).toHaveLength(1);
    const feed = new ParserFeed();
    expect(feed.push(OPEN + "<message>te")).toBe(OPEN + "<message>");
    expect(feed.held).toBe(2);
    expect(feed.push("xt</message>")).toBe("text</message>");
    expect(feed.held).toBe(0);
  });

  it("passes whitespace between stanzas through, and reset() forgets held text", () => {
    const feed = new ParserFeed();
    expect(feed.push("<a/> \n")).toBe("<a/> \n");
    feed.push("<b>held");
    feed.reset();
    expect(feed.held).toBe(0);
    expect(feed.push("<c/>")).toBe("<c/>");
  });
});

describe("ParserFeed with ltx", () => {
  it("parses a 256 KiB body of mixed scripts read in 64 KiB chunks", () => {
    const parts = [
      "Latin & <esc> 'q' ",
      "Кириллица ",
      "漢字とかな 한국어 ",
      "العربية ",
      "😀 👩‍👩‍👧‍👦 🇫🇷 𝄞 ",
    ];
    const text = parts.join("").repeat(2_000); // about 256 KiB of UTF-8
    const input = xml("message", { id: "big" }, xml("body", {}, text)).toString();
    const chunks = input.match(/[\s\S]{1,65536}/g)!;
    const { elements, writes } = parse([OPEN, ...chunks]);
    expect(elements[0]?.getChildText("body")).toBe(text);
    // Linear for ltx: the body's text reaches the parser in one write, with its closing '<'.
    expect(writes.filter((w) => w.includes("😀"))).toHaveLength(1);
  });
});
