// A throwaway Kubernetes node for tests: a private containerd (CRI on, runc, a local pause image)
// and the kubelet 1.20 of infra/scripts/kube-tools.sh, registered with an API server of
// startKubeApiServer(). For hostNetwork Pods: the CNI config is only a loopback network, enough
// for the runtime to report NetworkReady. Everything lives in one temp dir and is stopped by pid;
// what the kubelet and runc leave outside it (pod logs in /var/log/pods, cgroups /k8s.io/<id>,
// shim sockets in /run/containerd/s, kernel tunables) is put back by stop(), and by an exit hook
// if the test process exits without stop(). Needs root and Debian's containerd, runc and
// containernetworking-plugins. One node per machine at a time is what was tried.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { HarnessError } from "./errors.js";
import {
  CONTAINER_LOGS,
  CRI_CGROUP,
  POD_LOGS,
  cgroupRoots,
  mountsUnder,
  podUids,
  readTunables,
  reapSync,
  type NodeState,
} from "./kubelet-host.js";
import { apiGet, type KubeApiServer } from "./kube-apiserver.js";
import { freePort } from "./ports.js";
import {
  makeTempDir,
  removeTempDir,
  runCommand,
  startProcess,
  tailFile,
  type ManagedProcess,
} from "./process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CNI_BIN_DIR = "/usr/lib/cni";
export interface NodeOptions {
  /** The control plane, from startKubeApiServer() (with the scheduler, for Pods to be placed). */
  readonly apiServer: KubeApiServer;
  /** OCI archives to import into containerd's k8s.io namespace (Pods use imagePullPolicy Never or
   * IfNotPresent: no registry is reachable). */
  readonly images?: readonly string[];
  /** The Node's name (default fedmuc-node-XXXXXX). */
  readonly nodeName?: string;
  /** Bound on the whole start-up: containerd, the imports, the Node Ready. */
  readonly timeoutMs?: number;
}

export interface KubeNode {
  readonly nodeName: string;
  /** The image references the archives of `images` were imported as. */
  readonly images: readonly string[];
  /** containerd's socket, for `ctr --address SOCKET -n k8s.io ...`. */
  readonly containerdSocket: string;
  readonly kubeletLog: string;
  readonly containerdLog: string;
  readonly dir: string;
  /** Stops the kubelet, every container and shim, and containerd; unmounts, removes the cgroups,
   * the pod logs and the temp dir, restores the kernel tunables. Idempotent. */
  stop(): Promise<void>;
}

function onPath(binary: string): boolean {
  return (process.env["PATH"] ?? "")
    .split(delimiter)
    .concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
    .some((dir) => existsSync(join(dir, binary)));
}

/** The pause image's OCI archive (infra/scripts/pause-image.sh: cached, made in a second). */
async function pauseArchive(): Promise<{ archive: string; image: string }> {
  const { stdout, stderr } = await runCommand("bash", ["infra/scripts/pause-image.sh"], {
    cwd: ROOT,
    timeoutMs: 120_000,
  });
  const archive = stdout.trim().split("\n").pop() ?? "";
  const image = /image (\S+)/.exec(stderr)?.[1];
  if (!existsSync(archive) || !image) {
    throw new HarnessError("COMMAND_FAILED", `pause-image.sh: no archive: ${stdout}${stderr}`);
  }
  return { archive, image };
}

