/**
 * Test facade: the Kubernetes API stand-in with egret's CRDs installed from the checked-in YAML
 * (through the real client-node, as `kubectl apply` would) and the `egret-system` namespace.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import {
  startKubeStandIn,
  type KubeStandIn,
  type KubeStandInOptions,
} from '../../../infra/local/kube/startKubeStandIn.js';

/** egret's namespace in the kustomize base. */
export const EGRET_NAMESPACE = 'egret-system';
/** Where the base keeps the WireGuard key Secrets (the relay's and the daemons' KEY_SECRET_NAMESPACE). */
export const EGRET_KEY_NAMESPACE = 'egret-keys';

const crdDir = fileURLToPath(new URL('../../../infra/k8s/crds/', import.meta.url));

/** A running stand-in with egret's CRDs. */
export interface EgretKube {
  readonly kube: KubeStandIn;
  readonly kc: k8s.KubeConfig;
  readonly objects: k8s.KubernetesObjectApi;
  readonly custom: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;
  stop(): Promise<void>;
}

/**
 * The checked-in CRD objects, read with client-node's `loadYaml` (NOT a plain YAML parser): client-node
 * serialises built-in kinds through its typed models, which map `default` and `x-kubernetes-validations`
 * from `_default` / `xKubernetesValidations` — a plain object loses both on the way to the server.
 */
export async function readCrdFiles(): Promise<k8s.KubernetesObject[]> {
  const files = (await readdir(crdDir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (f) => k8s.loadYaml<k8s.KubernetesObject>(await readFile(`${crdDir}${f}`, 'utf8'))),
  );
}

/** Starts the stand-in and installs egret's CRDs and namespace. */
export async function startEgretKube(options: KubeStandInOptions = {}): Promise<EgretKube> {
  const kube = await startKubeStandIn(options);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const crd of await readCrdFiles()) await objects.create(crd);
  await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: EGRET_NAMESPACE } });
  await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: EGRET_KEY_NAMESPACE } });
  return {
    kube,
    kc,
    objects,
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    core: kc.makeApiClient(k8s.CoreV1Api),
    stop: () => kube.stop(),
  };
}
