import { describe, expect, it } from "vitest";
import { parsePeerRates, rateFor } from "./peer-rates.js";

describe("FMUC_PEER_RATES", () => {
  const rates = parsePeerRates(" rooms.hq.example=1200, *.navy.example = 600 ,*=50000");

  it.each([
    ["rooms.hq.example", 1200],
    ["Rooms.HQ.example", 1200],
    ["muc.ship1.navy.example", 600],
    ["navy.example", 50_000],
    ["talk.elsewhere.example", 50_000],
  ])("%s: %i bytes per second (the first entry that matches)", (service, expected) => {
    expect(rateFor(rates, service.toLowerCase())).toBe(expected);
  });

  it("leaves a service that no entry matches without a rate; empty: none has one", () => {
    expect(rateFor(parsePeerRates("rooms.hq.example=1200"), "talk.other.example")).toBeUndefined();
    expect(parsePeerRates("")).toEqual([]);
  });

  it("names the bad part of a bad value", () => {
    expect(() => parsePeerRates("rooms.hq.example")).toThrow(/is not services=bytes per second/);
    expect(() => parsePeerRates("=1200")).toThrow(/is not services=bytes per second/);
    expect(() => parsePeerRates("lobby@rooms.hq.example=1200")).toThrow(/is a room/);
    expect(() => parsePeerRates("rooms.hq.example=fast")).toThrow(
      /"fast" \(for rooms.hq.example\)/,
    );
    expect(() => parsePeerRates("rooms.hq.example=1.5")).toThrow(/whole number/);
    expect(() => parsePeerRates("rooms.hq.example=99")).toThrow(/from 100 to/);
    expect(() => parsePeerRates("has space=1200")).toThrow();
  });
});
