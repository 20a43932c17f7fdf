// The chart offline, with the real helm 3 and 4: lint, render each profile, validate every
// object against Kubernetes' schemas, check what the chart promises (restricted pods, the drain's
// grace period, secrets from a Secret, room affinity, alerts on metrics the workers export), and
// refuse bad values with a message naming them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { VARIABLES } from "@fedmuc/config";
import {
  CHART,
  HELM_VERSIONS,
  helm,
  only,
  profileArgs,
  render,
  sets,
  type KubeObject,
} from "../harness/helm.js";
import { validateObject } from "../harness/kube-models.js";
import { workerSeriesNames } from "../harness/worker-metrics.js";
import {
  MINIMAL,
  SECRET,
  envOf,
  worker,
  type PodSpec,
  itRefuses,
  type Refusal,
} from "./chart-fixtures.js";

const without = <T extends object>(values: T, key: keyof T) =>
  Object.fromEntries(Object.entries(values).filter(([k]) => k !== key));
const MONITORING = [
  "--api-versions",
  "monitoring.coreos.com/v1/ServiceMonitor",
  "--api-versions",
  "monitoring.coreos.com/v1/PrometheusRule",
];
const PROFILES = {
  default: sets(MINIMAL),
  hub: [...profileArgs("hub"), ...sets(SECRET)],
  spoke: [...profileArgs("spoke"), ...sets(SECRET)],
} as const;
/** helm template as against a cluster with the Prometheus Operator's CRDs. */
const withMonitoring = (args: readonly string[]) => [...args, ...MONITORING];

/** Every pod the objects make: Deployments', StatefulSets' and bare Pods' specs. */
function pods(objects: readonly KubeObject[]): [string, PodSpec][] {
  return objects.flatMap((o): [string, PodSpec][] => {
    if (o.kind === "Pod") return [[o.metadata.name, o["spec"] as PodSpec]];
    const template = (o["spec"] as { template?: { spec: PodSpec } } | undefined)?.template;
    return template ? [[`${o.kind} ${o.metadata.name}`, template.spec]] : [];
  });
}