function containerdConfig(dir: string, pauseImage: string): string {
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
[grpc]
  address = "${dir}/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  sandbox_image = "${pauseImage}"
  disable_apparmor = true
  # no CAP_SYS_RESOURCE here: runc cannot lower oom_score_adj below containerd's own
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${dir}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${dir}/cni"
`;
}

/** Ready, and schedulable (the controller-manager has lifted the not-ready taint). */
async function nodeReady(api: KubeApiServer, name: string): Promise<boolean> {
  const { status, body } = await apiGet(api.server, api.token, `/api/v1/nodes/${name}`);
  if (status !== 200) return false;
  const node = JSON.parse(body) as {
    spec?: { taints?: { key: string }[] };
    status?: { conditions?: { type: string; status: string }[] };
  };
  const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  const tainted = node.spec?.taints?.some((t) => t.key.startsWith("node.kubernetes.io/not-ready"));
  return ready === true && !tainted;
}

export async function startNode(opts: NodeOptions): Promise<KubeNode> {
  const api = opts.apiServer;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  if (process.getuid?.() !== 0) {
    throw new HarnessError("NOT_ROOT", "kubelet: a node needs root (containerd, runc, mounts)");
  }
  const missing = ["containerd", "ctr", "runc", "containerd-shim-runc-v2"].filter(
    (b) => !onPath(b),
  );
  if (!existsSync(join(CNI_BIN_DIR, "loopback"))) missing.push("containernetworking-plugins");
  if (missing.length > 0) {
    throw new HarnessError(
      "MISSING_BINARY",
      `kubelet: missing ${missing.join(", ")}: apt-get install containerd runc containernetworking-plugins`,
    );
  }
  const pause = await pauseArchive();
  const nodeName = opts.nodeName ?? `fedmuc-node-${randomBytes(3).toString("hex")}`;
  const dir = await makeTempDir("node");
  const socket = join(dir, "containerd.sock");
  const state: NodeState = {
    dir,
    socket,
    kubeletLog: join(dir, "kubelet.log"),
    tunables: readTunables(),
    hadLogDirs: [POD_LOGS, CONTAINER_LOGS].filter((d) => existsSync(d)),
    hadCgroupParent: cgroupRoots().filter((root) => existsSync(join(root, CRI_CGROUP))),
    hadVarLibKubelet: existsSync("/var/lib/kubelet"),
  };
  const env = {
    ...process.env,
    PATH: `${process.env["PATH"] ?? ""}:/usr/sbin:/usr/bin:/sbin:/bin`,
  };
  const ctr = (args: string[], timeoutMs = 60_000) =>
    runCommand("ctr", ["--address", socket, "-n", CRI_CGROUP, ...args], { timeoutMs, env });
  let containerd: ManagedProcess | undefined;
  let kubelet: ManagedProcess | undefined;
  let stopped: Promise<void> | undefined;

  // If the test process exits without stop(): before process.ts kills the pids it tracks and
  // removes the temp dirs, kill ours and reap the shims and containers, unmount, restore.
  const onExit = (): void => {
    for (const p of [kubelet, containerd]) p?.signal("SIGKILL");
    reapSync(state, podUids(state), new Set());
  };
  process.prependListener("exit", onExit);

  const cleanup = async (): Promise<void> => {
    const problems: string[] = [];
    const attempt = async (what: string, step: () => unknown): Promise<void> => {
      try {
        await step();
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
      }
    };
    const uids = podUids(state);
    await attempt("kubelet", () => kubelet?.stop());
    // The Node object goes, so the API server (and the next node) see no stale NotReady node;
    // best effort: the API server may be stopped already.
    await runCommand(
      api.tools.KUBECTL,
      [
        ...["--kubeconfig", api.kubeconfig, "--cache-dir", join(dir, "kubectl-cache")],
        ...["delete", "node", nodeName, "--ignore-not-found", "--wait=false"],
        "--request-timeout=5s",
      ],
      { timeoutMs: 10_000 },
    ).catch(() => {});
    // Our containers (the pods' and their sandboxes), by containerd's own list: each task killed
    // and deleted (the shim unmounts its rootfs and exits), each container removed.
    const ids = new Set<string>();
    if (containerd && !containerd.hasExited()) {
      await attempt("containers", async () => {
        const listed = (await ctr(["containers", "ls", "-q"], 10_000)).stdout.split("\n");
        for (const id of listed.filter(Boolean)) ids.add(id);
        await Promise.all(
          [...ids].map(async (id) => {
            await ctr(["tasks", "delete", "--force", id], 20_000).catch(() => {});
            await ctr(["containers", "delete", id], 20_000).catch(() => {});
          }),
        );
      });
    }
    await attempt("containerd", () => containerd?.stop(10_000));
    problems.push(...reapSync(state, uids, ids));
    process.removeListener("exit", onExit);
    // Never rm -rf through a mount that is still there.
    if (mountsUnder(dir).length === 0) await removeTempDir(dir);
    if (problems.length > 0) {
      throw new HarnessError("STOP_TIMEOUT", `kubelet node ${nodeName}: ${problems.join("; ")}`);
    }
  };
  const stop = (): Promise<void> => (stopped ??= cleanup());

  try {
    await mkdir(join(dir, "cni"));
    await writeFile(
      join(dir, "cni", "10-loopback.conflist"),
      JSON.stringify({ cniVersion: "0.4.0", name: "fedmuc-lo", plugins: [{ type: "loopback" }] }),
    );
    await writeFile(join(dir, "containerd.toml"), containerdConfig(dir, pause.image));
    containerd = await startProcess({
      name: "containerd",
      command: "containerd",
      args: ["--config", join(dir, "containerd.toml")],
      cwd: dir,
      env,
      logFile: join(dir, "containerd.log"),
    });
    const daemon = containerd;
    for (let backoff = 20; ; backoff = Math.min(backoff * 1.5, 250)) {
      if (
        existsSync(socket) &&
        (await ctr(["version"], 5_000).then(
          () => true,
          () => false,
        ))
      )
        break;
      if (daemon.hasExited() || Date.now() + backoff > deadline) {
        throw new HarnessError(
          daemon.hasExited() ? "PROCESS_EXITED" : "PORT_TIMEOUT",
          `containerd did not answer on ${socket}; tail of ${daemon.logFile}:\n${tailFile(daemon.logFile)}`,
        );
      }
      await delay(backoff);
    }

    const importImage = async (archive: string): Promise<string[]> => {
      const timeoutMs = Math.max(10_000, deadline - Date.now());
      const { stdout } = await ctr(["images", "import", archive], timeoutMs);
      const refs = [...stdout.matchAll(/^unpacking (\S+) /gm)].map((m) => m[1] as string);
      if (refs.length === 0) {
        throw new HarnessError("COMMAND_FAILED", `ctr images import ${archive}: no image in it`);
      }
      return refs;
    };
    await importImage(pause.archive); // the CRI needs it for any Pod
    // The workload images (seconds each: they are unpacked) while the kubelet starts.
    const imported = (async () => {
      const refs: string[] = [];
      for (const archive of opts.images ?? []) refs.push(...(await importImage(archive)));
      return refs;
    })();
    imported.catch(() => {}); // awaited below; not unhandled if the kubelet fails first

    const kubeconfig = join(dir, "kubeconfig");
    await copyFile(api.kubeconfig, kubeconfig); // the admin token (system:masters) is enough here
    await mkdir(join(dir, "volume-plugins"));
    kubelet = await startProcess({
      name: "kubelet",
      command: api.tools.KUBELET,
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--hostname-override=${nodeName}`,
        "--container-runtime=remote",
        `--container-runtime-endpoint=unix://${socket}`,
        `--containerd=${socket}`, // cadvisor's, for container stats
        "--runtime-request-timeout=2m",
        `--pod-infra-container-image=${pause.image}`,
        `--root-dir=${join(dir, "kubelet")}`,
        `--cert-dir=${join(dir, "kubelet", "pki")}`,
        `--volume-plugin-dir=${join(dir, "volume-plugins")}`,
        // No QoS cgroup tree, no node allocatable enforcement: the containers' cgroups are
        // /k8s.io/<id> (made by runc, removed by stop()), nothing else is touched.
        "--cgroup-driver=cgroupfs",
        "--cgroups-per-qos=false",
        "--enforce-node-allocatable=",
        "--fail-swap-on=false",
        "--make-iptables-util-chains=false",
        "--feature-gates=DevicePlugins=false", // else a socket in /var/lib/kubelet/device-plugins
        // A test machine's disk may be fuller than the default thresholds: no eviction, no image GC.
        "--eviction-hard=memory.available<1Mi,nodefs.available<1%,imagefs.available<1%",
        "--image-gc-high-threshold=100",
        "--image-gc-low-threshold=99",
        // Its API on loopback only (anonymous and always-allow by default: never on a network).
        "--address=127.0.0.1",
        `--port=${await freePort()}`,
        "--read-only-port=0",
        "--healthz-port=0",
        // Report a status change within a second (default 10 s: the first status is NotReady,
        // before the first PLEG relist, and Ready would come 10 s later).
        "--node-status-update-frequency=1s",
        "-v=2", // the SyncLoop lines the pods' UIDs are read from, for their logs
      ],
      cwd: dir,
      env,
      logFile: state.kubeletLog,
    });
    const daemons = [containerd, kubelet];
    for (let backoff = 100; ; backoff = Math.min(backoff * 1.5, 500)) {
      if (await nodeReady(api, nodeName).catch(() => false)) break;
      const dead = daemons.find((p) => p.hasExited());
      if (dead || Date.now() + backoff > deadline) {
        const tails = daemons.map((p) => `tail of ${p.logFile}:\n${tailFile(p.logFile, 20)}`);
        throw new HarnessError(
          dead ? "PROCESS_EXITED" : "PORT_TIMEOUT",
          `kubelet: node ${nodeName} not Ready: ${dead ? `${dead.name} exited` : "timed out"}\n${tails.join("\n")}`,
        );
      }
      await delay(backoff);
    }
    const images = await imported;
    return {
      nodeName,
      images,
      containerdSocket: socket,
      kubeletLog: state.kubeletLog,
      containerdLog: join(dir, "containerd.log"),
      dir,
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
