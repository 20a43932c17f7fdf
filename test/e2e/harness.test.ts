// Smoke tests of the harness itself: real Redis, Prosody, ejabberd and XMPP clients.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, xml, type TestClient } from "../harness/client.js";
import { connectRawComponent } from "../harness/component.js";
import { startEjabberd, type EjabberdHandle } from "../harness/ejabberd.js";
import { freePort } from "../harness/ports.js";
import { isAlive } from "../harness/process.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";
import { connectRedis, startRedis, uniquePrefix } from "../harness/redis.js";
import type { XmppServerHandle } from "../harness/xmpp-server.js";

const component = { domain: "rooms.localhost", secret: "s3cret" };
const users = [
  { user: "alice", password: "alice-pw" },
  { user: "bob", password: "bob-pw" },
];

describe("ports", () => {
  it("hands out distinct ports", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
  });
});

describe("redis", () => {
  it("starts, answers PING and stops", async () => {
    const redis = await startRedis();
    const conn = connectRedis(redis);
    try {
      expect(await conn.ping()).toBe("PONG");
    } finally {
      conn.disconnect();
    }
    const pid = redis.pid;
    await redis.stop();
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
  });

  it("keeps a key across a restart with persistence", async (ctx) => {
    const redis = await startRedis({ persistence: true });
    try {
      if (!redis.restart) return ctx.skip();
      const key = `${uniquePrefix()}k`;
      const before = connectRedis(redis);
      await before.set(key, "v");
      before.disconnect();
      await redis.restart();
      const after = connectRedis(redis);
      expect(await after.get(key)).toBe("v");
      after.disconnect();
    } finally {
      await redis.stop();
    }
  });
});

// The same checks against both servers.
function serverSuite(name: string, start: () => Promise<XmppServerHandle>): void {
  describe(name, () => {
    let server: XmppServerHandle;
    const clients: TestClient[] = [];

    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.stop()));
      await server?.stop();
    });

    it("accepts a XEP-0114 handshake", async () => {
      const conn = await connectRawComponent({ port: server.componentPort, ...component });
      expect(conn.streamId).not.toBe("");
      await conn.close();
    });

    it("carries a chat message from one client to another", async () => {
      const connect = (u: (typeof users)[number]): Promise<TestClient> =>
        connectClient({
          port: server.c2sPort,
          domain: server.domain,
          username: u.user,
          password: u.password,
        });
      const [alice, bob] = await Promise.all(users.map(connect));
      clients.push(alice!, bob!);
      await alice!.send(
        xml("message", { to: bob!.jid, type: "chat", id: "m1" }, xml("body", {}, "hello")),
      );
      const got = await bob!.waitFor((el) => el.is("message") && el.attrs.id === "m1");
      expect(got.getChildText("body")).toBe("hello");
      expect(got.attrs.from).toBe(alice!.jid);
      expect(bob!.received.filter((el) => el.is("message"))).toHaveLength(1);
    });

    it("leaves no process after stop", async () => {
      await Promise.all(clients.splice(0).map((c) => c.stop()));
      const pid = server.pid;
      await server.stop();
      expect(isAlive(pid)).toBe(false);
    });
  });
}

serverSuite("prosody", (): Promise<ProsodyHandle> =>
  startProsody({ components: [component], users }),
);
serverSuite("ejabberd", (): Promise<EjabberdHandle> =>
  startEjabberd({ domain: "localhost", components: [component], users }),
);
