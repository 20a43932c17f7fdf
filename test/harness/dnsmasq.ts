// A private DNS server (dnsmasq) on one loopback address, port 53, answering fixed A records, and
// a resolv.conf naming it, for servers started under a private mount of /etc/resolv.conf.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inTempDir, removeTempDir, startServer } from "./process.js";

export interface DnsmasqOptions {
  /** Loopback address to listen on (port 53), e.g. 127.44.7.53. */
  address: string;
  /** Domain -> IPv4 address; each domain's subdomains get the same answer. */
  records: Record<string, string>;
}

export interface DnsmasqHandle {
  readonly address: string;
  readonly pid: number;
  /** A resolv.conf that names this server only. */
  readonly resolvConf: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

export function startDnsmasq(opts: DnsmasqOptions): Promise<DnsmasqHandle> {
  return inTempDir("dnsmasq", async (dir) => {
    const logFile = join(dir, "dnsmasq.log");
    const resolvConf = join(dir, "resolv.conf");
    await writeFile(resolvConf, `nameserver ${opts.address}\n`);
    const proc = await startServer({
      name: "dnsmasq",
      command: "dnsmasq",
      args: [
        "--keep-in-foreground",
        "--conf-file=/dev/null", // no system configuration
        "--pid-file", // none
        "--log-facility=-", // stderr, into logFile
        "--no-resolv", // answers only what it is told, never forwards
        "--no-hosts",
        "--bind-interfaces",
        `--listen-address=${opts.address}`,
        "--port=53",
        ...Object.entries(opts.records).map(([domain, ip]) => `--address=/${domain}/${ip}`),
      ],
      cwd: dir,
      logFile,
      ports: [{ port: 53, host: opts.address }],
    });
    return {
      address: opts.address,
      pid: proc.pid,
      resolvConf,
      logFile,
      async stop() {
        await proc.stop();
        await removeTempDir(dir);
      },
    };
  });
}
