// The handoff of a draining worker's late stanzas, against a real Redis: what one worker gives,
// a running one takes and handles, once; a stopped one takes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml, type Element } from "@fedmuc/xmpp";
import type { RedisClient } from "@fedmuc/redis";
import {
  connectRedis,
  startRedis,
  uniquePrefix,
  type RedisHandle,
} from "../../../test/harness/redis.js";
import { Handoff } from "./handoff.js";

let redis: RedisHandle;
const clients: RedisClient[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function handoff(key: string, handle: (s: Element) => Promise<void>): Handoff {
  const connect = () => {
    const c = connectRedis(redis, { maxRetriesPerRequest: null });
    clients.push(c);
    return c;
  };
  return new Handoff(connect(), connect(), { key, handle, waitSeconds: 1 });
}

describe("Handoff", () => {
  it("a stanza one worker gives is handled once by a worker that takes, not by one that stopped", async () => {
    const key = `${uniquePrefix()}handoff`;
    const draining = handoff(key, async () => {
      throw new Error("a stopped worker takes nothing");
    });
    draining.start();
    await draining.stop();
    let taken!: (s: Element) => void;
    const handled = new Promise<Element>((resolve) => (taken = resolve));
    const running = handoff(key, async (s) => taken(s));
    running.start();
    await draining.give(xml("message", { to: "r@rooms.test", id: "late" }));
    expect((await handled).attrs.id).toBe("late");
    await running.stop();
    expect(await clients[0]!.llen(key)).toBe(0);
  });
});
