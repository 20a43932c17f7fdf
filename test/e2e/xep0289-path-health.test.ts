// XEP-0289 path health over real S2S (libs/fmuc-core/README.md "Link health"): the spoke's rooms
// that joined rooms of the hub's service share one check of the path, not one each; when the path
// is cut every one of those links goes down together, and when it returns they all come back.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LINK_SHARDS, shardPrefix } from "@fedmuc/link-engine";
import type { TestClient } from "../harness/client.js";
import { groupchatBody, sendGroupchat } from "../harness/muc.js";
import {
  ROOMS,
  TALK,
  federateRooms,
  hubRoom,
  spokeRoom,
  startFederatedSites,
  type FederatedSites,
} from "../harness/fmuc.js";
import { connectRedis } from "../harness/redis.js";
import { linksOf, waitForLog, waitForLogWhere } from "../harness/service.js";

const NAMES = ["north", "south", "east"];
// Checks a few seconds apart: a check unanswered by the next one takes the path down, and on a
// machine busy with other suites a round trip over S2S can take more than a second (seen: the
// path down again right after its return, every link with it).
const TIMERS = {
  FMUC_JOIN_TIMEOUT_MS: "3000",
  FMUC_RETRY_MAX_MS: "3000",
  FMUC_PING_INTERVAL_MS: "3000",
};

let bed: FederatedSites<"alice" | "hamlet">;
let alice: TestClient, hamlet: TestClient;

beforeAll(async () => {
  bed = await startFederatedSites({
    hub: { users: ["alice"], services: [{ component: ROOMS, env: { FMUC_ALLOW: TALK.domain } }] },
    spoke: {
      users: ["hamlet"],
      services: [{ component: TALK, env: { ...TIMERS, FMUC_UPSTREAM: ROOMS.domain } }],
    },
  });
  ({ alice, hamlet } = await bed.connectUsers());
  await federateRooms(alice, hamlet, NAMES);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** The ids of the spoke's delayed link jobs (its timers), as BullMQ keeps them. */
async function timers(): Promise<string[]> {
  const redis = connectRedis(bed.redis.spoke);
  try {
    const tag = `{${bed.spoke.options.keyPrefix}links}`;
    const shards = Array.from({ length: LINK_SHARDS }, (_, i) => shardPrefix(tag, i));
    const ids = await Promise.all(
      shards.map((s) => redis.zrange(`${s}:fmuc-links:delayed`, 0, -1)),
    );
    return ids.flat();
  } finally {
    redis.disconnect();
  }
}

/** A log line about a link's change of state ("federation link up", "... down"...). */
const STATE_LINE = '"msg":"federation link ';
const countOf = (text: string, part: string) => text.split(part).length - 1;
const upLinks = async () => (await linksOf(bed.spoke, "state=up")).map((l) => l.room).sort();

describe("XEP-0289 path health: one check for all the links to a service", () => {
  it("three rooms joined at the hub's service are watched by one check of the path, none of their own", async () => {
    expect(await upLinks()).toEqual(NAMES.map(spokeRoom).sort());
    const pending = await timers();
    expect(pending.filter((id) => id.startsWith("timer path "))).toHaveLength(1);
    expect(pending.filter((id) => id.startsWith("timer ping "))).toEqual([]);
    expect(pending.find((id) => id.startsWith("timer path "))).toContain(ROOMS.domain);
  });

  it("a cut path takes every one of them down together; its return brings them all back", async () => {
    const { shaper } = bed.sites;
    const log = bed.spoke.logFile;
    const downs = countOf(readFileSync(log, "utf8"), '"msg":"federation link down"');
    const down = waitForLog(log, `path to ${ROOMS.domain} down: 3 links`, 30_000);
    await shaper.cut();
    await down;
    // All three, on that one finding (and nothing else went down meanwhile).
    await waitForLog(log, '"msg":"federation link down"', 10_000, downs + 3);
    expect(await linksOf(bed.spoke, "state=up")).toEqual([]);
    expect(countOf(readFileSync(log, "utf8"), "its service does not answer")).toBe(3);
    const restored = readFileSync(log, "utf8").length;
    const up = waitForLog(bed.spoke.logFile, `path to ${ROOMS.domain} up: 3 links`, 60_000);
    await shaper.restore();
    await up;
    for (const name of NAMES) {
      await sendGroupchat(alice, hubRoom(name), `back in ${name}`);
      await hamlet.waitFor(groupchatBody(`back in ${name}`), 60_000);
    }
    // A message may come through the hub's room before the rejoin's answer has made the link
    // up again (the hub's room kept the spoke as an occupant): each room's rejoin answered, and
    // its link's latest change since the restore is to up (a bounce of what was sent into the
    // cut, arriving late, may take a link down once more until its next join).
    const isUp = (room: string) => (text: string) =>
      text
        .slice(restored)
        .split("\n")
        .filter((line) => line.includes(`"room":"${room}"`) && line.includes(STATE_LINE))
        .at(-1)
        ?.includes('"to":"up"') === true;
    const allUp = (text: string) => NAMES.every((name) => isUp(spokeRoom(name))(text));
    await waitForLogWhere(log, allUp, "each room's link up", 30_000);
    expect(await upLinks()).toEqual(NAMES.map(spokeRoom).sort());
  });
});
