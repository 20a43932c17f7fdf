import { describe, expect, it } from "vitest";
import { deliveryTime, segments, TokenBucket } from "./link-schedule.js";

describe("TokenBucket", () => {
  it("lets everything pass at once without a rate", () => {
    const bucket = new TokenBucket();
    expect(bucket.take(5, 1_000_000)).toBe(5);
    expect(bucket.take(5, 1_000_000)).toBe(5);
  });

  it("passes bytes at the rate, each chunk after the ones before it", () => {
    const bucket = new TokenBucket();
    bucket.setRate(9_600);
    expect(bucket.take(0, 1_200)).toBe(1_000); // 9600 bits at 9600 bit/s
    expect(bucket.take(0, 1_200)).toBe(2_000);
    expect(bucket.take(500, 600)).toBe(2_500);
  });

  it("saves no credit while idle when it holds no burst", () => {
    const bucket = new TokenBucket();
    bucket.setRate(9_600);
    bucket.take(0, 1_200);
    expect(bucket.take(5_000, 1_200)).toBe(6_000);
  });

  it("lets a burst pass at once after idling, then the rate again", () => {
    const bucket = new TokenBucket(9_600);
    bucket.setRate(9_600);
    expect(bucket.take(10_000, 1_200)).toBe(10_000);
    expect(bucket.take(10_000, 1_200)).toBe(11_000);
    // Half a second idle refills half the bucket, no more.
    expect(bucket.take(11_500, 1_200)).toBe(12_000);
  });

  it("applies a new rate to chunks offered after the change", () => {
    const bucket = new TokenBucket();
    bucket.setRate(9_600);
    expect(bucket.take(0, 1_200)).toBe(1_000);
    bucket.setRate(19_200);
    expect(bucket.take(0, 1_200)).toBe(1_500);
    bucket.setRate(null);
    expect(bucket.take(0, 1_200)).toBe(0);
  });

  it("refuses a rate that is not positive", () => {
    const bucket = new TokenBucket();
    expect(() => bucket.setRate(0)).toThrow(RangeError);
    expect(() => bucket.setRate(Number.NaN)).toThrow(RangeError);
  });
});

describe("deliveryTime", () => {
  it("adds the latency to the passing time", () => {
    expect(deliveryTime(100, 250, -Infinity)).toBe(350);
  });

  it("never delivers before the connection's previous chunk (latency lowered)", () => {
    const first = deliveryTime(0, 1_000, -Infinity);
    expect(deliveryTime(10, 0, first)).toBe(1_000);
  });
});

describe("segments", () => {
  it("cuts a chunk into pieces of at most the size, in order", () => {
    const chunk = Buffer.from("abcdefghij");
    const parts = segments(chunk, 4);
    expect(parts.map((p) => p.toString())).toEqual(["abcd", "efgh", "ij"]);
    expect(segments(Buffer.alloc(0), 4)).toEqual([]);
  });
});
