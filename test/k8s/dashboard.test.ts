// The chart's Grafana dashboard (k8s/fedmuc/dashboards/fedmuc.json): its ConfigMap only when
// asked for, labelled for Grafana's sidecar; a dashboard Grafana loads (unique panel ids, every
// query on the chosen data source and release); every PromQL expression parsed by promtool and
// reading only metrics a worker exports.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  CHART,
  HELM_VERSIONS,
  helm,
  render,
  runTool,
  sets,
  type KubeObject,
} from "../harness/helm.js";
import { readKubeTools } from "../harness/kube-apiserver.js";
import { validateObject } from "../harness/kube-models.js";
import { workerSeriesNames } from "../harness/worker-metrics.js";
import { MINIMAL } from "./chart-fixtures.js";

interface Target {
  readonly expr: string;
  readonly refId: string;
  readonly datasource: { type: string; uid: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: readonly Target[];
  readonly options?: { content?: string };
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query: string | { query: string };
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating: { list: readonly Variable[] };
  readonly panels: readonly Panel[];
}

const FILE = readFileSync(join(CHART, "dashboards/fedmuc.json"), "utf8");
const dashboard = JSON.parse(FILE) as Dashboard;
const queries = dashboard.panels.flatMap((p) => p.targets ?? []);
const variableQueries = dashboard.templating.list
  .filter((v) => v.type === "query")
  .map((v) => (typeof v.query === "string" ? v.query : v.query.query));
/** Grafana's variables as Prometheus would see them once substituted. */
const substituted = (expr: string) =>
  expr
    .replaceAll("$__rate_interval", "5m")
    .replaceAll("$namespace", "chat")
    .replaceAll("$job", "fedmuc-metrics")
    .replaceAll("$peer_service", ".*");
const configMaps = (objects: readonly KubeObject[]) =>
  objects.filter((o) => o.kind === "ConfigMap" && o.metadata.name.endsWith("-dashboard"));

const dir = mkdtempSync(join(tmpdir(), "fedmuc-dashboard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the dashboard", () => {
  it("is a Grafana dashboard: its data source, namespace and release to choose, unique panel ids", () => {
    expect(dashboard).toMatchObject({ uid: "fedmuc", title: "fedmuc" });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables.get("datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
    expect(variables.get("namespace")?.type).toBe("query");
    expect(variables.get("job")?.type).toBe("query");
    const ids = dashboard.panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      const { h, w, x, y } = panel.gridPos;
      expect(
        [h, w, x, y].every((n) => Number.isInteger(n) && n >= 0),
        panel.title,
      ).toBe(true);
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type === "row" || panel.type === "text") continue;
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      const refIds = panel.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });

  it("queries the chosen data source, namespace and release only", () => {
    for (const { expr, datasource } of queries) {
      expect(datasource, expr).toEqual({ type: "prometheus", uid: "${datasource}" });
      const metrics = expr.match(/\bfedmuc_[a-z0-9_]+/g) ?? [];
      const selectors = [...expr.matchAll(/\bfedmuc_[a-z0-9_]+\{([^}]*)\}/g)].map((m) => m[1]!);
      expect(selectors.length, expr).toBe(metrics.length);
      for (const selector of selectors) {
        expect(selector, expr).toContain('namespace="$namespace"');
        expect(selector, expr).toContain('job=~"$job"');
      }
    }
  });

  it("reads only metrics a worker exports", async () => {
    const exported = await workerSeriesNames();
    const used = [...queries.map((q) => q.expr), ...variableQueries].flatMap(
      (expr) => expr.match(/\bfedmuc_[a-z0-9_]+/g) ?? [],
    );
    expect(used.length).toBeGreaterThan(0);
    for (const name of new Set(used)) expect(exported.has(name), name).toBe(true);
  });

  it("shows what operators look at, latencies as quantiles by stanza name and link direction", () => {
    const exprs = queries.map((q) => q.expr).join("\n");
    for (const q of ["0.5", "0.95", "0.99"]) {
      expect(exprs).toContain(
        `histogram_quantile(${q}, sum by (le, name) (rate(fedmuc_stanza_handle_seconds_bucket{`,
      );
      expect(exprs).toContain(
        `histogram_quantile(${q}, sum by (le, direction) (rate(fedmuc_link_stanza_seconds_bucket{`,
      );
    }
    for (const metric of [
      "fedmuc_stanzas_handled_total",
      "fedmuc_links",
      "fedmuc_link_backlog_stanzas",
      "fedmuc_link_bytes_total",
      "fedmuc_link_stanzas_total",
      "fedmuc_link_resent_stanzas_total",
      "fedmuc_component_queued_bytes",
      "fedmuc_component_in_flight",
    ]) {
      expect(exprs).toMatch(new RegExp(`\\b${metric}\\{`));
    }
    const text = dashboard.panels.find((p) => p.type === "text")?.options?.content ?? "";
    expect(text).toContain("slow stanza");
    expect(text).toContain("trace_id");
  });

  it("has every expression parsed by Prometheus's own parser (promtool)", async () => {
    const rules = join(dir, "dashboard-rules.yaml");
    const exprs = queries.map((q) => substituted(q.expr));
    writeFileSync(
      rules,
      stringify({
        groups: [{ name: "dashboard", rules: exprs.map((expr, i) => ({ record: `q${i}`, expr })) }],
      }),
    );
    const run = await runTool(readKubeTools().PROMTOOL, ["check", "rules", rules]);
    expect(run.stdout + run.stderr).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
    expect(run.status).toBe(0);
  });
});

describe.each(HELM_VERSIONS)("the dashboard's ConfigMap with helm %i", (version) => {
  it("is made only with dashboard.enabled", async () => {
    expect(configMaps(await render(version, sets(MINIMAL)))).toEqual([]);
  });

  it("holds the dashboard, labelled for the sidecar, where asked", async () => {
    const objects = await render(version, sets({ ...MINIMAL, "dashboard.enabled": true }));
    const [map] = configMaps(objects);
    await validateObject(map!);
    expect(map!.metadata).toMatchObject({
      name: "fedmuc-dashboard",
      namespace: "chat",
      labels: { grafana_dashboard: "1", "app.kubernetes.io/instance": "fedmuc" },
    });
    const data = map!["data"] as Record<string, string>;
    expect(JSON.parse(data["fedmuc.json"]!)).toEqual(dashboard);

    const placed = configMaps(
      await render(version, [
        ...sets({
          ...MINIMAL,
          "dashboard.enabled": true,
          "dashboard.namespace": "monitoring",
          "dashboard.annotations.grafana_folder": "Chat",
          // A sidecar of other labels: the default one taken away (null), another one added.
          "dashboard.labels.grafana_dashboard": "null",
          "dashboard.labels.dashboards": "chat",
        }),
      ]),
    )[0]!;
    expect(placed.metadata).toMatchObject({
      namespace: "monitoring",
      annotations: { grafana_folder: "Chat" },
    });
    expect(placed.metadata.labels?.["dashboards"]).toBe("chat");
    expect(placed.metadata.labels).not.toHaveProperty("grafana_dashboard");
  });

  it.each([
    [
      "a namespace that is not a name",
      { "dashboard.namespace": "Mon_itoring" },
      /dashboard.namespace/,
    ],
    ["a misspelt key", { "dashboard.enable": true }, /additional propert.*enable\b.* not allowed/i],
  ])("refuses %s, naming it", async (_what, values, message) => {
    const run = await helm(version, [
      "template",
      "fedmuc",
      CHART,
      ...sets({ ...MINIMAL, ...values }),
    ]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });
});
