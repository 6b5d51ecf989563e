/**
 * docs/install.md against the in-cluster manifests: the kustomize base the guide applies
 * (`kubectl apply -k infra/k8s`) defines the namespace, workloads and CRDs the guide names, and the relay
 * reads the ConfigMap and Secret keys the guide creates. The base must not define that ConfigMap or
 * Secret itself: the guide creates them with the user's values, and `kubectl apply -k` would overwrite
 * them. (Kustomize cannot run here; the base is rendered by the tests' kustomize-subset renderer.)
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderKustomization, type Manifest } from '../k8s/support/kustomize.js';
import { repoRoot } from './support/azureTemplate.js';

type K8sObject = Manifest;

const install = readFileSync(join(repoRoot, 'docs/install.md'), 'utf8');
const base = join(repoRoot, 'infra/k8s');

describe('docs/install.md against infra/k8s', () => {
  let objects: K8sObject[] = [];
  before(async () => {
    objects = await renderKustomization(base);
  });
  const find = (kind: string, name: string): K8sObject | undefined =>
    objects.find((o) => o.kind === kind && o.metadata?.name === name);

  it('applies a kustomize base at infra/k8s, as `kubectl apply -k infra/k8s` in the guide', () => {
    assert.ok(install.includes('kubectl apply -k infra/k8s'));
    assert.ok(existsSync(join(base, 'kustomization.yaml')), 'infra/k8s/kustomization.yaml');
    assert.ok(objects.length > 0);
  });

  it('defines the namespace, the relay Deployment and both DaemonSets the guide waits for', () => {
    const ns = [...install.matchAll(/kubectl (?:-n|create namespace) (egret-[\w-]+)/g)].map((m) => m[1]!);
    assert.ok(ns.length > 0);
    for (const n of new Set(ns)) assert.ok(find('Namespace', n), `Namespace ${n}`);
    for (const [, kind, name] of install.matchAll(/rollout status (deployment|daemonset)\/([\w-]+)/g)) {
      const o = find(kind === 'deployment' ? 'Deployment' : 'DaemonSet', name!);
      assert.ok(o, `${kind}/${name!}`);
      assert.equal(o.metadata?.namespace, 'egret-system', `${kind}/${name!} namespace`);
    }
  });

  it('ships the CRDs under infra/k8s/crds, including StaticGatewayConfiguration', () => {
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata?.name);
    assert.ok(
      crds.includes('staticgatewayconfigurations.egressgateway.kubernetes.azure.com'),
      crds.join(', '),
    );
  });

  it('lets the relay read exactly the ConfigMap and Secret keys the guide creates, without defining them', () => {
    const configMap = /create configmap ([\w-]+)((?:\s+--from-literal=\w+=\S+)+)/.exec(
      install.replace(/\\\n\s*/g, ' '),
    );
    const secret = /create secret generic ([\w-]+)((?:\s+--from-literal=\w+=\S+)+)/.exec(
      install.replace(/\\\n\s*/g, ' '),
    );
    assert.ok(configMap && secret, 'the guide creates a ConfigMap and a Secret');
    const keys = (s: string): string[] => [...s.matchAll(/--from-literal=(\w+)=/g)].map((m) => m[1]!).sort();
    const relay = JSON.stringify(find('Deployment', 'egret-relay') ?? {});
    for (const [name, ks] of [
      [configMap[1]!, keys(configMap[2]!)],
      [secret[1]!, keys(secret[2]!)],
    ] as const) {
      assert.ok(relay.includes(`"${name}"`), `the relay does not reference ${name}`);
      for (const k of ks)
        assert.ok(
          relay.includes(`"${k}"`) || relay.includes(`"envFrom"`),
          `the relay does not read ${name}/${k}`,
        );
      assert.equal(find('ConfigMap', name) ?? find('Secret', name), undefined, `the base defines ${name}`);
    }
  });
});
