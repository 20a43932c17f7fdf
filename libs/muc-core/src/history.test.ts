import { describe, expect, it } from "vitest";
import { NS, parse } from "@fedmuc/xmpp";
import { historyLimits, historyMessage, selectHistory } from "./history.js";
import type { HistoryEntry } from "./types.js";

const entries: HistoryEntry[] = [1, 2, 3, 4].map((i) => ({
  nick: "n",
  jid: "a@b/c",
  stamp: `2026-01-01T12:0${i}:00.000Z`,
  stanza: `<message from="r@s/n" type="groupchat"><body>m${i}</body></message>`,
}));
const now = new Date("2026-01-01T12:05:00Z");
const bodies = (es: HistoryEntry[]) => es.map((e) => parse(e.stanza).getChildText("body"));

describe("XEP-0045 7.2.15 discussion history", () => {
  it("reads the limits of the join", () => {
    const join = parse(
      `<presence><x xmlns="${NS.muc}"><history maxstanzas="2" seconds="x" since="2026-01-01T00:00:00Z"/></x></presence>`,
    );
    expect(historyLimits(join)).toEqual({
      maxchars: undefined,
      maxstanzas: 2,
      seconds: undefined,
      since: "2026-01-01T00:00:00Z",
    });
  });

  it.each([
    [{}, ["m1", "m2", "m3", "m4"]],
    [{ maxstanzas: 2 }, ["m3", "m4"]],
    [{ maxstanzas: 10 }, ["m1", "m2", "m3", "m4"]],
    [{ maxstanzas: 0 }, []],
    [{ seconds: 150 }, ["m3", "m4"]],
    [{ since: "2026-01-01T12:02:00Z" }, ["m2", "m3", "m4"]],
    [{ maxchars: 0 }, []],
    [{ maxchars: entries[0]!.stanza.length * 2 }, ["m3", "m4"]],
  ])("selects %j", (limits, expected) => {
    expect(bodies(selectHistory(entries, limits, now))).toEqual(expected);
  });

  it("counts maxchars on the stanzas as sent, with their 'to' and delay", () => {
    const sent = (e: HistoryEntry) => historyMessage(e, "r@s", "x@y/z").toString().length;
    const oneAndAHalf = Math.floor(sent(entries[3]!) * 1.5);
    expect(bodies(selectHistory(entries, { maxchars: oneAndAHalf }, now, sent))).toEqual(["m4"]);
  });

  it("delivers an entry with its original time (XEP-0203)", () => {
    const m = historyMessage(entries[0]!, "r@s", "x@y/z");
    expect(m.attrs.to).toBe("x@y/z");
    expect(m.getChild("delay", NS.delay)!.attrs).toMatchObject({
      from: "r@s",
      stamp: entries[0]!.stamp,
    });
  });
});
