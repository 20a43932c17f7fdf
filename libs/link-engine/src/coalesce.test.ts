import { describe, expect, it } from "vitest";
import { parse } from "@fedmuc/xmpp";
import { superseded } from "./coalesce.js";

const p = (from: string, extra = "", type = "") =>
  parse(
    `<presence from="r@s/${from}" to="p@q"${type ? ` type="${type}"` : ""}>${extra}</presence>`,
  );

describe("coalescing presence changes on a link", () => {
  it("keeps only an occupant's latest available presence of a batch", () => {
    const batch = [p("a", "<show>away</show>"), p("b"), p("a", "<show>dnd</show>"), p("a")];
    expect([...superseded(batch)].sort()).toEqual([0, 2]);
  });

  it("never drops an unavailable presence, nor what came before it", () => {
    const batch = [p("a"), p("a", "", "unavailable"), p("a")];
    expect(superseded(batch).size).toBe(0);
  });

  it("leaves messages and other addresses alone", () => {
    const batch = [
      p("a"),
      parse(`<message from="r@s/a" to="p@q"><body>x</body></message>`),
      p("a"),
    ];
    expect([...superseded(batch)]).toEqual([0]);
    expect(superseded([p("a"), parse(`<presence from="r@s/a" to="other@q"/>`)]).size).toBe(0);
  });
});
