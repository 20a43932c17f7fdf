import { describe, expect, it } from "vitest";
import { LINK_SHARDS, shardOf, shardPrefix } from "./link.js";

const link = (i: number) => ({ room: `room${i}@talk.denmark.lit`, peer: `room${i}@hub.lit` });

describe("link shards", () => {
  it("spreads 10,000 links evenly over the shards (each within 10% of its share)", () => {
    const counts = new Array<number>(LINK_SHARDS).fill(0);
    for (let i = 0; i < 10_000; i++) counts[shardOf(link(i))]! += 1;
    const share = 10_000 / LINK_SHARDS;
    for (const count of counts) expect(Math.abs(count - share)).toBeLessThan(share * 0.1);
  });

  it("puts a link in the shard its name's SHA-256 gives, so the layout is the same everywhere", () => {
    // `printf 'a@b c@d' | sha256sum` begins f53b14d0.
    expect(shardOf({ room: "a@b", peer: "c@d" })).toBe(0xf53b14d0 % LINK_SHARDS);
  });

  it("keeps the hash tag's braces around a shard's number", () => {
    expect(shardPrefix("{fedmuc:links}", 0)).toBe("{fedmuc:links}");
    expect(shardPrefix("{fedmuc:links}", 3)).toBe("{fedmuc:links:3}");
    expect(shardPrefix("links", 3)).toBe("links:3");
  });
});
