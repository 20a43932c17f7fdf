// A throwaway Kubernetes node for tests: a private containerd (CRI on, runc, a local pause image)
// and the kubelet 1.20 of infra/scripts/kube-tools.sh, registered with an API server of
// startKubeApiServer(). For hostNetwork Pods: the CNI config is only a loopback network, enough
// for the runtime to report NetworkReady. Everything lives in one temp dir and is stopped by pid;
// what the kubelet and runc leave outside it (pod logs in /var/log/pods, cgroups /k8s.io/<id>,
// shim sockets in /run/containerd/s, kernel tunables) is put back by stop(), and by an exit hook
// if the test process exits without stop(). Needs root and Debian's containerd, runc and
// containernetworking-plugins. One node per machine at a time is what was tried.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { HarnessError } from "./errors.js";
import { apiGet, type KubeApiServer } from "./kube-apiserver.js";
import { freePort } from "./ports.js";
import {
  isAlive,
  makeTempDir,
  removeTempDir,
  runCommand,
  startProcess,
  tailFile,
  type ManagedProcess,
} from "./process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CNI_BIN_DIR = "/usr/lib/cni";
const POD_LOGS = "/var/log/pods"; // hard-coded in the kubelet 1.20
const CONTAINER_LOGS = "/var/log/containers";
const CRI_CGROUP = "k8s.io"; // containerd's CRI namespace, its containers' cgroup parent
// The kernel settings the kubelet's container manager sets at start-up (it cannot be told not
// to: --protect-kernel-defaults only turns a difference into a fatal error); stop() restores them.
const KERNEL_TUNABLES = [
  "vm/overcommit_memory",
  "vm/panic_on_oom",
  "kernel/panic",
  "kernel/panic_on_oops",
  "kernel/keys/root_maxkeys",
  "kernel/keys/root_maxbytes",
];

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

function readTunables(): Map<string, string> {
  const values = new Map<string, string>();
  for (const key of KERNEL_TUNABLES) {
    try {
      values.set(key, readFileSync(`/proc/sys/${key}`, "utf8").trim());
    } catch {
      // not on this kernel
    }
  }
  return values;
}

/** Mount points at or below dir, deepest (latest) first. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .map((p) =>
      p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))),
    )
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.reverse();
}

/** /sys/fs/cgroup itself (cgroup v2) or each v1 hierarchy mounted below it. */
function cgroupRoots(): string[] {
  const base = "/sys/fs/cgroup";
  if (existsSync(join(base, "cgroup.procs"))) return [base];
  return readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(base, e.name));
}

/** rmdir a cgroup and its children, deepest first (their files cannot be removed). */
function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(join(path, entry.name));
  }
  rmdirSync(path);
}

