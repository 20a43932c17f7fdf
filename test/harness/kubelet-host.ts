// What a kubelet 1.20 and runc leave on the host outside the node's own dir, and how it is put
// back (test/harness/kubelet.ts): the shims and their containers, mounts under the dir, the
// containers' cgroups, the pod logs in /var/log/pods, the kernel tunables the kubelet sets.
// Synchronous, so that an exit hook can run it too.
import { execFileSync } from "node:child_process";
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
import { join } from "node:path";
import { isAlive } from "./process.js";

export const POD_LOGS = "/var/log/pods"; // hard-coded in the kubelet 1.20
export const CONTAINER_LOGS = "/var/log/containers";
export const CRI_CGROUP = "k8s.io"; // containerd's CRI namespace, its containers' cgroup parent
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

export function readTunables(): Map<string, string> {
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
export function mountsUnder(dir: string): string[] {
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
export function cgroupRoots(): string[] {
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

export interface NodeState {
  readonly dir: string;
  readonly socket: string;
  readonly kubeletLog: string;
  readonly tunables: ReadonlyMap<string, string>;
  readonly hadLogDirs: readonly string[];
  readonly hadCgroupParent: readonly string[];
  readonly hadVarLibKubelet: boolean;
}

/** The pods this kubelet ever ran (their log dirs are named namespace_name_uid). */
export function podUids(state: NodeState): Set<string> {
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
export function reapSync(
  state: NodeState,
  uids: ReadonlySet<string>,
  ids: ReadonlySet<string>,
): string[] {
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
