// Real Pods on a real node: the API server with the controller-manager and the scheduler
// (kube-apiserver.ts), a kubelet 1.20 on a private containerd (kubelet.ts), and hostNetwork Pods
// of the service's image that their readiness probes make Ready, or hold back; then the chart's
// own worker and `helm test` Pods, behind the test bed's Prosody and Redis.
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageArchive } from "../harness/container.js";
import { CHART, helm, parseObjects, runTool, sets, type KubeObject } from "../harness/helm.js";
import { startProsody, type ProsodyHandle } from "../harness/prosody.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";
import { startKubeApiServer, type KubeApiServer } from "../harness/kube-apiserver.js";
import { startNode, type KubeNode } from "../harness/kubelet.js";
import { freePort } from "../harness/ports.js";
import { makeTempDir, removeTempDir } from "../harness/process.js";

let api: KubeApiServer;
let node: KubeNode;
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir("kubelet-e2e");
  // The service's image: node for the plain Pods, the worker for the chart's.
  const archive = await imageArchive(dir);
  api = await startKubeApiServer({ controllerManager: true, scheduler: true });
  const t0 = Date.now();
  node = await startNode({ apiServer: api, images: [archive] });
  console.log(`kubelet.test: node ${node.nodeName} Ready in ${Date.now() - t0} ms`);
}, 300_000);

afterAll(async () => {
  const t0 = Date.now();
  await node?.stop();
  console.log(`kubelet.test: node stopped in ${Date.now() - t0} ms`);
  await api?.stop();
  if (dir) await removeTempDir(dir);
}, 120_000);

const kubectl = (args: string[], input?: string) =>
  runTool(api.tools.KUBECTL, args, { kubeconfig: api.kubeconfig, input });

