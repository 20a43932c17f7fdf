// A throwaway Kubernetes control plane for tests: etcd and kube-apiserver (optionally the
// controller-manager and scheduler) on free loopback ports, everything in one temp dir, using the
// binaries infra/scripts/kube-tools.sh caches. Ready once /readyz says ok.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { request } from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { HarnessError } from "./errors.js";
import { freePort } from "./ports.js";
import {
  makeTempDir,
  removeTempDir,
  startProcess,
  tailFile,
  waitForPort,
  type ManagedProcess,
} from "./process.js";

const run = promisify(execFile);

const TOOL_KEYS = [
  "HELM4",
  "HELM3",
  "KUBECTL",
  "KUBE_APISERVER",
  "KUBE_CONTROLLER_MANAGER",
  "KUBE_SCHEDULER",
  "KUBELET",
  "ETCD",
  "PROMTOOL",
] as const;
export type KubeTools = Record<(typeof TOOL_KEYS)[number], string>;

/** Where kube-tools.sh writes its env file (same defaults as the script). */
export function kubeToolsEnvFile(): string {
  const cache =
    process.env["FEDMUC_CACHE"] ??
    join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "fedmuc");
  return join(cache, "kube-tools.env");
}

/** The absolute paths of the cached tools, from the env file of kube-tools.sh. */
export function readKubeTools(file = kubeToolsEnvFile()): KubeTools {
  const hint = "run `bash infra/scripts/kube-tools.sh` first (builds Kubernetes once, ~9 min)";
  if (!existsSync(file)) {
    throw new HarnessError("MISSING_BINARY", `kube tools: ${file} is missing: ${hint}`);
  }
  const vars = new Map<string, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1] as string, m[2] as string);
  }
  const tools = {} as Record<string, string>;
  for (const key of TOOL_KEYS) {
    const path = vars.get(key);
    if (!path || !existsSync(path)) {
      throw new HarnessError("MISSING_BINARY", `kube tools: ${key} missing in ${file}: ${hint}`);
    }
    tools[key] = path;
  }
  return tools as KubeTools;
}

export interface KubeApiServerOptions {
  /** Also run kube-controller-manager (makes the `default` ServiceAccount, ReplicaSets...). */
  readonly controllerManager?: boolean;
  /** Also run kube-scheduler (Pods stay Pending anyway: there is no node). */
  readonly scheduler?: boolean;
  /** Bound on the whole start-up, for /readyz and the ServiceAccount. */
  readonly timeoutMs?: number;
}

export interface KubeApiServer {
  /** A kubeconfig file for an admin (group system:masters) of this server. */
  readonly kubeconfig: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly token: string;
  readonly dir: string;
  readonly tools: KubeTools;
  /** Stops every process started here, by pid, and removes the temp dir. */
  stop(): Promise<void>;
}

/** GET a path of the API server; resolves with status and body (no throw on HTTP errors). */
export function apiGet(
  server: string,
  token: string,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      {
        headers: { authorization: `Bearer ${token}` },
        rejectUnauthorized: false, // its self-signed serving cert
        timeout: 2_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

async function waitForApi(
  what: string,
  ok: () => Promise<boolean>,
  deadline: number,
  procs: readonly ManagedProcess[],
): Promise<void> {
  for (let backoff = 50; ; backoff = Math.min(backoff * 1.5, 500)) {
    if (await ok().catch(() => false)) return;
    const dead = procs.find((p) => p.hasExited());
    if (dead || Date.now() + backoff > deadline) {
      const tails = procs.map((p) => `tail of ${p.logFile}:\n${tailFile(p.logFile, 15)}`);
      const why = dead ? `${dead.name} exited` : "timed out";
      throw new HarnessError(
        "PORT_TIMEOUT",
        `kube-apiserver: ${what}: ${why}\n${tails.join("\n")}`,
      );
    }
    await delay(backoff);
  }
}

export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const tools = readKubeTools();
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const dir = await makeTempDir("kube");
  const procs: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    // the reverse order of start: clients before the API server, the API server before etcd
    for (const p of [...procs].reverse()) await p.stop().catch(() => {});
    await removeTempDir(dir);
  };
  try {
    const [etcdClient, etcdPeer, securePort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const token = randomBytes(24).toString("hex");
    const server = `https://127.0.0.1:${securePort}`;
    const saKey = join(dir, "sa.key");
    const saPub = join(dir, "sa.pub");
    await run("openssl", ["genrsa", "-out", saKey, "2048"]);
    await run("openssl", ["rsa", "-in", saKey, "-pubout", "-out", saPub]);
    const tokens = join(dir, "tokens.csv");
    await writeFile(tokens, `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });

    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = await startProcess({
      name: "etcd",
      command: tools.ETCD,
      args: [
        ...["--name", "kube", "--data-dir", join(dir, "etcd")],
        ...["--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl],
        ...["--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl],
        ...["--initial-cluster", `kube=${peerUrl}`],
      ],
      cwd: dir,
      logFile: join(dir, "etcd.log"),
    });
    procs.push(etcd);
    await waitForPort({
      port: etcdClient,
      service: "etcd",
      logFile: etcd.logFile,
      alive: () => !etcd.hasExited(),
      timeoutMs: Math.max(1_000, deadline - Date.now()),
    });

    const apiserver = await startProcess({
      name: "kube-apiserver",
      command: tools.KUBE_APISERVER,
      args: [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${securePort}`,
        "--insecure-port=0",
        `--cert-dir=${join(dir, "certs")}`,
        `--token-auth-file=${tokens}`,
        "--authorization-mode=RBAC",
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-cluster-ip-range=10.96.0.0/24",
      ],
      cwd: dir,
      logFile: join(dir, "kube-apiserver.log"),
    });
    procs.push(apiserver);
    await waitForApi(
      "/readyz",
      async () => (await apiGet(server, token, "/readyz")).status === 200,
      deadline,
      procs,
    );

    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: local",
        "  cluster:",
        `    server: ${server}`,
        "    insecure-skip-tls-verify: true",
        "users:",
        "- name: admin",
        "  user:",
        `    token: ${token}`,
        "contexts:",
        "- name: local",
        "  context: {cluster: local, user: admin, namespace: default}",
        "current-context: local",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );

    // The controller-manager and the scheduler: clients of the API server, on loopback, alone.
    const controller = async (name: string, command: string, extra: string[]) =>
      startProcess({
        name,
        command,
        args: [
          `--kubeconfig=${kubeconfig}`,
          "--bind-address=127.0.0.1",
          `--secure-port=${await freePort()}`,
          "--port=0",
          "--leader-elect=false",
          ...extra,
        ],
        cwd: dir,
        logFile: join(dir, `${name}.log`),
      });
    if (opts.controllerManager) {
      procs.push(
        await controller("kube-controller-manager", tools.KUBE_CONTROLLER_MANAGER, [
          `--service-account-private-key-file=${saKey}`,
          "--use-service-account-credentials=false",
        ]),
      );
      await waitForApi(
        "the default ServiceAccount",
        async () =>
          (await apiGet(server, token, "/api/v1/namespaces/default/serviceaccounts/default"))
            .status === 200,
        deadline,
        procs,
      );
    }
    if (opts.scheduler) {
      procs.push(await controller("kube-scheduler", tools.KUBE_SCHEDULER, []));
    }
    return { kubeconfig, server, token, dir, tools, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
