// The chart under test (k8s/fedmuc) through the real helm binaries (3 and 4, cached by
// kube-tools.sh): lint, template, install... with HOME and helm's own directories in a temp dir,
// so nothing of the machine's helm set-up is read or written.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { readKubeTools } from "./kube-apiserver.js";

export const CHART = fileURLToPath(new URL("../../k8s/fedmuc", import.meta.url));
export const HELM_VERSIONS = [3, 4] as const;
export type HelmVersion = (typeof HELM_VERSIONS)[number];

/** A Kubernetes object as rendered (only what the tests read is typed). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** helm's and kubectl's HOME: the suite's (made and removed by global-setup.ts). */
function home(): string {
  const dir = process.env["FEDMUC_TOOL_HOME"];
  if (!dir) throw new Error("FEDMUC_TOOL_HOME is unset: run the tests through vitest");
  return dir;
}

/** Runs a tool (helm 3 or 4, kubectl) and resolves with its status and output, never throws. */
export function runTool(
  file: string,
  args: readonly string[],
  opts: { input?: string; kubeconfig?: string } = {},
): Promise<Run> {
  const env = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: home(),
    XDG_CACHE_HOME: join(home(), "cache"),
    XDG_CONFIG_HOME: join(home(), "config"),
    XDG_DATA_HOME: join(home(), "data"),
    ...(opts.kubeconfig && { KUBECONFIG: opts.kubeconfig }),
  };
  return new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { env, maxBuffer: 64 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function helm(version: HelmVersion, args: readonly string[], kubeconfig?: string) {
  const tools = readKubeTools();
  return runTool(version === 3 ? tools.HELM3 : tools.HELM4, args, { kubeconfig });
}

/** `--set` arguments from a map (values as helm's --set parses them). */
export const sets = (values: Record<string, string | number | boolean>): string[] =>
  Object.entries(values).flatMap(([k, v]) => ["--set", `${k}=${v}`]);

/** The chart's values files by profile name ("" is the defaults alone). */
export const profileArgs = (profile: "" | "hub" | "spoke"): string[] =>
  profile === "" ? [] : ["-f", join(CHART, `values-${profile}.yaml`)];

/** Renders the chart (helm template) and parses the objects; throws with helm's message. */
export async function render(version: HelmVersion, args: readonly string[]): Promise<KubeObject[]> {
  const run = await helm(version, ["template", "fedmuc", CHART, "--namespace", "chat", ...args]);
  if (run.status !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  return parseObjects(run.stdout);
}

export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** The one object of a kind (and name suffix), or a clear failure. */
export function only(objects: readonly KubeObject[], kind: string, suffix = ""): KubeObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} named *${suffix}, got ${found.length}`);
  }
  return found[0]!;
}
