// What the chart's tests share: the least values an install needs, the worker's container as
// rendered, and the check that values which cannot work are refused with a message.
import { expect, it } from "vitest";
import { CHART, HELM_VERSIONS, helm, only, type KubeObject } from "../harness/helm.js";

export const SECRET = { "secrets.XMPP_COMPONENT_SECRET": "s3cret" };
/** The least an install needs with the defaults: the XMPP server, the domain, Redis, the secret. */
export const MINIMAL = {
  ...SECRET,
  "config.XMPP_COMPONENT_URL": "xmpp://xmpp.example.org:5347",
  "config.XMPP_COMPONENT_DOMAIN": "rooms.example.org",
  "config.REDIS_URL": "redis://redis.example.org:6379/1",
};

export type PodSpec = {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Record<string, unknown>[];
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  [field: string]: unknown;
};
export type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
};
export type Container = {
  name: string;
  image: string;
  env?: EnvVar[];
  securityContext?: Record<string, unknown>;
  command?: string[];
};

/** The worker container of the Deployment. */
export const worker = (objects: readonly KubeObject[]) =>
  (only(objects, "Deployment", "fedmuc")["spec"] as { template: { spec: PodSpec } }).template.spec
    .containers[0]!;
export const envOf = (c: Container) => new Map((c.env ?? []).map((e) => [e.name, e]));

/** What a refusal case is: what it tries, helm's arguments, and the message it must give. */
export type Refusal = [what: string, args: string[], message: RegExp];

/** Each case fails `helm template` with every Helm version, naming what is wrong. */
export function itRefuses(cases: readonly Refusal[]): void {
  it.each(
    HELM_VERSIONS.flatMap((v) =>
      cases.map(([what, args, message]) => [v, what, args, message] as const),
    ),
  )("helm %i: %s", async (version, _what, args, message) => {
    const run = await helm(version, ["template", "fedmuc", CHART, ...args]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });
}
