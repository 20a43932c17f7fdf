import { describe, expect, it } from "vitest";
import { loadConfig } from "@fedmuc/config";
import { redisTarget } from "./target.js";

const xmpp = {
  XMPP_COMPONENT_URL: "xmpp://127.0.0.1:5347",
  XMPP_COMPONENT_DOMAIN: "rooms.example.org",
  XMPP_COMPONENT_SECRET: "s",
};
const targetOf = (env: Record<string, string>) => redisTarget(loadConfig({ ...xmpp, ...env }));

describe("redisTarget", () => {
  it("is the single server of REDIS_URL by default", () => {
    expect(targetOf({})).toEqual({ kind: "single", url: "redis://127.0.0.1:6379" });
  });

  it("is a cluster with REDIS_URL's credentials and TLS on every node", () => {
    const target = targetOf({
      REDIS_URL: "rediss://app:p%40ss@ignored:6379",
      REDIS_CLUSTER_NODES: "10.0.0.1:7000,10.0.0.2:7001",
    });
    expect(target).toEqual({
      kind: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
      ],
      auth: { username: "app", password: "p@ss", db: 0, tls: true },
    });
  });

  it("takes REDIS_PASSWORD in place of REDIS_URL's password, whatever characters it holds", () => {
    const password = "p@ss:w/rd%20 ?#";
    expect(targetOf({ REDIS_URL: "redis://app:old@h:6380/3", REDIS_PASSWORD: password })).toEqual({
      kind: "single",
      url: `redis://app:${encodeURIComponent(password)}@h:6380/3`,
    });
    const cluster = targetOf({ REDIS_PASSWORD: password, REDIS_CLUSTER_NODES: "10.0.0.1:7000" });
    expect(cluster).toMatchObject({ auth: { password } });
  });

  it("is the named master of the sentinels, in REDIS_URL's database", () => {
    const target = targetOf({
      REDIS_URL: "redis://:secret@ignored/2",
      REDIS_SENTINELS: "s1:26379",
      REDIS_SENTINEL_NAME: "fedmuc",
    });
    expect(target).toEqual({
      kind: "sentinel",
      sentinels: [{ host: "s1", port: 26379 }],
      name: "fedmuc",
      auth: { password: "secret", db: 2, tls: false },
    });
  });
});
