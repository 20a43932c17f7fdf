// The service's OCI image for the end-to-end suites: the archive (infra/scripts/image.sh), what
// its OCI config says, and a container run by infra/scripts/containerd.sh in its own process
// group, signalled through ctr and cleaned up by pid.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { HarnessError } from "./errors.js";
import {
  isAlive,
  runCommand,
  stopPid,
  tailFile,
  trackPid,
  untrackPid,
  type CommandResult,
} from "./process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The image archive: $FEDMUC_IMAGE when set (infra/scripts/test.sh builds it once before the
 * suites), else built now by image.sh into `dir`: seconds when buildah has the layers cached,
 * about a minute when the sources changed, a minute more on a machine without the base image. */
export async function imageArchive(dir: string): Promise<string> {
  const given = process.env.FEDMUC_IMAGE;
  if (given) {
    if (!existsSync(given)) throw new Error(`FEDMUC_IMAGE=${given}: no such file`);
    return given;
  }
  const out = join(dir, "fedmuc.oci.tar");
  await runCommand("bash", ["infra/scripts/image.sh", out], { cwd: ROOT, timeoutMs: 15 * 60_000 });
  return out;
}

export interface ImageFacts {
  /** The OCI image config's `config` (User, Entrypoint, Env, Labels...). */
  readonly config: Record<string, unknown>;
  readonly archiveBytes: number;
  /** The layers as tar files, uncompressed. */
  readonly unpackedBytes: number;
}

/** Reads the first image of an OCI archive: its config and sizes. */
export async function inspectImage(archive: string): Promise<ImageFacts> {
  const member = async (name: string) => (await runCommand("tar", ["-xOf", archive, name])).stdout;
  const blob = async (digest: string) =>
    JSON.parse(await member(`blobs/${digest.replace(":", "/")}`));
  const index = JSON.parse(await member("index.json"));
  const manifest = await blob(index.manifests[0].digest);
  const image = await blob(manifest.config.digest);
  let unpackedBytes = 0;
  for (const layer of manifest.layers as { digest: string }[]) {
    const name = `blobs/${layer.digest.replace(":", "/")}`;
    const count = 'tar -xOf "$0" "$1" | gzip -dcf | wc -c';
    unpackedBytes += Number((await runCommand("sh", ["-c", count, archive, name])).stdout);
  }
  return { config: image.config, archiveBytes: statSync(archive).size, unpackedBytes };
}

export interface ContainerOptions {
  archive: string;
  /** The container's environment (ctr run --env). */
  env: Record<string, string>;
  /** More `ctr run` options, e.g. --read-only. */
  options?: string[];
  /** Where its logs go. */
  dir: string;
}

export interface Container {
  /** The container's (and its task's) name in containerd. */
  readonly name: string;
  /** containerd's socket, for ctr --address. */
  readonly socket: string;
  /** The container's stdout: the service's log lines. */
  readonly logFile: string;
  /** containerd.sh's own lines and whatever ctr says on stderr. */
  readonly scriptLog: string;
  /** The script's exit status, which is the container's. */
  readonly exited: Promise<number | null>;
  /** The service's log lines so far. */
  lines(): string[];
  /** ctr on this containerd. */
  ctr(...args: string[]): Promise<CommandResult>;
  /** `ctr task kill --signal`: to the container's first process, not to the script. */
  signal(sig: NodeJS.Signals): Promise<void>;
  /** Polls http://127.0.0.1:`port`/readyz until it answers 200 (host networking); fails at the
   * deadline or when the container exits, with the logs' tails. */
  waitReady(port: number, timeoutMs?: number): Promise<void>;
  /** Runs a command in the running container (as its user). */
  exec(...argv: string[]): Promise<CommandResult>;
  /** Ends the container if it still runs (SIGKILL through ctr, then every pid left). */
  stop(): Promise<void>;
}

