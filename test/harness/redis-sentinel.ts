// Redis behind Sentinel: a master, a replica of it and one sentinel watching them (quorum 1), each
// on a free port in a directory of its own under one temporary directory; ready once the replica
// is in sync and the sentinel knows both. Stopped by pid.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RedisTarget } from "@fedmuc/redis";
import { freePort } from "./ports.js";
import { makeTempDir, removeTempDir, type ManagedProcess } from "./process.js";
import type { RedisHandle } from "./redis.js";
import { ask, launchRedisServer, waitUntil } from "./redis-server.js";

export const SENTINEL_MASTER_NAME = "fedmuc";

export interface RedisSentinelHandle extends RedisHandle {
  readonly target: Extract<RedisTarget, { kind: "sentinel" }>;
  /** Client ports of the master and the replica as started (a failover swaps their roles). */
  readonly masterPort: number;
  readonly replicaPort: number;
  readonly sentinelPort: number;
}

const pairs = (flat: string[]): [string, string][] =>
  flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]!] as [string, string]] : []));

export async function startRedisSentinel(): Promise<RedisSentinelHandle> {
  const root = await makeTempDir("redis-sentinel");
  const procs: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await removeTempDir(root);
  };
  const launch = async (label: string, port: number, args: string[], configFile?: string) => {
    const dir = join(root, label);
    await mkdir(dir);
    const file = configFile && join(dir, "sentinel.conf");
    if (file) await writeFile(file, configFile);
    const proc = await launchRedisServer({
      port,
      dir,
      args,
      configFile: file,
      name: `redis ${label}`,
    });
    procs.push(proc);
  };
  const [masterPort, replicaPort, sentinelPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  try {
    const data = ["--save", "", "--appendonly", "no"];
    // A replica syncs at once, not after the 5 s Redis waits for others to share the transfer.
    await launch("master", masterPort, [...data, "--repl-diskless-sync-delay", "0"]);
    await launch("replica", replicaPort, [...data, "--replicaof", "127.0.0.1", String(masterPort)]);
    await waitUntil(
      "redis replica in sync",
      async () =>
        String(await ask(replicaPort, "INFO", "replication")).includes("master_link_status:up"),
      procs.map((p) => p.logFile),
    );
    const conf = [
      `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 2000`,
      `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
    ];
    await launch("sentinel", sentinelPort, ["--sentinel"], `${conf.join("\n")}\n`);
    // A replica the sentinel may promote: connected, and reporting its link to the master.
    await waitUntil(
      "redis sentinel sees the replica",
      async () => {
        const replicas = (await ask(
          sentinelPort,
          "SENTINEL",
          "REPLICAS",
          SENTINEL_MASTER_NAME,
        )) as string[][];
        const fields = replicas.map((flat) => Object.fromEntries(pairs(flat)));
        return (
          fields.length === 1 &&
          fields[0]!.port === String(replicaPort) &&
          fields[0]!.flags === "slave" &&
          fields[0]!["master-link-status"] === "ok"
        );
      },
      procs.map((p) => p.logFile),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    target: {
      kind: "sentinel",
      sentinels: [{ host: "127.0.0.1", port: sentinelPort }],
      name: SENTINEL_MASTER_NAME,
      auth: { db: 0, tls: false },
    },
    masterPort,
    replicaPort,
    sentinelPort,
    stop,
  };
}
