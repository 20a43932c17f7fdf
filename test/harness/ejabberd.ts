// A private ejabberd node on free ports in its own temporary directory. ejabberdctl runs it as
// the `ejabberd` user, so the directory is made traversable and owned by that user.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ejabberdConfig, type DomainBalancing } from "./ejabberd-config.js";
import { HarnessError } from "./errors.js";
import { freePort } from "./ports.js";
import {
  isAlive,
  makeTempDir,
  removeTempDir,
  runCommand,
  stopPid,
  trackPid,
  untrackPid,
  waitForPort,
  waitPidGone,
  type CommandResult,
} from "./process.js";
import type { ComponentSpec, UserSpec, XmppServerHandle } from "./xmpp-server.js";

export interface EjabberdOptions {
  /** User domain (default "localhost"). */
  domain?: string;
  components: ComponentSpec[];
  domainBalancing?: DomainBalancing;
  users?: UserSpec[];
  /** Domain of ejabberd's own MUC, for comparison. */
  mucComponent?: string;
  /** Adds the virtual host anon.<domain> with SASL ANONYMOUS. */
  anonymousHost?: boolean;
  /** A configuration of its own (e.g. the chart's) in place of the harness's, given the ports. */
  config?: (ports: { c2sPort: number; componentPort: number }) => string;
}

export interface EjabberdHandle extends XmppServerHandle {
  /** Erlang node name, unique per instance. */
  readonly node: string;
  /** Run `ejabberdctl <instance options> ...args`. */
  ctl(...args: string[]): Promise<CommandResult>;
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

// The ejabberd user must be able to enter every directory above its own.
async function assertTraversable(dir: string): Promise<void> {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) {
      throw new HarnessError(
        "NOT_TRAVERSABLE",
        `startEjabberd: ${d} is not traversable by the ejabberd user (chmod o+x, or set TMPDIR)`,
      );
    }
    if (d === dirname(d)) return;
  }
}

export async function startEjabberd(opts: EjabberdOptions): Promise<EjabberdHandle> {
  if (process.getuid?.() !== 0) {
    throw new HarnessError("NOT_ROOT", "startEjabberd: ejabberdctl must run as root here");
  }
  const domain = opts.domain ?? "localhost";
  const dir = await makeTempDir("ejabberd");
  const logs = join(dir, "logs");
  const logFile = join(logs, "ejabberd.log");
  const pidFile = join(dir, "ejabberd.pid");
  const node = `fedmuc${randomBytes(4).toString("hex")}@localhost`;
  const ctlFile = join(dir, "ejabberdctl.cfg");
  const ctlArgs = ["--ctl-config", ctlFile, "--logs", logs, "--spool", join(dir, "db")];
  ctlArgs.push("--node", node);
  const ctl = (...args: string[]): Promise<CommandResult> =>
    runCommand("ejabberdctl", [...ctlArgs, ...args], { cwd: dir });
  let pid: number | undefined;

  try {
    await assertTraversable(dir);
    const [c2sPort, componentPort] = [await freePort(), await freePort()];
    const configFile = join(dir, "ejabberd.yml");
    const config = opts.config
      ? opts.config({ c2sPort, componentPort })
      : ejabberdConfig({ ...opts, domain, c2sPort, componentPort });
    await writeFile(configFile, config);
    // ejabberdctl starts erl through su, whose PAM session lowers the open-file limit to 1024:
    // too few for a room of 1000 clients. erl goes through a wrapper that raises it again.
    const erl = join(dir, "erl");
    await writeFile(erl, `#!/bin/sh\nulimit -n "$(ulimit -Hn)"\nexec /usr/bin/erl "$@"\n`, {
      mode: 0o755,
    });
    await writeFile(
      ctlFile,
      `EJABBERD_CONFIG_PATH=${configFile}\nEJABBERD_PID_PATH=${pidFile}\nERL=${erl}\n`,
    );
    await mkdir(logs);
    await mkdir(join(dir, "db"));
    await chmod(dir, 0o755); // mkdtemp makes 0700, which the ejabberd user cannot enter
    await runCommand("chown", ["-R", "ejabberd:ejabberd", dir]);

    await ctl("start"); // returns at once; the node boots detached
    const alive = (): boolean => pid === undefined || isAlive(pid);
    const ports = opts.components.length > 0 ? [c2sPort, componentPort] : [c2sPort];
    for (const port of ports) {
      await waitForPort({ port, service: `ejabberd ${node}`, logFile, alive, timeoutMs: 30_000 });
      pid ??= await readPid(pidFile);
      if (pid !== undefined) trackPid(pid, `ejabberd ${node}`);
    }
    if (pid === undefined) {
      throw new HarnessError("PROCESS_EXITED", `ejabberd ${node}: no pid in ${pidFile}`);
    }
    const register = async (user: string, password: string, host = domain): Promise<void> => {
      await ctl("register", user, host, password);
    };
    for (const u of opts.users ?? []) await register(u.user, u.password);

    const beam = pid;
    return {
      dir,
      domain,
      c2sPort,
      componentPort,
      pid: beam,
      logFile,
      node,
      ctl,
      register,
      async stop() {
        await stopNode(ctl, beam, node);
        await removeTempDir(dir);
      },
    };
  } catch (err) {
    if (pid !== undefined) await stopNode(ctl, pid, node);
    await removeTempDir(dir);
    throw err;
  }
}

// `ejabberdctl stop`, then wait for the beam process itself (instead of `ejabberdctl stopped`,
// which polls every 2 s and kills the shared epmd). SIGTERM/SIGKILL if it lingers.
async function stopNode(
  ctl: (...args: string[]) => Promise<CommandResult>,
  pid: number,
  node: string,
): Promise<void> {
  if (isAlive(pid)) {
    try {
      await ctl("stop");
    } catch {
      // the node may be half-started or already stopping; the pid decides
    }
  }
  if (!(await waitPidGone(pid, 15_000))) await stopPid(pid, `ejabberd ${node}`);
  untrackPid(pid);
}