/** Starts the image under containerd.sh (its own process group) and resolves once its task runs. */
export async function runContainer(opts: ContainerOptions): Promise<Container> {
  const logFile = join(opts.dir, "container.log");
  const scriptLog = join(opts.dir, "containerd.log");
  const [out, err] = [openSync(logFile, "a"), openSync(scriptLog, "a")];
  const env = Object.entries(opts.env).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  const child = spawn(
    "bash",
    ["infra/scripts/containerd.sh", opts.archive, ...(opts.options ?? []), ...env],
    { cwd: ROOT, detached: true, stdio: ["ignore", out, err] },
  );
  closeSync(out);
  closeSync(err);
  const scriptPid = child.pid!;
  trackPid(scriptPid, "containerd.sh");
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => ((done = true), untrackPid(scriptPid), resolve(code))),
  );

  let name = "";
  let socket = "";
  const pids: number[] = []; // the task, its shim, containerd
  const ctr = (...args: string[]) => runCommand("ctr", ["--address", socket, ...args]);
  const stop = async (): Promise<void> => {
    if (!done && name) await ctr("task", "kill", "--signal", "SIGKILL", name).catch(() => {});
    await Promise.race([exited, delay(15_000, undefined, { ref: false })]);
    if (!done) killGroup(scriptPid); // containerd did not end it: the script's whole group
    for (const pid of pids) if (isAlive(pid)) await stopPid(pid, "container");
    for (const pid of pids) untrackPid(pid);
    if (socket) await removeLeftovers(dirname(socket));
  };
  const until = <T>(what: string, find: () => Promise<T | undefined>, timeoutMs: number) =>
    poll(what, find, timeoutMs, () => done, [scriptLog, logFile]);

  try {
    // Once the image is in, the script names the container, the socket and containerd's pid.
    const named = /running \S+ as (\S+) \(socket (\S+), containerd pid (\d+)\)/;
    const m = await until(
      "the image imported",
      async () => readFileSync(scriptLog, "utf8").match(named) ?? undefined,
      120_000,
    );
    [name, socket] = [m[1]!, m[2]!];
    const taskPid = await until(
      "the task running",
      async () => {
        const rows = (await ctr("task", "ls")).stdout.split("\n").map((l) => l.split(/\s+/));
        const row = rows.find(([task, , status]) => task === name && status === "RUNNING");
        return row && Number(row[1]);
      },
      30_000,
    );
    pids.push(taskPid, parentPid(taskPid), Number(m[3]));
    for (const pid of pids) trackPid(pid, "container");
  } catch (e) {
    await stop();
    throw e;
  }
  let execs = 0;
  return {
    name,
    socket,
    logFile,
    scriptLog,
    exited,
    lines: () => readFileSync(logFile, "utf8").split("\n").filter(Boolean),
    ctr,
    async signal(sig) {
      await ctr("task", "kill", "--signal", sig, name);
    },
    async waitReady(port, timeoutMs = 60_000) {
      const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      await until("ready on /readyz", async () => (await ready()) || undefined, timeoutMs);
    },
    exec: (...argv) => ctr("task", "exec", "--exec-id", `exec-${++execs}`, name, ...argv),
    stop,
  };
}

/** Asks `find` until it answers (backoff 20 ms .. 250 ms); gives up at the deadline or once
 * `gone()` says the process is gone, with the tails of `logs`. */
async function poll<T>(
  what: string,
  find: () => Promise<T | undefined>,
  timeoutMs: number,
  gone: () => boolean,
  logs: string[],
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let backoff = 20; ; backoff = Math.min(backoff * 2, 250)) {
    const found = await find().catch(() => undefined);
    if (found !== undefined) return found;
    const tails = logs.map((f) => `tail of ${f}:\n${tailFile(f)}`).join("\n");
    if (gone()) throw new HarnessError("PROCESS_EXITED", `exited before ${what}; ${tails}`);
    if (Date.now() > deadline) {
      throw new HarnessError("PORT_TIMEOUT", `not ${what} within ${timeoutMs} ms; ${tails}`);
    }
    await delay(backoff);
  }
}

function parentPid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // gone meanwhile
  }
}

/** What a script killed before its own clean-up leaves: the mounts in its directory, the directory. */
async function removeLeftovers(dir: string): Promise<void> {
  if (!existsSync(dir)) return; // the script cleaned up
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .filter((path) => path.startsWith(`${dir}/`))
    .reverse();
  for (const path of mounts) await runCommand("umount", ["-l", path]).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
