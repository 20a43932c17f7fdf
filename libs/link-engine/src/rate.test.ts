import { describe, expect, it } from "vitest";
import { bucketShape, firstPayment, paidBytes, ROUND_ADDS_BYTES } from "./rate.js";

describe("a peer service's bucket", () => {
  it("holds two seconds of the rate: live messages may take it all, presences the top three quarters, the backlog the top half, a second of the rate per turn", () => {
    expect(bucketShape(1_000)).toEqual({
      rate: 1_000,
      burst: 2_000,
      reserve: { message: 0, presence: 500, backlog: 1_000 },
      quantum: 1_000,
    });
  });

  it("pays for a stanza's bytes and what a round adds to it", () => {
    expect(paidBytes("<message>é</message>")).toBe(21 + ROUND_ADDS_BYTES);
  });
});

describe("one payment", () => {
  const backlog = (bytes: number) => ({ priority: "backlog" as const, bytes });
  const message = (bytes: number) => ({ priority: "message" as const, bytes });

  it("covers stanzas of one priority up to the quantum", () => {
    expect(firstPayment([backlog(400), backlog(400), backlog(400)], 1_000)).toEqual({
      count: 2,
      priority: "backlog",
      bytes: 800,
    });
  });

  it("covers at least one stanza, however large", () => {
    expect(firstPayment([backlog(5_000), backlog(10)], 1_000)).toEqual({
      count: 1,
      priority: "backlog",
      bytes: 5_000,
    });
  });

  it("ends where the priority changes, so that a link's order is kept", () => {
    expect(firstPayment([message(300), backlog(300), message(300)], 1_000)).toEqual({
      count: 1,
      priority: "message",
      bytes: 300,
    });
  });

  it("takes along what does not go (a superseded presence) at no cost", () => {
    const superseded = { priority: "presence" as const, bytes: 0 };
    expect(firstPayment([superseded, backlog(300), superseded], 1_000)).toEqual({
      count: 3,
      priority: "backlog",
      bytes: 300,
    });
  });
});
