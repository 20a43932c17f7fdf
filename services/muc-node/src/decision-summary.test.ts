// What a span tells of a decision: entered, left, refused with its condition, a message fanned
// out to so many occupants and links.
import { describe, expect, it } from "vitest";
import { emptyRoom, type Decision, type FederationLink, type Occupant } from "@fedmuc/muc-core";
import { NS, xml } from "@fedmuc/xmpp";
import { summarize } from "./decision-summary.js";

const ROOM = "coven@chat.shakespeare.lit";
const PEER = "coven@rooms.wonderland.lit";
const link: FederationLink = { role: "downstream", state: "up", replica: false, joins: 1 };
const occupant = (nick: string) => ({ nick, jid: `${nick}@s/1` }) as unknown as Occupant;
const room = {
  ...emptyRoom(ROOM),
  occupants: { witch: occupant("witch") },
  links: { [PEER]: link },
};
const to = (jid: string, type?: string) =>
  ({ kind: "send", stanza: xml("message", { to: jid, ...(type ? { type } : {}) }) }) as const;

describe("a decision summarized for its span", () => {
  it("a message: sent to each occupant here, and to the links it is queued for", () => {
    const d: Decision = {
      mutations: [
        { op: "appendHistory", entry: {} as never, max: 50 },
        { op: "enqueue", peer: PEER, stanza: "<message/>" },
      ],
      effects: [to("witch@s/1"), to("hecate@s/2")],
    };
    expect(summarize(room, d)).toEqual({
      "fedmuc.decision": "message",
      "fedmuc.fanout.occupants": 2,
      "fedmuc.fanout.links": 1,
      "fedmuc.mutations": 2,
    });
  });

  it("a refusal names the condition the sender got", () => {
    const error = xml(
      "presence",
      { to: "x@s/1", type: "error" },
      xml("error", { type: "cancel" }, xml("conflict", { xmlns: NS.stanzas })),
    );
    const d: Decision = { mutations: [], effects: [{ kind: "send", stanza: error }] };
    expect(summarize(room, d)).toMatchObject({
      "fedmuc.decision": "refused",
      "fedmuc.error.condition": "conflict",
    });
  });

  it("an entry is a new nick; a leave removes one; a direct send to a peer counts as a link", () => {
    const entered: Decision = {
      mutations: [{ op: "putOccupant", occupant: occupant("newt") }],
      effects: [to(`${PEER}/newt`)],
    };
    expect(summarize(room, entered)).toMatchObject({
      "fedmuc.decision": "entered",
      "fedmuc.fanout.links": 1,
      "fedmuc.fanout.occupants": 0,
    });
    const changed: Decision = {
      mutations: [{ op: "putOccupant", occupant: occupant("witch") }],
      effects: [],
    };
    expect(summarize(room, changed)["fedmuc.decision"]).toBe("changed");
    const left: Decision = { mutations: [{ op: "removeOccupant", nick: "witch" }], effects: [] };
    expect(summarize(room, left)["fedmuc.decision"]).toBe("left");
    expect(summarize(room, { mutations: [], effects: [] })["fedmuc.decision"]).toBe("none");
  });
});
