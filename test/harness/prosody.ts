// A private Prosody on free ports in its own temporary directory, stopped by pid.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { prosodyConfig, S2S_PORT } from "./prosody-config.js";
import { inTempDir, removeTempDir, runCommand, startServer } from "./process.js";
import type { ComponentSpec, UserSpec, XmppServerHandle } from "./xmpp-server.js";

export interface ProsodyOptions {
  /** User domain (default "localhost"). */
  domain?: string;
  components: ComponentSpec[];
  users?: UserSpec[];
  /** Domain of Prosody's own MUC, for comparison. */
  mucComponent?: string;
  /** Adds the virtual host anon.<domain> with SASL ANONYMOUS. */
  anonymousHost?: boolean;
  /**
   * One site of a federated pair: S2S (dialback, no TLS) on s2sAddress port 5269, names resolved
   * through resolvConf, bind-mounted over /etc/resolv.conf in a private mount namespace.
   */
  site?: { s2sAddress: string; resolvConf: string };
}

export interface ProsodyHandle extends XmppServerHandle {
  readonly configFile: string;
  /** SIGSTOP: the server stops reading and answering, its sockets stay open. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

export function startProsody(opts: ProsodyOptions): Promise<ProsodyHandle> {
  const domain = opts.domain ?? "localhost";
  return inTempDir("prosody", async (dir) => {
    const configFile = join(dir, "prosody.cfg.lua");
    const logFile = join(dir, "prosody.log"); // Prosody's log and its stdout/stderr
    const [c2sPort, componentPort] = [await freePort(), await freePort()];
    await writeFile(
      configFile,
      prosodyConfig({ ...opts, dir, logFile, domain, c2sPort, componentPort }),
    );
    const register = async (user: string, password: string, host = domain): Promise<void> => {
      await runCommand("prosodyctl", ["--config", configFile, "register", user, host, password]);
    };
    // Accounts go straight to the data directory, so they can be created before the start.
    for (const u of opts.users ?? []) await register(u.user, u.password);

    const proc = await startServer({
      name: "prosody",
      cwd: dir,
      logFile,
      ...command(["prosody", "--config", configFile, "-F"], opts.site?.resolvConf),
      ports: [
        { port: c2sPort },
        // Prosody opens the component port only when a component is configured.
        ...(opts.components.length > 0 ? [{ port: componentPort }] : []),
        ...(opts.site ? [{ port: S2S_PORT, host: opts.site.s2sAddress }] : []),
      ],
    });
    return {
      dir,
      domain,
      c2sPort,
      componentPort,
      pid: proc.pid,
      logFile,
      configFile,
      register,
      pause: () => proc.signal("SIGSTOP"),
      resume: () => proc.signal("SIGCONT"),
      async stop() {
        await proc.stop();
        await removeTempDir(dir);
      },
    };
  });
}

// With a resolv.conf of its own: bound over /etc/resolv.conf in a private mount namespace, so the
// machine's stays untouched. unshare and sh exec, so the pid is Prosody's own.
function command(argv: string[], resolvConf: string | undefined) {
  if (!resolvConf) return { command: argv[0]!, args: argv.slice(1) };
  const script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"';
  return { command: "unshare", args: ["--mount", "sh", "-c", script, resolvConf, ...argv] };
}
