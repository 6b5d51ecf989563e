/**
 * The sandbox's cluster: the Kubernetes API stand-in (infra/local/kube) with what `kubectl apply -k
 * infra/k8s` would have installed before the relay runs — egret's CRDs from infra/k8s/crds and the
 * `egret-system` namespace from infra/k8s/namespace.yaml — sent through the real client-node.
 *
 * Manifests are read with client-node's `loadAllYaml`, not a plain YAML parser: client-node serialises
 * built-in kinds through its typed models, which map `default` and `x-kubernetes-validations` from the
 * models' `_default` / `xKubernetesValidations`; a plain object loses both on the way to the server.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn, type KubeStandInOptions } from '../kube/startKubeStandIn.js';

/** egret's namespace (infra/k8s/namespace.yaml): the relay, its Lease and the WireGuard key Secrets. */
export const EGRET_SYSTEM_NAMESPACE = 'egret-system';

/** A running cluster stand-in with egret installed, and client-node clients for it. */
export interface SandboxKube {
  readonly standIn: KubeStandIn;
  readonly kc: k8s.KubeConfig;
  readonly objects: k8s.KubernetesObjectApi;
  readonly custom: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;
  readonly coordination: k8s.CoordinationV1Api;
  stop(): Promise<void>;
}

/** Reads every object of a YAML file (several documents allowed) into client-node's models. */
export function readManifests(path: string): k8s.KubernetesObject[] {
  return k8s.loadAllYaml(readFileSync(path, 'utf8')) as k8s.KubernetesObject[];
}

/** Starts the stand-in and installs the CRDs and the namespace from `<repoRoot>/infra/k8s`. */
export async function startSandboxKube(options: {
  readonly repoRoot: string;
  readonly standIn?: KubeStandInOptions;
}): Promise<SandboxKube> {
  const standIn = await startKubeStandIn(options.standIn);
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(standIn.kubeconfigPath);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const crdDir = join(options.repoRoot, 'infra', 'k8s', 'crds');
    const files = readdirSync(crdDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(crdDir, f));
    for (const file of [...files, join(options.repoRoot, 'infra', 'k8s', 'namespace.yaml')])
      for (const object of readManifests(file)) await objects.create(object);
    return {
      standIn,
      kc,
      objects,
      custom: kc.makeApiClient(k8s.CustomObjectsApi),
      core: kc.makeApiClient(k8s.CoreV1Api),
      coordination: kc.makeApiClient(k8s.CoordinationV1Api),
      stop: () => standIn.stop(),
    };
  } catch (e) {
    await standIn.stop();
    throw e;
  }
}
