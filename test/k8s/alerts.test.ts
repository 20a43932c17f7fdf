// The chart's alerts evaluated by Prometheus's own rule engine (promtool test rules) on series
// shaped like the workers' metrics: each fires when its condition has held as long as it says,
// and not before, nor on a look-alike that is fine (a large backlog that is not growing).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { only, profileArgs, render, runTool, sets } from "../harness/helm.js";
import { readKubeTools } from "../harness/kube-apiserver.js";

const dir = mkdtempSync(join(tmpdir(), "fedmuc-alerts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What the ServiceMonitor's scrapes carry (the metrics Service is the job).
const TARGET = 'job="fedmuc-metrics", namespace="chat"';

interface Expected {
  readonly at: string;
  readonly alert: string;
  /** Labels of each alert firing then (severity included); none: it must not fire. */
  readonly firing: Record<string, string>[];
}

/** Runs promtool on the hub's rules with `series` (promtool's expanding notation) and checks. */
async function evaluate(series: Record<string, string>, expected: readonly Expected[]) {
  const objects = await render(4, [
    ...profileArgs("hub"),
    ...sets({ "secrets.XMPP_COMPONENT_SECRET": "s", "metrics.prometheusRule.enabled": true }),
    "--api-versions",
    "monitoring.coreos.com/v1/PrometheusRule",
    "--api-versions",
    "monitoring.coreos.com/v1/ServiceMonitor",
  ]);
  const rules = only(objects, "PrometheusRule")["spec"] as {
    groups: { rules: { alert: string; annotations?: unknown }[] }[];
  };
  // Annotations are the operator's prose; the firing and the labels are what is tested.
  for (const rule of rules.groups.flatMap((g) => g.rules)) delete rule.annotations;
  const rulesFile = join(dir, `rules-${expected[0]!.alert}.yaml`);
  writeFileSync(rulesFile, stringify(rules));
  const testFile = join(dir, `test-${expected[0]!.alert}.yaml`);
  writeFileSync(
    testFile,
    stringify({
      rule_files: [rulesFile],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })),
          alert_rule_test: expected.map((e) => ({
            eval_time: e.at,
            alertname: e.alert,
            exp_alerts: e.firing.map((labels) => ({ exp_labels: labels })),
          })),
        },
      ],
    }),
  );
  const run = await runTool(readKubeTools().PROMTOOL, ["test", "rules", testFile]);
  expect(run.stdout + run.stderr).toMatch(/SUCCESS/);
  expect(run.status).toBe(0);
}

describe("the hub's alerts, evaluated by promtool", () => {
  it("FedmucLinkDown: a link down longer than FMUC_GRACE_MS (300 s in the hub profile)", async () => {
    // Down since 0, seconds counting; two workers report the same service-wide figure.
    const down = "0+60x20";
    await evaluate(
      {
        [`fedmuc_link_down_seconds{${TARGET}, pod="a", peer_service="ship1.example.org"}`]: down,
        [`fedmuc_link_down_seconds{${TARGET}, pod="b", peer_service="ship1.example.org"}`]: down,
        [`fedmuc_link_down_seconds{${TARGET}, pod="a", peer_service="ship2.example.org"}`]: "0x20",
      },
      [
        { at: "5m", alert: "FedmucLinkDown", firing: [] },
        {
          at: "6m",
          alert: "FedmucLinkDown",
          firing: [{ peer_service: "ship1.example.org", severity: "critical" }],
        },
      ],
    );
  });

  it("FedmucLinkBacklogGrowing: above 1000 stanzas and growing over 15 min, not a steady one", async () => {
    await evaluate(
      {
        [`fedmuc_link_backlog_stanzas{${TARGET}, pod="a", peer_service="ship1.example.org"}`]:
          "0+100x40",
        [`fedmuc_link_backlog_stanzas{${TARGET}, pod="a", peer_service="ship2.example.org"}`]:
          "5000x40",
      },
      [
        { at: "9m", alert: "FedmucLinkBacklogGrowing", firing: [] },
        {
          at: "20m",
          alert: "FedmucLinkBacklogGrowing",
          firing: [{ peer_service: "ship1.example.org", severity: "warning" }],
        },
      ],
    );
  });

  it("FedmucWorkersNotReady: a worker not ready for 5 min, or not answering scrapes", async () => {
    await evaluate(
      {
        [`fedmuc_ready{${TARGET}, pod="a"}`]: "1x30",
        [`fedmuc_ready{${TARGET}, pod="b"}`]: "1 1 0x28",
        [`up{${TARGET}, pod="a"}`]: "1x30",
        [`up{${TARGET}, pod="b"}`]: "1x30",
      },
      [
        { at: "5m", alert: "FedmucWorkersNotReady", firing: [] },
        { at: "8m", alert: "FedmucWorkersNotReady", firing: [{ severity: "warning" }] },
      ],
    );
    await evaluate(
      { [`up{${TARGET}, pod="a"}`]: "1 1 0x28", [`fedmuc_ready{${TARGET}, pod="b"}`]: "1x30" },
      [{ at: "8m", alert: "FedmucWorkersNotReady", firing: [{ severity: "warning" }] }],
    );
  });

  it("FedmucRedisUnreachable: a worker without Redis for a minute", async () => {
    await evaluate(
      {
        [`fedmuc_redis_up{${TARGET}, pod="a"}`]: "1 1 1 0x20",
        [`fedmuc_redis_up{${TARGET}, pod="b"}`]: "1x23",
      },
      [
        { at: "3m", alert: "FedmucRedisUnreachable", firing: [] },
        { at: "4m", alert: "FedmucRedisUnreachable", firing: [{ severity: "critical" }] },
      ],
    );
  });
});
