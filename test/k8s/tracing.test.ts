// The chart's tracing.* with the real helm 3 and 4: the standard OTEL_* variables in the workers'
// environment, the pod's name, namespace and node in the resource through the downward API (read
// back by the service's own resource detection), the collector let through the NetworkPolicy,
// and bad values refused, naming them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { tracingResource } from "@fedmuc/telemetry/sdk";
import { CHART, HELM_VERSIONS, only, profileArgs, render, sets } from "../harness/helm.js";
import { validateObject } from "../harness/kube-models.js";
import {
  MINIMAL,
  SECRET,
  envOf,
  worker,
  type EnvVar,
  itRefuses,
  type Refusal,
} from "./chart-fixtures.js";

const APP_VERSION = (
  parse(readFileSync(join(CHART, "Chart.yaml"), "utf8")) as { appVersion: string }
).appVersion;
const ENDPOINT = "http://otel-collector.observability:4318";
const traced = (values: Record<string, string | number | boolean> = {}, ...more: string[]) => [
  ...sets({ ...MINIMAL, "tracing.endpoint": ENDPOINT, ...values }),
  ...more,
];
const TRACING_ENV = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_SERVICE_NAME",
  "OTEL_TRACES_SAMPLER",
  "OTEL_TRACES_SAMPLER_ARG",
  "OTEL_RESOURCE_ATTRIBUTES",
];

/** What the kubelet does with $(VAR) in a value: the variables defined before it, from `pod`. */
function expand(env: readonly EnvVar[], name: string, pod: Record<string, string>): string {
  const index = env.findIndex((e) => e.name === name);
  const before = new Map(
    env.slice(0, index).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? ""]),
  );
  return env[index]!.value!.replace(/\$\(([A-Z0-9_]+)\)/g, (ref, v: string) => {
    const field = before.get(v);
    return field === undefined ? ref : pod[field]!;
  });
}

const saved = process.env["OTEL_RESOURCE_ATTRIBUTES"];
afterEach(() => {
  if (saved === undefined) delete process.env["OTEL_RESOURCE_ATTRIBUTES"];
  else process.env["OTEL_RESOURCE_ATTRIBUTES"] = saved;
});

