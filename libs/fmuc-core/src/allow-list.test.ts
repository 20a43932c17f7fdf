import { describe, expect, it } from "vitest";
import { allows, parseAllowList } from "./allow-list.js";

describe("FMUC_ALLOW", () => {
  const list = parseAllowList(" elsinore@talk.denmark.lit, rooms.wonderland.lit ,*.navy.example ");

  it.each([
    ["elsinore@talk.denmark.lit", true],
    ["Elsinore@Talk.Denmark.lit", true],
    ["other@talk.denmark.lit", false],
    ["rabbithole@rooms.wonderland.lit", true],
    ["deck@muc.ship1.navy.example", true],
    ["deck@navy.example", false],
    ["deck@evilnavy.example", false],
  ])("%s: %s", (peer, expected) => {
    expect(allows(list, peer)).toBe(expected);
  });

  it("allows nobody when empty", () => {
    expect(allows(parseAllowList(""), "elsinore@talk.denmark.lit")).toBe(false);
  });

  it("refuses entries that are not rooms or domains", () => {
    expect(() => parseAllowList("a@b/c")).toThrow(/not a room address/);
    expect(() => parseAllowList("*.x@y")).toThrow(/not a room address/);
    expect(() => parseAllowList("has space")).toThrow();
  });
});
