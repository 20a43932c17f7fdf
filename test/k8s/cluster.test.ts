// The chart on a real Kubernetes API server (1.20, etcd, the controller-manager), with helm 3 and
// 4: every object of each profile passes the server's strict validation (unknown fields refused),
// then install, upgrade, rollback and uninstall, checked on the objects the server holds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApiServer, type KubeApiServer } from "../harness/kube-apiserver.js";
import {
  CHART,
  HELM_VERSIONS,
  helm as helmOf,
  parseObjects,
  profileArgs,
  runTool,
  sets,
  type HelmVersion,
  type KubeObject,
} from "../harness/helm.js";

let api: KubeApiServer;

beforeAll(async () => {
  api = await startKubeApiServer({ controllerManager: true });
}, 90_000);

afterAll(async () => {
  await api?.stop();
});

const kubectl = (args: string[], input?: string) =>
  runTool(api.tools.KUBECTL, args, { kubeconfig: api.kubeconfig, input });
const helm = (version: HelmVersion, args: string[]) => helmOf(version, args, api.kubeconfig);

async function ok(run: Promise<{ status: number; stdout: string; stderr: string }>) {
  const result = await run;
  if (result.status !== 0) throw new Error(`status ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** An object as the server holds it, parsed. */
async function get(namespace: string, kind: string, name: string): Promise<KubeObject> {
  return JSON.parse(await ok(kubectl(["-n", namespace, "get", kind, name, "-o", "json"])));
}

const PROFILES = ["hub", "spoke"] as const;
const SECRET = sets({ "secrets.XMPP_COMPONENT_SECRET": "s3cret" });

describe("the API server checks strictly (the control: an unknown field is refused)", () => {
  it("refuses a Deployment with a field Kubernetes does not know", async () => {
    const bad = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "typo", namespace: "default" },
      data: {},
      dataa: {},
    };
    const run = await kubectl(
      ["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
      JSON.stringify(bad),
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/unknown field "dataa"/);
  });
});

describe.each(HELM_VERSIONS)("helm %i on a real API server", (version) => {
  const STRICT = [
    ["hub", []],
    ["spoke", []],
    ["spoke with room affinity", sets({ "ejabberd.roomAffinity": true, replicas: 3 })],
  ] as const;
  it.each(STRICT)("%s: every object passes the server's strict validation", async (what, extra) => {
    const profile = what.startsWith("hub") ? "hub" : "spoke";
    const namespace = `strict-${what.replaceAll(" ", "-")}-h${version}`;
    await ok(kubectl(["create", "namespace", namespace]));
    const rendered = await ok(
      helm(version, [
        "template",
        profile,
        CHART,
        "--validate",
        "-n",
        namespace,
        ...profileArgs(profile),
        ...SECRET,
        ...extra,
      ]),
    );
    // The helm test pod is a hook: applied like the rest here, to have it checked too.
    const objects = parseObjects(rendered);
    expect(objects.length).toBeGreaterThan(5);
    const applied = await ok(
      kubectl(
        [
          "apply",
          "-n",
          namespace,
          "--dry-run=server",
          "--validate=strict",
          "-o",
          "json",
          "-f",
          "-",
        ],
        rendered,
      ),
    );
    const accepted = (JSON.parse(applied) as { items: KubeObject[] }).items;
    const names = (list: KubeObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names(accepted)).toEqual(names(objects));
  });

  it.each(PROFILES)("%s: installs, upgrades, rolls back and uninstalls", async (profile) => {
    const namespace = `${profile}-h${version}`;
    const release = profile;
    const base = ["-n", namespace, ...profileArgs(profile), ...SECRET];
    const install = await ok(
      helm(version, ["install", release, CHART, "--create-namespace", ...base]),
    );
    // 1.20 has neither policy/v1 nor autoscaling/v2: the chart falls back to what it has.
    const worker = () => get(namespace, "deployment", `${release}-fedmuc`);
    expect((await worker()).metadata.labels?.["app.kubernetes.io/instance"]).toBe(release);
    if (profile === "hub") {
      expect(install).toMatch(/WARNING: no ServiceMonitor was made/); // no Prometheus Operator
      const hpa = await get(
        namespace,
        "horizontalpodautoscalers.v2beta2.autoscaling",
        "hub-fedmuc",
      );
      expect(hpa["spec"]).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
      const pdb = await get(namespace, "poddisruptionbudgets.v1beta1.policy", "hub-fedmuc");
      expect(pdb["spec"]).toMatchObject({ maxUnavailable: 1 });
    } else {
      await get(namespace, "statefulset", "spoke-fedmuc-redis");
      await get(namespace, "deployment", "spoke-fedmuc-ejabberd");
      await get(namespace, "configmap", "spoke-fedmuc-ejabberd");
    }
    const logLevel = async () => {
      const spec = (await worker())["spec"] as {
        template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
      };
      return spec.template.spec.containers[0]!.env.find((e) => e.name === "LOG_LEVEL")?.value;
    };
    expect(await logLevel()).toBe("info");

    await ok(
      helm(version, ["upgrade", release, CHART, ...base, ...sets({ "config.LOG_LEVEL": "debug" })]),
    );
    expect(await logLevel()).toBe("debug");
    await ok(helm(version, ["rollback", release, "1", "-n", namespace]));
    expect(await logLevel()).toBe("info");
    const history = JSON.parse(
      await ok(helm(version, ["history", release, "-n", namespace, "-o", "json"])),
    ) as { revision: number; status: string }[];
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, "superseded"],
      [2, "superseded"],
      [3, "deployed"],
    ]);

    await ok(helm(version, ["uninstall", release, "-n", namespace]));
    const left = await ok(
      kubectl([
        "-n",
        namespace,
        "get",
        "deployments,statefulsets,services,secrets,configmaps,serviceaccounts,networkpolicies",
        "-l",
        `app.kubernetes.io/instance=${release}`,
        "-o",
        "name",
      ]),
    );
    expect(left.trim()).toBe("");
  });
});
