import { describe, expect, it } from "vitest";
import { Utf8Decoder } from "./utf8.js";

// 1-, 2-, 3- and 4-byte code points, a ZWJ family and a flag (sequences of several).
const TEXT = "Latin é Кириллица 漢字かな العربية 😀 👩‍👩‍👧‍👦 🇫🇷 𝄞";

describe("Utf8Decoder", () => {
  it("joins a code point split across two reads, at every split offset", () => {
    const bytes = Buffer.from(TEXT, "utf8");
    for (let at = 0; at <= bytes.length; at++) {
      const d = new Utf8Decoder();
      expect(d.write(bytes.subarray(0, at)) + d.write(bytes.subarray(at))).toBe(TEXT);
    }
  });

  it("joins a 4-byte code point fed one byte at a time", () => {
    const d = new Utf8Decoder();
    const out = [...Buffer.from("😀", "utf8")].map((b) => d.write(Buffer.from([b])));
    expect(out).toEqual(["", "", "", "😀"]);
  });

  it("is what xmpp.js 0.13 gets wrong: per-chunk toString() yields U+FFFD", () => {
    const bytes = Buffer.from("😀", "utf8");
    const naive = bytes.subarray(0, 2).toString("utf8") + bytes.subarray(2).toString("utf8");
    expect(naive).not.toBe("😀");
    expect(naive).toContain("\uFFFD");
  });

  it("reset() forgets a partial code point (a new socket starts clean)", () => {
    const d = new Utf8Decoder();
    d.write(Buffer.from("😀", "utf8").subarray(0, 2));
    d.reset();
    expect(d.write(Buffer.from("<a/>"))).toBe("<a/>");
  });
});
