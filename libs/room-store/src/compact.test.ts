import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type Occupant, type RoomConfig } from "@fedmuc/muc-core";
import { decodeRoom, encodeMutations } from "./codec.js";
import { CONFIG_BASELINE, OCCUPANT_BASELINE, compact, expand } from "./compact.js";

const ROOM = "lobby@rooms.example.org";
const alice: Occupant = {
  nick: "Alice",
  jid: "alice@example.org/home",
  role: "moderator",
  affiliation: "owner",
  presence: "<presence/>",
  occupantId: "abc",
};
const hamlet: Occupant = { ...alice, nick: "Hamlet", role: "participant", affiliation: "none" };

/** The stored value of the mutation's one write (encodeMutations' triple). */
const stored = (m: Parameters<typeof encodeMutations>[0][number]) => encodeMutations([m])[2]!;

describe("compact stored forms", () => {
  it("keeps nothing of a default room's configuration, and reads it back whole", () => {
    const json = stored({ op: "create", salt: "s", config: DEFAULT_CONFIG });
    expect(json).toBe("{}");
    const room = decodeRoom(ROOM, DEFAULT_CONFIG, ["salt", "s", "config", json], [], [], []);
    expect(room.config).toEqual(DEFAULT_CONFIG);
  });

  it("keeps what differs, and reads a configuration stored whole (earlier versions) the same", () => {
    const config: RoomConfig = {
      ...DEFAULT_CONFIG,
      name: "Lobby",
      presenceBroadcast: ["moderator"],
    };
    const json = stored({ op: "setConfig", config });
    expect(JSON.parse(json)).toEqual({ name: "Lobby", presenceBroadcast: ["moderator"] });
    expect(expand<RoomConfig>(json, CONFIG_BASELINE)).toEqual(config);
    expect(expand<RoomConfig>(JSON.stringify(config), CONFIG_BASELINE)).toEqual(config);
  });

  it("a field the baseline lacks (added later) falls back to the service's defaults", () => {
    const defaults = { ...DEFAULT_CONFIG, future: 7 } as unknown as RoomConfig;
    const room = decodeRoom(ROOM, defaults, ["salt", "s", "config", "{}"], [], [], []);
    expect((room.config as unknown as { future: number }).future).toBe(7);
  });

  it("stores an occupant without its nick (the field) or what every occupant has", () => {
    const json = stored({ op: "putOccupant", occupant: hamlet });
    expect(JSON.parse(json)).toEqual({ jid: hamlet.jid, occupantId: "abc" });
    const owner = stored({ op: "putOccupant", occupant: alice });
    const room = decodeRoom(
      ROOM,
      DEFAULT_CONFIG,
      ["salt", "s"],
      ["Hamlet", json, "Alice", owner],
      [],
      [],
    );
    expect(room.occupants).toEqual({ Hamlet: hamlet, Alice: alice });
  });

  it("leaves out undefined fields and keeps falsy ones that differ", () => {
    expect(compact({ a: undefined, b: 0, c: "" }, { b: 1, c: "" })).toBe('{"b":0}');
    expect(OCCUPANT_BASELINE).not.toHaveProperty("nick");
  });
});