async function ok(run: Promise<{ status: number; stdout: string; stderr: string }>) {
  const result = await run;
  if (result.status !== 0) throw new Error(`status ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** Polls until `check` resolves truthy; fails with `what` after timeoutMs. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (let backoff = 50; ; backoff = Math.min(backoff * 1.5, 500)) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() + backoff > deadline)
      throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await delay(backoff);
  }
}

/** A hostNetwork Pod running `node -e script`, Ready once GET / on `port` answers 200. */
function hostPod(name: string, port: number, script: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "web",
          image: node.images[0],
          imagePullPolicy: "Never",
          command: ["node", "-e", script],
          readinessProbe: { httpGet: { path: "/", port }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    },
  };
}

interface PodStatus {
  spec: { nodeName?: string };
  status: {
    hostIP?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { ready: boolean; state: { running?: unknown } }[];
  };
}

async function getPod(name: string): Promise<PodStatus> {
  return JSON.parse(await ok(kubectl(["get", "pod", name, "-o", "json"])));
}

async function apply(object: unknown): Promise<void> {
  // The ServiceAccount admission refuses Pods until the default account's token exists.
  await until(
    "the Pod is accepted",
    async () => (await kubectl(["apply", "-f", "-"], JSON.stringify(object))).status === 0,
    30_000,
  );
}

const answer = async (port: number, path = "/") => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
};

describe("a kubelet 1.20 on containerd registered with the test API server", () => {
  it("is a Ready Node running containerd", async () => {
    const nodeJson = JSON.parse(await ok(kubectl(["get", "node", node.nodeName, "-o", "json"])));
    expect(nodeJson.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
    expect(nodeJson.status.nodeInfo.kubeletVersion).toBe("v1.20.2");
    const ready = nodeJson.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready.status).toBe("True");
  });

  it("runs a hostNetwork Pod whose readiness probe makes it Ready", async () => {
    const port = await freePort();
    const script = `require("http").createServer((q,s)=>s.end("ok")).listen(${port})`;
    await apply(hostPod("web", port, script));
    await ok(kubectl(["wait", "--for=condition=Ready", "pod/web", "--timeout=120s"]));
    const pod = await getPod("web");
    expect(pod.spec.nodeName).toBe(node.nodeName);
    expect(pod.status.podIP).toBe(pod.status.hostIP); // the host's network
    expect(pod.status.containerStatuses?.[0]?.ready).toBe(true);
    expect(await answer(port)).toEqual({ status: 200, body: "ok" });
  }, 150_000);

  it("holds a running Pod not Ready while its readiness probe fails", async () => {
    const port = await freePort();
    // 503 until someone GETs /go: the probe cannot succeed before the test says so.
    const script =
      `let go=false;require("http").createServer((q,s)=>{if(q.url==="/go")go=true;` +
      `s.statusCode=go?200:503;s.end(go?"ok":"wait")}).listen(${port})`;
    await apply(hostPod("gated", port, script));
    await until(
      "the gated server answers",
      async () => (await answer(port)).status === 503,
      120_000,
    );
    // The kubelet reports the container running (its PLEG relists every second)...
    const before = await until(
      "the API server shows the container running",
      async () => {
        const pod = await getPod("gated");
        return pod.status.containerStatuses?.[0]?.state.running ? pod : undefined;
      },
      30_000,
    );
    // ...and not Ready: its probe has had no 200 yet, and cannot have.
    expect(before.status.containerStatuses?.[0]?.ready).toBe(false);
    expect(before.status.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    expect(await answer(port, "/go")).toEqual({ status: 200, body: "ok" });
    await ok(kubectl(["wait", "--for=condition=Ready", "pod/gated", "--timeout=60s"]));
  }, 150_000);
});

describe("the chart's pods on that node", () => {
  const DOMAIN = "rooms.localhost";
  const SECRET = "pods-e2e-secret";
  let redis: RedisHandle;
  let prosody: ProsodyHandle;

  beforeAll(async () => {
    redis = await startRedis();
    prosody = await startProsody({ components: [{ domain: DOMAIN, secret: SECRET }] });
  }, 60_000);

  afterAll(async () => {
    await prosody?.stop();
    await redis?.stop();
  });

  /** The pods reach the host's Prosody and Redis only on the host's network: with no CNI
   * network here a pod has nothing but its loopback. The one change made to the chart's output. */
  const onHostNetwork = (o: KubeObject): KubeObject => {
    const spec =
      o.kind === "Pod"
        ? o["spec"]
        : (o["spec"] as { template?: { spec: unknown } })?.template?.spec;
    if (spec) Object.assign(spec as object, { hostNetwork: true });
    return o;
  };

  it("runs the workers' Deployment Ready, and helm test's Pod finds every worker ready", async () => {
    const httpPort = await freePort();
    const [repository, tag] = [
      node.images[0]!.replace(/:[^:/]+$/, ""),
      node.images[0]!.replace(/^.*:/, ""),
    ];
    if (redis.target.kind !== "single") throw new Error("a single Redis is expected here");
    const rendered = await ok(
      // --validate: rendered for this server's API versions (1.20: no policy/v1).
      helm(
        4,
        [
          "template",
          "site",
          CHART,
          "--validate",
          "-n",
          "default",
          ...sets({
            "config.XMPP_COMPONENT_URL": `xmpp://127.0.0.1:${prosody.componentPort}`,
            "config.XMPP_COMPONENT_DOMAIN": DOMAIN,
            "config.REDIS_URL": redis.target.url,
            "config.REDIS_KEY_PREFIX": uniquePrefix(),
            "config.HTTP_PORT": httpPort,
            "secrets.XMPP_COMPONENT_SECRET": SECRET,
            replicas: 1,
            "image.repository": repository!,
            "image.tag": tag!,
            "image.pullPolicy": "Never",
          }),
        ],
        api.kubeconfig,
      ),
    );
    const objects = parseObjects(rendered).map(onHostNetwork);
    const isTest = (o: KubeObject) => o.metadata.annotations?.["helm.sh/hook"] === "test";
    await apply({ apiVersion: "v1", kind: "List", items: objects.filter((o) => !isTest(o)) });
    await ok(kubectl(["rollout", "status", "deployment/site-fedmuc", "--timeout=120s"]));
    const pods = JSON.parse(
      await ok(kubectl(["get", "pods", "-l", "app.kubernetes.io/component=worker", "-o", "json"])),
    ) as { items: PodStatus[] };
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]!.status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(await answer(httpPort, "/readyz")).toEqual({ status: 200, body: "ready\n" });

    // helm test's Pod, as rendered, asking the workers it resolves: here the host itself.
    const test = objects.find(isTest)!;
    const container = (test["spec"] as { containers: { env: { name: string; value: string }[] }[] })
      .containers[0]!;
    container.env.find((e) => e.name === "WORKERS")!.value = "localhost";
    await apply(test);
    const phase = await until(
      "the test Pod ends",
      async () => {
        const p = (await getPod(test.metadata.name)) as PodStatus & { status: { phase?: string } };
        return ["Succeeded", "Failed"].includes(p.status.phase ?? "") ? p.status.phase : undefined;
      },
      120_000,
    );
    expect(phase).toBe("Succeeded");
  }, 180_000);
});
