// Child processes of the harness: output to a log file, stop by pid, wait for a TCP port.
// Every pid and temporary directory is tracked, so an exiting test process leaves nothing behind.
import { spawn, execFile } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { HarnessError } from "./errors.js";

const livePids = new Map<number, string>();
const liveDirs = new Set<string>();

function killLeftovers(): void {
  for (const pid of livePids.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  livePids.clear();
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

process.on("exit", killLeftovers);
// A signal's default action skips 'exit': clean up, then die of the same signal, unless someone
// else (the demo) handles the signal and stops things in its own way.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  const onSignal = (): void => {
    if (process.listenerCount(sig) > 1) return;
    process.removeListener(sig, onSignal);
    killLeftovers();
    process.kill(process.pid, sig);
  };
  process.on(sig, onSignal);
}

/** Kill this pid if the test process exits before it is stopped (for daemons that are not our child). */
export function trackPid(pid: number, name: string): void {
  livePids.set(pid, name);
}

export function untrackPid(pid: number): void {
  livePids.delete(pid);
}

/** A fresh directory under os.tmpdir(), removed by removeTempDir or at process exit. */
export async function makeTempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `fedmuc-${label}-`));
  liveDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  liveDirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** The last lines of a log file, or a note that it cannot be read. */
export function tailFile(path: string, lines = 25): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch (err) {
    return `(cannot read ${path}: ${(err as Error).message})`;
  }
}

/** True while the pid runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited (and was reaped). */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after timeoutMs; resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartProcessOptions {
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export async function startProcess(opts: StartProcessOptions): Promise<ManagedProcess> {
  const fd = openSync(opts.logFile, "a");
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      if (child.pid !== undefined) livePids.delete(child.pid);
      resolve(exitInfo);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
  } catch (err) {
    throw new HarnessError(
      "SPAWN_FAILED",
      `${opts.name}: cannot start ${opts.command}: ${(err as Error).message}` +
        " (run infra/scripts/setup.sh?)",
      { cause: err },
    );
  }
  child.on("error", () => {}); // later errors (none expected: we signal by pid) must not throw
  const pid = child.pid as number;
  if (!exitInfo) livePids.set(pid, opts.name);

  const signal = (sig: NodeJS.Signals): void => {
    if (exitInfo) return;
    try {
      process.kill(pid, sig);
    } catch {
      // exited meanwhile
    }
  };
  const waitExit = (ms: number): Promise<boolean> =>
    Promise.race([exited.then(() => true), delay(ms, false, { ref: false })]);

  return {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    exited,
    hasExited: () => exitInfo !== undefined,
    signal,
    async stop(timeoutMs = 5_000) {
      signal("SIGTERM");
      signal("SIGCONT"); // a paused (SIGSTOPped) process only acts on SIGTERM once continued
      if (await waitExit(timeoutMs)) return;
      signal("SIGKILL");
      if (!(await waitExit(5_000))) {
        throw new HarnessError("STOP_TIMEOUT", `${opts.name} (pid ${pid}) survived SIGKILL`);
      }
    },
  };
}

/** Await a pid's exit by polling (for a daemon that is not our child). */
export async function waitPidGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}

/** Stop a pid that is not our child (a daemon): SIGTERM, poll, SIGKILL after timeoutMs. */
export async function stopPid(pid: number, name: string, timeoutMs = 5_000): Promise<void> {
  for (const sig of ["SIGTERM", "SIGKILL"] as const) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
    if (await waitPidGone(pid, sig === "SIGTERM" ? timeoutMs : 5_000)) {
      untrackPid(pid);
      return;
    }
  }
  throw new HarnessError("STOP_TIMEOUT", `${name} (pid ${pid}) survived SIGKILL`);
}

function tryConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export interface WaitForPortOptions {
  port: number;
  host?: string;
  /** Named in the error message. */
  service: string;
  /** Its tail goes into the error message. */
  logFile: string;
  timeoutMs?: number;
  /** Give up early once this says the server is gone. */
  alive?: () => boolean;
}

/** Poll until the port accepts a TCP connection (backoff 20 ms .. 250 ms, bounded total time). */
export async function waitForPort(opts: WaitForPortOptions): Promise<void> {
  const host = opts.host ?? "127.0.0.1";
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let backoff = 20;
  for (;;) {
    if (await tryConnect(opts.port, host)) return;
    if (opts.alive && !opts.alive()) {
      throw new HarnessError(
        "PROCESS_EXITED",
        `${opts.service} exited before accepting connections on ${host}:${opts.port}; ` +
          `tail of ${opts.logFile}:\n${tailFile(opts.logFile)}`,
      );
    }
    if (Date.now() + backoff > deadline) {
      throw new HarnessError(
        "PORT_TIMEOUT",
        `${opts.service} did not accept connections on ${host}:${opts.port} within ${timeoutMs} ms; ` +
          `tail of ${opts.logFile}:\n${tailFile(opts.logFile)}`,
      );
    }
    await delay(backoff);
    backoff = Math.min(backoff * 1.5, 250);
  }
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Run a command to completion; a non-zero exit throws with its output. */
export function runCommand(
  command: string,
  args: string[],
  opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: opts.timeoutMs ?? 30_000, cwd: opts.cwd, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const output = `${stdout}${stderr}`.trim();
        reject(
          new HarnessError(
            "COMMAND_FAILED",
            `${command} ${args.join(" ")} failed: ${err.message.split("\n")[0]}` +
              (output ? `\n${output}` : ""),
            { cause: err },
          ),
        );
      },
    );
  });
}

export interface StartServerOptions extends StartProcessOptions {
  /** Ready once each of these accepts a TCP connection (host default 127.0.0.1). */
  ports: { port: number; host?: string }[];
}

/** startProcess, then wait for every port; a server that never opens one is stopped. */
export async function startServer(opts: StartServerOptions): Promise<ManagedProcess> {
  const proc = await startProcess(opts);
  try {
    for (const { port, host } of opts.ports) {
      const { name: service, logFile } = opts;
      await waitForPort({ port, host, service, logFile, alive: () => !proc.hasExited() });
    }
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** Runs `start` in a fresh temporary directory, removed again if `start` throws. */
export async function inTempDir<T>(label: string, start: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTempDir(label);
  try {
    return await start(dir);
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
