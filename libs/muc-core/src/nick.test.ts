import { describe, expect, it } from "vitest";
import type { StanzaError } from "@fedmuc/xmpp";
import { enforceNick, nickKey } from "./nick.js";

const conditionOf = (nick: string) => {
  try {
    enforceNick(nick);
  } catch (err) {
    return (err as StanzaError).condition;
  }
  return "accepted";
};

describe("nicknames (RFC 8266)", () => {
  it("maps and trims spaces and applies NFKC", () => {
    expect(enforceNick("  Third\u00a0 Witch ")).toBe("Third Witch");
    expect(enforceNick("ｆｕｌｌ")).toBe("full");
  });

  it.each([
    ["", "jid-malformed"],
    ["   ", "jid-malformed"],
    ["bell\u0007", "not-acceptable"],
    ["zero\u200bwidth", "not-acceptable"],
    ["tab\there", "not-acceptable"],
    ["line\nbreak", "not-acceptable"],
    ["line\u2028separator", "not-acceptable"],
    ["bom\ufeff", "not-acceptable"],
    ["x".repeat(129), "not-acceptable"],
    ["Ωmega 🙂", "accepted"],
  ])("%j is %s", (nick, condition) => {
    expect(conditionOf(nick)).toBe(condition);
  });

  it("compares case-insensitively", () => {
    expect(nickKey("ThirdWitch")).toBe(nickKey("thirdwitch"));
  });
});