describe.each(HELM_VERSIONS)("tracing with helm %i", (version) => {
  it("sets nothing of tracing by default, the exporter none", async () => {
    const env = envOf(worker(await render(version, sets(MINIMAL))));
    expect(env.get("OTEL_TRACES_EXPORTER")?.value).toBe("none");
    expect(env.get("OTEL_EXPORTER_OTLP_PROTOCOL")?.value).toBe("http/protobuf");
    expect(env.get("LOG_SLOW_STANZA_MS")?.value).toBe("250");
    for (const name of [...TRACING_ENV, "K8S_POD_NAME"])
      expect(env.get(name), name).toBeUndefined();
  });

  it("an endpoint turns the exporter to otlp, with the sampler and the release's name", async () => {
    const objects = await render(
      version,
      traced({ "config.OTEL_EXPORTER_OTLP_PROTOCOL": "http/json" }),
    );
    for (const object of objects) await validateObject(object);
    const env = envOf(worker(objects));
    expect(
      Object.fromEntries(
        ["OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_PROTOCOL", ...TRACING_ENV.slice(0, 4)].map(
          (n) => [n, env.get(n)?.value],
        ),
      ),
    ).toEqual({
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
      OTEL_SERVICE_NAME: "fedmuc",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "1.0",
    });
  });

  it("puts the pod's name, namespace and node and the app version in the resource", async () => {
    const container = worker(
      await render(
        version,
        traced(
          {},
          "--set-json",
          'tracing.resourceAttributes={"site":"ship 1, aft=$(HOME)","service.version":"9"}',
        ),
      ),
    );
    const env = container.env!;
    const fields = {
      K8S_POD_NAME: "metadata.name",
      K8S_NAMESPACE_NAME: "metadata.namespace",
      K8S_NODE_NAME: "spec.nodeName",
    };
    for (const [name, fieldPath] of Object.entries(fields)) {
      expect(envOf(container).get(name)?.valueFrom?.fieldRef, name).toEqual({ fieldPath });
    }
    const pod = {
      "metadata.name": "fedmuc-7d9-x2",
      "metadata.namespace": "chat",
      "spec.nodeName": "node-3",
    };
    process.env["OTEL_RESOURCE_ATTRIBUTES"] = expand(env, "OTEL_RESOURCE_ATTRIBUTES", pod);
    expect(tracingResource("fedmuc").attributes).toMatchObject({
      "k8s.pod.name": "fedmuc-7d9-x2",
      "k8s.namespace.name": "chat",
      "k8s.node.name": "node-3",
      // Yours win; percent-encoded, so that neither the list nor Kubernetes' $(...) breaks.
      "service.version": "9",
      site: "ship 1, aft=$(HOME)",
    });

    const plain = envOf(worker(await render(version, traced())));
    process.env["OTEL_RESOURCE_ATTRIBUTES"] = expand(
      [...plain.values()],
      "OTEL_RESOURCE_ATTRIBUTES",
      pod,
    );
    expect(tracingResource("fedmuc").attributes["service.version"]).toBe(APP_VERSION);
  });

  it("takes the sampler, its argument (text or number) and the service name", async () => {
    const env = async (values: Record<string, string | number>) =>
      envOf(worker(await render(version, traced(values))));
    const named = await env({ "tracing.serviceName": "hub-rooms", "tracing.samplerArg": 0.25 });
    expect(named.get("OTEL_SERVICE_NAME")?.value).toBe("hub-rooms");
    expect(named.get("OTEL_TRACES_SAMPLER_ARG")?.value).toBe("0.25");
    const always = await env({ "tracing.sampler": "parentbased_always_on" });
    expect(always.get("OTEL_TRACES_SAMPLER")?.value).toBe("parentbased_always_on");
    expect(always.get("OTEL_TRACES_SAMPLER_ARG")).toBeUndefined();
    // No endpoint, an exporter all the same: the SDK's own default endpoint (or extraEnv's).
    const console = envOf(
      worker(await render(version, sets({ ...MINIMAL, "config.OTEL_TRACES_EXPORTER": "console" }))),
    );
    expect(console.get("OTEL_EXPORTER_OTLP_ENDPOINT")).toBeUndefined();
    expect(console.get("OTEL_TRACES_SAMPLER")?.value).toBe("parentbased_traceidratio");
  });

  it("the spoke keeps a tenth of the traces it begins", async () => {
    const env = envOf(
      worker(
        await render(version, [
          ...profileArgs("spoke"),
          ...sets({ ...SECRET, "tracing.endpoint": ENDPOINT }),
        ]),
      ),
    );
    expect(env.get("OTEL_TRACES_SAMPLER_ARG")?.value).toBe("0.1");
  });

  it("lets the workers reach the collector's port through the NetworkPolicy", async () => {
    type Egress = { ports: { port: number }[]; to?: object[] };
    const egress = async (values: Record<string, string | boolean>, ...more: string[]) => {
      const objects = await render(version, [
        ...sets({ ...MINIMAL, "networkPolicy.enabled": true, ...values }),
        ...more,
      ]);
      return (only(objects, "NetworkPolicy")["spec"] as { egress: Egress[] }).egress;
    };
    const to = [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } },
    ];
    const rules = await egress(
      { "tracing.endpoint": ENDPOINT },
      "--set-json",
      `networkPolicy.collectorTo=${JSON.stringify(to)}`,
    );
    expect(rules.at(-1)).toEqual({ ports: [{ port: 4318, protocol: "TCP" }], to });
    const https = await egress({ "tracing.endpoint": "https://otlp.example.org" });
    expect(https.at(-1)).toEqual({ ports: [{ port: 443, protocol: "TCP" }] });
    const none = await egress({});
    expect(none.flatMap((e) => e.ports.map((p) => p.port))).toEqual([53, 53, 5347, 6379]);
  });
});

describe("the chart refuses bad tracing values, naming them", () => {
  const cases: Refusal[] = [
    [
      "gRPC",
      sets({ ...MINIMAL, "config.OTEL_EXPORTER_OTLP_PROTOCOL": "grpc" }),
      /config.OTEL_EXPORTER_OTLP_PROTOCOL/,
    ],
    [
      "a negative slow-stanza time",
      sets({ ...MINIMAL, "config.LOG_SLOW_STANZA_MS": -1 }),
      /config.LOG_SLOW_STANZA_MS/,
    ],
    [
      "an endpoint without a scheme",
      traced({ "tracing.endpoint": "otel:4318" }),
      /tracing.endpoint/,
    ],
    ["an unknown sampler", traced({ "tracing.sampler": "probabilistic" }), /tracing.sampler\b/],
    ["a ratio above 1", traced({ "tracing.samplerArg": "1.5" }), /tracing.samplerArg/],
    ["a ratio above 1, as a number", traced({ "tracing.samplerArg": 2 }), /tracing.samplerArg/],
    [
      "an attribute that is not text",
      traced({}, "--set-json", 'tracing.resourceAttributes={"replica":3}'),
      /tracing.resourceAttributes.replica/,
    ],
    [
      "a misspelt key",
      traced({ "tracing.sample": "always_on" }),
      /additional propert.*sample\b.* not allowed/i,
    ],
    [
      "an endpoint with the console exporter",
      traced({ "config.OTEL_TRACES_EXPORTER": "console" }),
      /tracing\.endpoint is set but config\.OTEL_TRACES_EXPORTER is console/,
    ],
    [
      "a collector rule that is not a peer",
      traced({}, "--set-json", 'networkPolicy.collectorTo=["x"]'),
      /networkPolicy.collectorTo/,
    ],
  ];
  itRefuses(cases);
});
