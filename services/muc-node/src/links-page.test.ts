// /links at hub scale: filtered by peer service or room and by state, paged in a stable order, bad
// parameters refused with a message naming them; the counts per peer service and state.
import { describe, expect, it } from "vitest";
import { LinksQueryError, linkCounts, pageOfLinks, readLinksQuery } from "./links-page.js";
import type { IndexedLink } from "@fedmuc/room-store";

const link = (room: number, service: string, state = "up"): IndexedLink => ({
  room: `r${String(room).padStart(3, "0")}@rooms.hub.example`,
  peer: `r${String(room).padStart(3, "0")}@${service}`,
  state,
});
const LINKS = [
  ...Array.from({ length: 5 }, (_, i) => link(i, "talk.a.example", i === 3 ? "down" : "up")),
  ...Array.from({ length: 4 }, (_, i) => link(i, "talk.b.example")),
].reverse(); // the index gives them in no order
const query = (text: string) => readLinksQuery(new URLSearchParams(text));

describe("the links page", () => {
  it("pages through every link once, in order, each page saying where the next starts", () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    do {
      const page = pageOfLinks(
        LINKS,
        query(`limit=4${after ? `&after=${encodeURIComponent(after)}` : ""}`),
      );
      seen.push(...page.links.map((l) => `${l.room} ${l.peer}`));
      after = page.next;
    } while (after);
    expect(seen).toHaveLength(LINKS.length);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(LINKS.length);
  });

  it("filters by peer service and state, naming each link's peer service", () => {
    const page = pageOfLinks(LINKS, query("peer_service=talk.a.example&state=down"));
    expect(page).toEqual({
      links: [{ ...link(3, "talk.a.example", "down"), peer_service: "talk.a.example" }],
      next: null,
    });
    expect(pageOfLinks(LINKS, query("peer_service=talk.b.example")).links).toHaveLength(4);
  });

  it("filters by room, a room of this service or a peer room", () => {
    const ofRoom = pageOfLinks(LINKS, query("room=r002@rooms.hub.example")).links;
    expect(ofRoom.map((l) => l.peer).sort()).toEqual([
      "r002@talk.a.example",
      "r002@talk.b.example",
    ]);
    const ofPeer = pageOfLinks(LINKS, query("room=r004@talk.a.example")).links;
    expect(ofPeer.map((l) => l.room)).toEqual(["r004@rooms.hub.example"]);
  });

  it("refuses a parameter it does not know, a state that is none, a limit out of range", () => {
    for (const [text, message] of [
      ["peer=x", /unknown parameter peer/],
      ["state=sleeping", /state must be one of joining, up, down, resyncing/],
      ["limit=0", /limit must be a whole number from 1 to 5000/],
      ["limit=ten", /limit must be a whole number/],
    ] as const) {
      expect(() => query(text)).toThrow(LinksQueryError);
      expect(() => query(text)).toThrow(message);
    }
  });

  it("counts the links of each peer service by state, every state named", () => {
    const counts = linkCounts(LINKS);
    expect(Object.fromEntries(counts.get("talk.a.example")!)).toEqual({
      joining: 0,
      up: 4,
      down: 1,
      resyncing: 0,
    });
    expect(counts.get("talk.b.example")!.get("up")).toBe(4);
  });
});