describe.each(HELM_VERSIONS)("the chart with helm %i", (version) => {
  it.each(Object.keys(PROFILES) as (keyof typeof PROFILES)[])(
    "lints strictly and renders valid objects: %s",
    async (profile) => {
      const lint = await helm(version, ["lint", "--strict", CHART, ...PROFILES[profile]]);
      expect(lint.stdout + lint.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(lint.status).toBe(0);
      const objects = await render(version, withMonitoring(PROFILES[profile]));
      for (const object of objects) await validateObject(object);
      expect(objects.map((o) => o.kind)).toEqual(
        expect.arrayContaining(["Deployment", "Service", "Secret", "ServiceAccount", "Pod"]),
      );
    },
  );

  it("runs every pod under the restricted Pod Security Standard, the workers read-only", async () => {
    for (const profile of ["hub", "spoke"] as const) {
      const objects = await render(version, PROFILES[profile]);
      for (const [name, spec] of pods(objects)) {
        const where = `${profile}: ${name}`;
        expect(spec.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(spec.automountServiceAccountToken, where).toBe(false);
        for (const forbidden of ["hostNetwork", "hostPID", "hostIPC"]) {
          expect(spec[forbidden], where).toBeUndefined();
        }
        expect(
          (spec.volumes ?? []).filter((v) => "hostPath" in v),
          where,
        ).toEqual([]);
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          expect(c.securityContext, `${where} ${c.name}`).toMatchObject({
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
          });
          expect(c.securityContext?.["privileged"]).toBeUndefined();
        }
      }
      expect(worker(objects).securityContext?.["readOnlyRootFilesystem"]).toBe(true);
      const sa = only(objects, "ServiceAccount");
      expect(sa["automountServiceAccountToken"]).toBe(false);
    }
  });

  it("gives a stopping worker its drain (SHUTDOWN_TIMEOUT_MS) and the margin before SIGKILL", async () => {
    const grace = async (ms: number, margin: number) => {
      const objects = await render(version, [
        ...sets({ ...MINIMAL, "config.SHUTDOWN_TIMEOUT_MS": ms }),
        ...sets({ terminationGraceMarginSeconds: margin }),
      ]);
      const deployment = only(objects, "Deployment", "fedmuc")["spec"] as {
        template: { spec: PodSpec };
      };
      return deployment.template.spec.terminationGracePeriodSeconds;
    };
    expect(await grace(10_000, 5)).toBe(15);
    expect(await grace(20_001, 5)).toBe(26); // rounded up
    expect(await grace(0, 3)).toBe(3);
  });

  it("passes every config value as its variable and the secrets from the Secret", async () => {
    const objects = await render(
      version,
      sets({ ...MINIMAL, "config.OUTBOUND_MAX_BYTES": 2097152 }),
    );
    const env = envOf(worker(objects));
    expect(env.get("OUTBOUND_MAX_BYTES")?.value).toBe("2097152"); // not 2.097152e+06
    expect(env.get("XMPP_COMPONENT_DOMAIN")?.value).toBe("rooms.example.org");
    expect(env.get("REDIS_URL")?.value).toBe("redis://redis.example.org:6379/1");
    expect(env.get("FMUC_UPSTREAM")).toBeUndefined(); // empty: the service's default
    expect(env.get("XMPP_COMPONENT_SECRET")?.valueFrom?.secretKeyRef).toEqual({
      name: "fedmuc",
      key: "XMPP_COMPONENT_SECRET",
    });
    const secret = only(objects, "Secret")["data"] as Record<string, string>;
    expect(Buffer.from(secret["XMPP_COMPONENT_SECRET"]!, "base64").toString()).toBe("s3cret");
    for (const name of env.keys()) {
      expect(name in VARIABLES || name === "NODE_EXTRA_CA_CERTS", name).toBe(true);
    }

    const own = await render(
      version,
      sets({
        ...without(MINIMAL, "secrets.XMPP_COMPONENT_SECRET"),
        existingSecret: "site-secrets",
      }),
    );
    expect(own.filter((o) => o.kind === "Secret")).toEqual([]);
    const ownEnv = envOf(worker(own));
    expect(ownEnv.get("XMPP_COMPONENT_SECRET")?.valueFrom?.secretKeyRef?.name).toBe("site-secrets");
    expect(ownEnv.get("REDIS_PASSWORD")?.valueFrom?.secretKeyRef).toMatchObject({
      name: "site-secrets",
      optional: true,
    });
  });

  it("the spoke: its workers reach the chart's ejabberd and Redis, kept on a volume with AOF", async () => {
    const objects = await render(version, PROFILES.spoke);
    const env = envOf(worker(objects));
    expect(env.get("XMPP_COMPONENT_URL")?.value).toBe("xmpp://fedmuc-ejabberd:5347");
    expect(env.get("REDIS_URL")?.value).toBe("redis://fedmuc-redis:6379");
    expect(env.get("FMUC_UPSTREAM")?.value).toBe("rooms.hub.example.org");
    const redis = only(objects, "StatefulSet", "redis")["spec"] as {
      template: { spec: PodSpec };
      volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[];
    };
    expect(redis.template.spec.containers[0]!.command?.join(" ")).toBe("sh -c");
    expect(JSON.stringify(redis.template.spec.containers[0])).toMatch(
      /--appendonly yes --appendfsync always/,
    );
    expect(redis.volumeClaimTemplates[0]!.spec.resources.requests.storage).toBe("5Gi");
    expect(only(objects, "Service", "ejabberd")).toBeDefined();
    expect(only(objects, "Deployment", "fedmuc")["spec"]).toMatchObject({ replicas: 1 });
  });

  it("ejabberd takes the workers' component under its domain, with room affinity over replicas", async () => {
    const ejabberdYml = async (extra: string[]) => {
      const objects = await render(version, [...PROFILES.spoke, ...extra]);
      const data = only(objects, "ConfigMap", "ejabberd")["data"] as Record<string, string>;
      return parse(data["ejabberd.yml"]!) as Record<string, unknown>;
    };
    const plain = await ejabberdYml([]);
    expect(plain["hosts"]).toEqual(["ship1.spokes.example.org"]);
    const service = (plain["listen"] as { module: string; hosts?: object }[]).find(
      (l) => l.module === "ejabberd_service",
    );
    // The secret itself is put in by the init container, from the Secret.
    expect(service?.hosts).toEqual({
      "rooms.ship1.spokes.example.org": { password: "@XMPP_COMPONENT_SECRET@" },
    });
    expect(plain["domain_balancing"]).toBeUndefined();
    const affine = await ejabberdYml(sets({ "ejabberd.roomAffinity": true, replicas: 3 }));
    expect(affine["domain_balancing"]).toEqual({
      "rooms.ship1.spokes.example.org": { type: "bare_destination", component_number: 3 },
    });
    const merged = await ejabberdYml(sets({ "ejabberd.config.loglevel": "debug" }));
    expect(merged["loglevel"]).toBe("debug");
  });

  it("makes no ServiceMonitor or PrometheusRule where their CRDs are missing", async () => {
    const objects = await render(version, PROFILES.hub);
    expect(objects.map((o) => o.kind)).not.toContain("ServiceMonitor");
    expect(objects.map((o) => o.kind)).not.toContain("PrometheusRule");
  });

  it("with room affinity, replaces a worker only once the old one is gone: a StatefulSet", async () => {
    const objects = await render(version, [
      ...PROFILES.spoke,
      ...sets({ "ejabberd.roomAffinity": true, replicas: 3 }),
    ]);
    expect(objects.filter((o) => o.metadata.name === "fedmuc").map((o) => o.kind)).toEqual(
      expect.not.arrayContaining(["Deployment"]),
    );
    const workers = only(objects, "StatefulSet", "fedmuc")["spec"] as Record<string, unknown>;
    expect(workers).toMatchObject({
      replicas: 3,
      serviceName: "fedmuc-metrics",
      podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate" },
    });
    expect(workers).not.toHaveProperty("strategy");
    const plain = only(await render(version, PROFILES.default), "Deployment", "fedmuc");
    expect(plain["spec"]).toMatchObject({
      strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
  });

  it("the hub: autoscaled workers, a disruption budget, and alerts on metrics the workers export", async () => {
    const objects = await render(version, withMonitoring(PROFILES.hub));
    expect(only(objects, "Deployment", "fedmuc")["spec"]).not.toHaveProperty("replicas");
    expect(only(objects, "HorizontalPodAutoscaler")["spec"]).toMatchObject({
      minReplicas: 3,
      maxReplicas: 12,
    });
    expect(only(objects, "PodDisruptionBudget")["spec"]).toMatchObject({ maxUnavailable: 1 });
    expect(only(objects, "ServiceMonitor")["spec"]).toMatchObject({
      endpoints: [{ port: "http", path: "/metrics" }],
    });
    const rules = (
      only(objects, "PrometheusRule")["spec"] as {
        groups: { rules: { alert: string; expr: string }[] }[];
      }
    ).groups[0]!.rules;
    expect(rules.map((r) => r.alert)).toEqual([
      "FedmucLinkDown",
      "FedmucLinkBacklogGrowing",
      "FedmucWorkersNotReady",
      "FedmucRedisUnreachable",
    ]);
    expect(rules[0]!.expr).toMatch(/fedmuc_link_down_seconds\{.*\}\) > 300$/); // FMUC_GRACE_MS
    const exported = await workerSeriesNames();
    for (const name of rules.flatMap((r) => r.expr.match(/fedmuc_[a-z_]+/g) ?? [])) {
      expect(exported.has(name), name).toBe(true);
    }
    const policy = only(objects, "NetworkPolicy")["spec"] as {
      egress: { ports: { port: number }[] }[];
    };
    expect(policy.egress.flatMap((e) => e.ports.map((p) => p.port))).toEqual([
      53, 53, 5347, 26379, 6379,
    ]);
  });
});

describe("the chart refuses bad values, naming them", () => {
  const { "config.XMPP_COMPONENT_URL": url, "config.REDIS_URL": redis } = MINIMAL;
  const domain = MINIMAL["config.XMPP_COMPONENT_DOMAIN"];
  const spoke = (values: object) => [...PROFILES.spoke, ...sets({ ...values })];
  const minimal = (values: object) => sets({ ...MINIMAL, ...values });
  const cases: Refusal[] = [
    [
      "no component domain",
      sets({ ...SECRET, "config.XMPP_COMPONENT_URL": url, "config.REDIS_URL": redis }),
      /config\.XMPP_COMPONENT_DOMAIN is required/,
    ],
    [
      "no XMPP server",
      sets({ ...SECRET, "config.XMPP_COMPONENT_DOMAIN": domain, "config.REDIS_URL": redis }),
      /config\.XMPP_COMPONENT_URL is required .* ejabberd\.enabled/,
    ],
    [
      "no Redis",
      sets({ ...SECRET, "config.XMPP_COMPONENT_DOMAIN": domain, "config.XMPP_COMPONENT_URL": url }),
      /Redis is required: set config\.REDIS_URL/,
    ],
    [
      "no secret",
      sets(without(MINIMAL, "secrets.XMPP_COMPONENT_SECRET")),
      /secrets\.XMPP_COMPONENT_SECRET is required/,
    ],
    ["an unknown log level", minimal({ "config.LOG_LEVEL": "loud" }), /LOG_LEVEL/],
    ["a negative history size", minimal({ "config.MUC_HISTORY_MAX": -1 }), /MUC_HISTORY_MAX/],
    ["a port of 0", minimal({ "config.HTTP_PORT": 0 }), /HTTP_PORT/],
    [
      "a component URL that is not xmpp://",
      minimal({ "config.XMPP_COMPONENT_URL": "http://x:5347" }),
      /XMPP_COMPONENT_URL/,
    ],
    [
      "a bad domain",
      minimal({ "config.XMPP_COMPONENT_DOMAIN": "rooms_.example.org" }),
      /XMPP_COMPONENT_DOMAIN/,
    ],
    ["a misspelt variable", minimal({ "config.MUC_HISTORY": 5 }), /MUC_HISTORY/],
    [
      "sentinels without a name",
      minimal({ "config.REDIS_SENTINELS": "s1:26379" }),
      /config\.REDIS_SENTINEL_NAME is required with config\.REDIS_SENTINELS/,
    ],
    [
      "sentinels and a cluster",
      minimal({
        "config.REDIS_SENTINELS": "s1:26379",
        "config.REDIS_SENTINEL_NAME": "m",
        "config.REDIS_CLUSTER_NODES": "n1:7000",
      }),
      /config\.REDIS_SENTINELS and config\.REDIS_CLUSTER_NODES are both set/,
    ],
    [
      "the chart's Redis and a cluster",
      minimal({ "redis.enabled": true, "config.REDIS_CLUSTER_NODES": "n1:7000" }),
      /redis\.enabled .* config\.REDIS_CLUSTER_NODES/,
    ],
    [
      "room affinity with autoscaling",
      spoke({ "ejabberd.roomAffinity": true, "autoscaling.enabled": true }),
      /ejabberd\.roomAffinity .* autoscaling\.enabled/,
    ],
    [
      "room affinity without the chart's ejabberd",
      minimal({ "ejabberd.roomAffinity": true }),
      /ejabberd\.roomAffinity configures the chart's ejabberd/,
    ],
    [
      "ejabberd without its domain",
      spoke({ "ejabberd.xmppDomain": "" }),
      /ejabberd\.xmppDomain is required/,
    ],
    [
      "more minimum than maximum workers",
      minimal({
        "autoscaling.enabled": true,
        "autoscaling.minReplicas": 5,
        "autoscaling.maxReplicas": 2,
      }),
      /autoscaling\.minReplicas \(5\) is above autoscaling\.maxReplicas \(2\)/,
    ],
  ];
  itRefuses(cases);
});

describe("the chart's values follow libs/config (no drift)", () => {
  const values = parse(readFileSync(join(CHART, "values.yaml"), "utf8")) as {
    config: Record<string, string | number>;
    secrets: Record<string, string>;
  };
  const schema = JSON.parse(readFileSync(join(CHART, "values.schema.json"), "utf8")) as {
    properties: Record<string, { properties: Record<string, SchemaOf> }>;
  };
  type SchemaOf = { type: string; minimum?: number; maximum?: number; enum?: string[] };
  const names = Object.keys(VARIABLES).sort();
  /** Filled in by the chart when empty: the addresses of the ejabberd and Redis it deploys. */
  const CHART_FILLED = ["REDIS_URL", "XMPP_COMPONENT_URL"];

  it("has every variable in values (config or secrets) and in the schema, and nothing else", () => {
    expect([...Object.keys(values.config), ...Object.keys(values.secrets)].sort()).toEqual(names);
    const inSchema = [
      ...Object.keys(schema.properties["config"]!.properties),
      ...Object.keys(schema.properties["secrets"]!.properties),
    ];
    expect(inSchema.sort()).toEqual(names);
  });

  it("sets each variable to the service's default (or empty where the service requires one)", () => {
    for (const [name, v] of Object.entries(VARIABLES)) {
      const given = { ...values.config, ...values.secrets }[name];
      const expected = "default" in v && !CHART_FILLED.includes(name) ? v.default : "";
      expect(String(given), name).toBe(expected);
    }
  });

  it("bounds each number and lists each choice as the service's parser does", () => {
    const props = schema.properties["config"]!.properties;
    for (const [name, prop] of Object.entries(props)) {
      const parse = VARIABLES[name as keyof typeof VARIABLES].parse as (t: string) => unknown;
      if (prop.type === "integer") {
        expect(() => parse(String(prop.minimum)), name).not.toThrow();
        expect(() => parse(String(prop.maximum)), name).not.toThrow();
        expect(() => parse(String(prop.maximum! + 1)), name).toThrow();
        if (prop.minimum! > 0 && name !== "HTTP_PORT") {
          expect(() => parse(String(prop.minimum! - 1)), name).toThrow();
        }
      }
      for (const choice of prop.enum ?? []) expect(() => parse(choice), name).not.toThrow();
      if (prop.enum) expect(() => parse("not-a-choice"), name).toThrow();
    }
  });
});
