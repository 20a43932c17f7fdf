// Offline validation of rendered objects against Kubernetes' own schemas (kubernetes-models,
// schemas of Kubernetes 1.27; the Prometheus Operator's for its CRDs): wrong types and missing
// required fields fail, unknown fields do not (the real API server's strict dry run checks those).
import type { KubeObject } from "./helm.js";

type Model = { validate(): void };
type ModelClass = new (data: object) => Model;

async function modelOf(apiVersion: string, kind: string): Promise<ModelClass> {
  const module = apiVersion.startsWith("monitoring.coreos.com/")
    ? `@kubernetes-models/prometheus-operator/${apiVersion}`
    : `kubernetes-models/${apiVersion}`;
  const models = (await import(module)) as Record<string, ModelClass | undefined>;
  const model = models[kind];
  if (!model) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model;
}

/** Throws, naming the object, when it does not meet its schema. */
export async function validateObject(object: KubeObject): Promise<void> {
  const { apiVersion, kind, metadata } = object;
  const Model = await modelOf(apiVersion, kind);
  try {
    new Model(object).validate();
  } catch (err) {
    throw new Error(`${kind} ${metadata.name}: ${(err as Error).message}`);
  }
}
