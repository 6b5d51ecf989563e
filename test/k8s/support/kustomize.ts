/**
 * A renderer for the kustomize subset egret's base uses — `resources` (files, or folders with their own
 * kustomization.yaml) and `namespace` — so tests render the base without a kustomize binary. Any
 * other kustomization field is refused rather than ignored, so the base cannot quietly start relying on
 * a feature this renderer does not implement. (`kubectl kustomize infra/k8s` gives the same objects.)
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace']);
/** Kinds without a namespace (the ones egret's manifests can contain). */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

/** Renders the kustomization in `dir`. */
export async function renderKustomization(dir: string): Promise<Manifest[]> {
  const k = parse(await readFile(join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, unknown>;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key))
      throw new Error(`${dir}/kustomization.yaml: field ${key} is not supported by the test renderer`);
  }
  const out: Manifest[] = [];
  for (const resource of (k['resources'] as string[] | undefined) ?? []) {
    const path = join(dir, resource);
    if ((await stat(path)).isDirectory()) out.push(...(await renderKustomization(path)));
    else {
      for (const doc of parseAllDocuments(await readFile(path, 'utf8'))) {
        if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
        const value = doc.toJS() as Manifest | null;
        if (value !== null) out.push(value);
      }
    }
  }
  const namespace = k['namespace'] as string | undefined;
  if (namespace !== undefined) {
    for (const o of out) {
      if (o.kind === 'Namespace') o.metadata.name = namespace;
      else if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = namespace;
      if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
        for (const s of (o['subjects'] as { kind: string; namespace?: string }[] | undefined) ?? []) {
          if (s.kind === 'ServiceAccount') s.namespace = namespace;
        }
      }
    }
  }
  return out;
}
