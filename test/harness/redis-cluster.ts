// A local Redis Cluster: three masters (no replicas) on free ports, each in a directory of its
// own under one temporary directory, joined by `redis-cli --cluster create`; ready once every
// node says cluster_state:ok and knows all three. Stopped by pid.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { RedisTarget } from "@fedmuc/redis";
import { freePort } from "./ports.js";
import { makeTempDir, removeTempDir, runCommand, type ManagedProcess } from "./process.js";
import type { RedisHandle } from "./redis.js";
import { ask, launchRedisServer, waitUntil } from "./redis-server.js";

const MASTERS = 3;

export interface RedisClusterHandle extends RedisHandle {
  readonly target: Extract<RedisTarget, { kind: "cluster" }>;
  /** The nodes' client ports and pids. */
  readonly nodes: readonly { readonly port: number; readonly pid: number }[];
}

async function startNode(root: string): Promise<ManagedProcess & { port: number }> {
  const [port, busPort] = [await freePort(), await freePort()];
  const dir = join(root, String(port));
  await mkdir(dir);
  const args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"];
  args.push("--cluster-port", String(busPort), "--save", "", "--appendonly", "no");
  const proc = await launchRedisServer({ port, dir, args, name: `redis cluster node ${port}` });
  return Object.assign(proc, { port });
}

/** Every node sees the cluster whole: all slots served, all nodes known. */
async function converged(ports: readonly number[]): Promise<boolean> {
  const infos = await Promise.all(
    ports.map(async (port) => String(await ask(port, "CLUSTER", "INFO"))),
  );
  return infos.every(
    (info) => info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${MASTERS}`),
  );
}

export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const root = await makeTempDir("redis-cluster");
  const started = await Promise.allSettled(Array.from({ length: MASTERS }, () => startNode(root)));
  const nodes = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await removeTempDir(root);
  };
  try {
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await runCommand("redis-cli", [
      ...["--cluster", "create", ...addresses],
      ...["--cluster-replicas", "0", "--cluster-yes"],
    ]);
    const ports = nodes.map((n) => n.port);
    await waitUntil(
      "redis cluster",
      () => converged(ports),
      nodes.map((n) => n.logFile),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    target: {
      kind: "cluster",
      nodes: nodes.map((n) => ({ host: "127.0.0.1", port: n.port })),
      auth: { db: 0, tls: false },
    },
    nodes: nodes.map((n) => ({ port: n.port, pid: n.pid })),
    stop,
  };
}