function procs(): { pid: number; ppid: number; argv: string[] }[] {
  const out: { pid: number; ppid: number; argv: string[] }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      out.push({ pid: Number(entry), ppid, argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A pid's cgroup path (the same in every v1 hierarchy for runc's containers), e.g. /k8s.io/ID. */
function cgroupOf(pid: number): string | undefined {
  try {
    const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
    return lines.map((l) => l.split(":")[2] ?? "").find((p) => p.startsWith(`/${CRI_CGROUP}/`));
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function killSync(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  for (let waited = 0; waited < 5_000 && pids.some(isAlive); waited += 50) sleepSync(50);
}

interface NodeState {
  readonly dir: string;
  readonly socket: string;
  readonly kubeletLog: string;
  readonly tunables: ReadonlyMap<string, string>;
  readonly hadLogDirs: readonly string[];
  readonly hadCgroupParent: readonly string[];
  readonly hadVarLibKubelet: boolean;
}

/** The pods this kubelet ever ran (their log dirs are named namespace_name_uid). */
function podUids(state: NodeState): Set<string> {
  const uids = new Set<string>();
  if (existsSync(state.kubeletLog)) {
    const log = readFileSync(state.kubeletLog, "utf8");
    for (const m of log.matchAll(/SyncLoop \(ADD, "api"\): "([^"]*)"/g)) {
      for (const uid of (m[1] ?? "").matchAll(/\(([0-9a-f-]{36})\)/g)) uids.add(uid[1] as string);
    }
  }
  const pods = join(state.dir, "kubelet", "pods");
  if (existsSync(pods)) for (const uid of readdirSync(pods)) uids.add(uid);
  return uids;
}

/** The forceful part of a stop, synchronous so that it can also run in an exit hook: every shim
 * of our containerd and its children (the containers) killed, the cgroups removed, everything
 * under the dir unmounted, the pod logs removed, the kernel tunables restored. Returns what is
 * left; the dir itself stays. */
function reapSync(state: NodeState, uids: ReadonlySet<string>, ids: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const attempt = (what: string, step: () => void): void => {
    try {
      step();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  const all = procs();
  const shims = all
    .filter((p) => p.argv[0]?.includes("containerd-shim") && p.argv.includes(state.socket))
    .map((p) => p.pid);
  const children = all.filter((p) => shims.includes(p.ppid)).map((p) => p.pid);
  const cgroups = new Set([...ids].map((id) => `/${CRI_CGROUP}/${id}`));
  for (const pid of children) {
    const cgroup = cgroupOf(pid);
    if (cgroup) cgroups.add(cgroup);
  }
  // Shim sockets are in /run/containerd/s whatever containerd's state dir: note them first.
  const tasks = join(state.dir, "containerd", "state", "io.containerd.runtime.v2.task", CRI_CGROUP);
  const sockets: string[] = [];
  for (const id of existsSync(tasks) ? readdirSync(tasks) : []) {
    const address = join(tasks, id, "address");
    if (existsSync(address)) {
      sockets.push(
        readFileSync(address, "utf8")
          .trim()
          .replace(/^unix:\/\//, ""),
      );
    }
  }
  killSync(children);
  killSync(shims);
  for (const path of sockets) attempt("shim socket", () => existsSync(path) && unlinkSync(path));
  // Mounts: the containers' overlay rootfs and shm, the pods' volumes, the kubelet's root dir
  // (bind-mounted onto itself, shared).
  for (let round = 0; round < 5 && mountsUnder(state.dir).length > 0; round++) {
    for (const point of mountsUnder(state.dir)) {
      try {
        execFileSync("umount", [point], { stdio: "ignore" });
      } catch {
        try {
          execFileSync("umount", ["-l", point], { stdio: "ignore" });
        } catch {
          // reported below
        }
      }
    }
  }
  const mounted = mountsUnder(state.dir);
  if (mounted.length > 0) problems.push(`still mounted: ${mounted.join(", ")}`);
  for (const root of cgroupRoots()) {
    for (const cgroup of cgroups) attempt("cgroup", () => removeCgroup(join(root, cgroup)));
    const parent = join(root, CRI_CGROUP);
    if (!state.hadCgroupParent.includes(root) && existsSync(parent)) {
      try {
        rmdirSync(parent); // only if empty: another containerd's CRI may use it too
      } catch {
        // in use
      }
    }
  }
  // Pod logs: the kubelet writes them outside its root dir, and removes them only in its GC.
  for (const entry of existsSync(POD_LOGS) ? readdirSync(POD_LOGS) : []) {
    if ([...uids].some((uid) => entry.endsWith(`_${uid}`) || entry === uid)) {
      attempt("pod logs", () => rmSync(join(POD_LOGS, entry), { recursive: true, force: true }));
    }
  }
  for (const entry of existsSync(CONTAINER_LOGS) ? readdirSync(CONTAINER_LOGS) : []) {
    const link = join(CONTAINER_LOGS, entry);
    attempt("container log link", () => {
      const target = readlinkSync(link);
      if (target.startsWith(`${POD_LOGS}/`) && !existsSync(target)) unlinkSync(link);
    });
  }
  for (const logDir of [CONTAINER_LOGS, POD_LOGS]) {
    if (
      !state.hadLogDirs.includes(logDir) &&
      existsSync(logDir) &&
      readdirSync(logDir).length === 0
    ) {
      attempt("log dir", () => rmdirSync(logDir));
    }
  }
  if (!state.hadVarLibKubelet && existsSync("/var/lib/kubelet")) {
    attempt("/var/lib/kubelet", () => rmSync("/var/lib/kubelet", { recursive: true, force: true }));
  }
  for (const [key, value] of state.tunables) {
    attempt(`restore ${key}`, () => {
      if (readFileSync(`/proc/sys/${key}`, "utf8").trim() !== value) {
        writeFileSync(`/proc/sys/${key}`, value);
      }
    });
  }
  return problems;
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
