import { describe, expect, it } from "vitest";
import { ConfigError, helpText, loadConfig } from "./index.js";

const valid = {
  XMPP_COMPONENT_URL: "xmpp://127.0.0.1:5347",
  XMPP_COMPONENT_DOMAIN: "Rooms.Example.org",
  XMPP_COMPONENT_SECRET: "s3cret",
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("applies defaults and normalises the domain", () => {
    const config = loadConfig(valid);
    expect(config.XMPP_COMPONENT_DOMAIN).toBe("rooms.example.org");
    expect(config.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.LOG_LEVEL).toBe("info");
    // A link keeps 256 KiB for a peer that is away, for a week at most.
    expect(config.FMUC_OUTBOX_MAX_BYTES).toBe(262_144);
    expect(config.FMUC_OUTBOX_MAX_AGE_MS).toBe(7 * 24 * 3_600_000);
    // A dead worker's links move to the others within BullMQ's usual lock time.
    expect(config.FMUC_LINK_LOCK_MS).toBe(30_000);
  });

  it("names every missing required variable", () => {
    const problems = problemsOf({});
    expect(problems.map((p) => p.split(" ")[0])).toEqual([
      "XMPP_COMPONENT_URL",
      "XMPP_COMPONENT_DOMAIN",
      "XMPP_COMPONENT_SECRET",
    ]);
  });

  it.each([
    ["XMPP_COMPONENT_URL", "http://x:5347", "must start with xmpp://"],
    ["XMPP_COMPONENT_DOMAIN", "not a domain", "is not a domain name"],
    ["REDIS_URL", "localhost:6379", "must start with redis:// or rediss://"],
    ["REDIS_URL", "redis://h:6379/zero", "is not a database number"],
    ["REDIS_CLUSTER_NODES", "10.0.0.1", "must be host:port pairs"],
    ["REDIS_CLUSTER_NODES", "10.0.0.1:7000,,10.0.0.2:7000", "must be host:port pairs"],
    ["REDIS_CLUSTER_NODES", "10.0.0.1:70000", "must be between 1 and 65535"],
    ["REDIS_SENTINELS", "s1:26379 s2:26379", "must be host:port pairs"],
    ["REDIS_SENTINEL_NAME", "my master", "must be one word"],
    ["HTTP_PORT", "70000", "must be between 0 and 65535"],
    ["HTTP_PORT", "80a", "must be a whole number"],
    ["LOG_LEVEL", "loud", "must be one of fatal, error"],
    ["FMUC_UPSTREAM", "not a domain", "is not a domain name"],
    ["FMUC_ALLOW", "a@b/c", "is not a room address"],
    ["FMUC_MODE", "master-slave", "must be one of primary-primary, primary-replica"],
    ["FMUC_JOIN_TIMEOUT_MS", "10", "must be between 100 and"],
    ["FMUC_STRIP", "*=caps,photos", '"photos" is not one of caps'],
    ["FMUC_OUTBOX_MAX_BYTES", "512", "must be between 1024 and"],
    ["FMUC_OUTBOX_MAX_BYTES", "256k", "must be a whole number"],
    ["FMUC_OUTBOX_MAX_AGE_MS", "0", "must be between 1000 and"],
    ["FMUC_LINK_LOCK_MS", "500", "must be between 1000 and"],
    ["FMUC_PEER_RATES", "rooms.hq.example=fast", '"fast" (for rooms.hq.example) is not a whole'],
    ["FMUC_PEER_RATES", "lobby@rooms.hq.example=1200", "is a room"],
    ["MUC_ADMINS", "admin@example.org/phone", "must list bare JIDs"],
    ["MUC_ADMINS", "example.org", "must list bare JIDs"],
    ["OTEL_TRACES_EXPORTER", "jaeger", "must be one of none, console, otlp"],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "must be one of http/protobuf, http/json"],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "gRPC", "OTLP over gRPC is not supported"],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "http", "must be one of http/protobuf, http/json"],
    ["LOG_SLOW_STANZA_MS", "600001", "must be between 0 and 600000"],
    ["LOG_SLOW_STANZA_MS", "-1", "must be a whole number"],
  ])("rejects %s=%s naming the variable", (name, value, why) => {
    const problems = problemsOf({ ...valid, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
    expect(problems[0]).toContain(why);
  });

  it("reads the tracing and slow-stanza settings, 0 turning the slow-stanza log off", () => {
    expect(loadConfig(valid)).toMatchObject({
      OTEL_TRACES_EXPORTER: "none",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      LOG_SLOW_STANZA_MS: 250,
    });
    const config = loadConfig({
      ...valid,
      OTEL_EXPORTER_OTLP_PROTOCOL: "HTTP/JSON",
      LOG_SLOW_STANZA_MS: "0",
    });
    expect(config.OTEL_EXPORTER_OTLP_PROTOCOL).toBe("http/json");
    expect(config.LOG_SLOW_STANZA_MS).toBe(0);
  });

  it("reads service administrators as lower-cased bare JIDs", () => {
    const config = loadConfig({ ...valid, MUC_ADMINS: " Ops@Example.org, root@example.org " });
    expect(config.MUC_ADMINS).toEqual(["ops@example.org", "root@example.org"]);
    expect(loadConfig(valid).MUC_ADMINS).toEqual([]);
  });

  it("reads Redis Cluster seeds and sentinels as host and port, IPv6 in brackets", () => {
    const config = loadConfig({
      ...valid,
      REDIS_SENTINELS: " s1.example.org:26379,[::1]:26380",
      REDIS_SENTINEL_NAME: "fedmuc",
    });
    expect(config.REDIS_SENTINELS).toEqual([
      { host: "s1.example.org", port: 26379 },
      { host: "::1", port: 26380 },
    ]);
    expect(config.REDIS_CLUSTER_NODES).toEqual([]);
  });

  it.each([
    [
      { REDIS_CLUSTER_NODES: "a:7000", REDIS_SENTINELS: "s:26379", REDIS_SENTINEL_NAME: "m" },
      "REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set",
    ],
    [{ REDIS_SENTINELS: "s:26379" }, "REDIS_SENTINEL_NAME is required with REDIS_SENTINELS"],
    [
      { REDIS_CLUSTER_NODES: "a:7000", REDIS_URL: "redis://a:7000/3" },
      "REDIS_URL selects database 3, but a Redis Cluster",
    ],
  ])("rejects variables that contradict each other: %o", (vars, why) => {
    const problems = problemsOf({ ...valid, ...vars });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(why);
  });

  it("lists every variable in the help text", () => {
    const help = helpText();
    for (const name of [
      "XMPP_COMPONENT_URL",
      "REDIS_URL",
      "REDIS_CLUSTER_NODES",
      "REDIS_SENTINELS",
      "REDIS_SENTINEL_NAME",
      "HTTP_PORT",
      "LOG_LEVEL",
      "LOG_SLOW_STANZA_MS",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
    ]) {
      expect(help).toContain(name);
    }
  });
});
