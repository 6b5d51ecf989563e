/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * The kustomize base (infra/k8s): every rendered object is valid against the Kubernetes schemas
 * (kubernetes-models) and has no unknown field (a round trip through client-node's typed models drops
 * unknown fields); the relay's Deployment matches the relay's own settings; the base covers every
 * component folder; the stand-in accepts the objects it serves.
 */
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { RELAY_SETTINGS } from '../../agents/relay/relayConfig.js';
import { renderCrds } from '../../infra/k8s/renderCrds.js';
import { STATIC_GATEWAY_CONFIGURATION_FINALIZER } from '../../shared/core/wellKnown.js';
import { EGRET_KEY_NAMESPACE, EGRET_NAMESPACE, startEgretKube, type EgretKube } from './support/egretKube.js';
import { CLUSTER_SCOPED, renderKustomization, type Manifest } from './support/kustomize.js';

const baseDir = fileURLToPath(new URL('../../infra/k8s/', import.meta.url));

async function modelFor(o: Manifest): Promise<new (data: unknown) => { validate(): void }> {
  const module = (await import(`kubernetes-models/${o.apiVersion}`)) as Record<string, unknown>;
  const model = module[o.kind];
  assert.ok(typeof model === 'function', `kubernetes-models has no ${o.apiVersion} ${o.kind}`);
  return model as new (data: unknown) => { validate(): void };
}

/** Differences between `a` and `b` as paths (what client-node's typed models dropped or changed). */
function diff(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (
    typeof a === 'object' &&
    a !== null &&
    typeof b === 'object' &&
    b !== null &&
    !Array.isArray(a) === !Array.isArray(b)
  ) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diff((a as any)[k], (b as any)[k], `${path}.${k}`));
  }
  return [path || '.'];
}

describe('kustomize base', () => {
  let objects: Manifest[];
  before(async () => {
    objects = await renderKustomization(baseDir);
  });

  const find = (kind: string, name: string) => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
    assert.ok(o, `${kind} ${name} is missing from the base`);
    return o as any;
  };

  it('renders the namespace, the CRDs and the relay, each object once', () => {
    const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    assert.equal(new Set(ids).size, ids.length, 'duplicate objects');
    for (const [kind, name] of [
      ['Namespace', EGRET_NAMESPACE],
      ['ServiceAccount', 'egret-relay'],
      ['ClusterRole', 'egret-relay'],
      ['ClusterRoleBinding', 'egret-relay'],
      ['Role', 'egret-relay'],
      ['RoleBinding', 'egret-relay'],
      ['Deployment', 'egret-relay'],
      ['PodDisruptionBudget', 'egret-relay'],
    ] as const) {
      find(kind, name);
    }
    const crds = objects
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => o.metadata.name)
      .sort();
    assert.deepEqual(
      crds,
      renderCrds()
        .map((c) => (c.object as any).metadata.name)
        .sort(),
    );
    assert.ok(
      !objects.some((o) => o.kind === 'Secret'),
      'the shared secret is created by the user, never shipped',
    );
  });

  it('every object is valid against the Kubernetes schemas', async () => {
    for (const o of objects) {
      const Model = await modelFor(o);
      assert.doesNotThrow(() => new Model(o).validate(), `${o.kind} ${o.metadata.name}`);
    }
  });

  it('no object has a field Kubernetes does not know (typed round trip through client-node)', () => {
    for (const o of objects) {
      const back = parse(k8s.dumpYaml(k8s.loadYaml(JSON.stringify(o))));
      assert.deepEqual(diff(o, back), [], `${o.kind} ${o.metadata.name}: unknown or mistyped fields`);
    }
  });

  it('the unknown-field check catches a misspelt field (so it can fail)', () => {
    const d = structuredClone(find('Deployment', 'egret-relay'));
    d.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
    const back = parse(k8s.dumpYaml(k8s.loadYaml(JSON.stringify(d))));
    assert.deepEqual(diff(d, back), [
      '.spec.template.spec.containers.0.securityContext.readOnlyRootFileSystem',
    ]);
  });

  it("every namespaced object is in egret-system, but the key Secrets' Roles in egret-keys", () => {
    for (const o of objects) {
      if (CLUSTER_SCOPED.has(o.kind))
        assert.equal(o.metadata.namespace, undefined, `${o.kind} ${o.metadata.name}`);
      else if (o.metadata.namespace === EGRET_KEY_NAMESPACE)
        assert.ok(['Role', 'RoleBinding'].includes(o.kind), `${o.kind} ${o.metadata.name} in egret-keys`);
      else assert.equal(o.metadata.namespace, EGRET_NAMESPACE, `${o.kind} ${o.metadata.name}`);
    }
    assert.ok(objects.some((o) => o.kind === 'Namespace' && o.metadata.name === EGRET_KEY_NAMESPACE));
  });

  it('the relay Deployment: two hardened replicas with probes and resources', () => {
    const d = find('Deployment', 'egret-relay');
    assert.equal(d.spec.replicas, 2);
    const pod = d.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'egret-relay');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(pod.containers.length, 1);
    const c = pod.containers[0];
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    for (const kind of ['requests', 'limits']) {
      assert.ok(c.resources[kind].cpu && c.resources[kind].memory, `resources.${kind}`);
    }
    const metricsPort = Number(RELAY_SETTINGS.find((s) => s.name === 'METRICS_PORT')!.default);
    assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: metricsPort, protocol: 'TCP' }]);
    assert.deepEqual(
      [c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path, c.startupProbe.httpGet.path],
      ['/healthz', '/readyz', '/healthz'],
    );
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe])
      assert.equal(p.httpGet.port, 'metrics');
    assert.deepEqual(d.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'egret-relay' });
    assert.equal(d.spec.template.metadata.labels['app.kubernetes.io/name'], 'egret-relay');
  });

  it("the relay's environment is its declared settings, every required one provided", () => {
    const c = find('Deployment', 'egret-relay').spec.template.spec.containers[0];
    const env = new Map<string, any>(c.env.map((e: any) => [e.name, e]));
    const declared = new Set(RELAY_SETTINGS.map((s) => s.name));
    for (const name of env.keys()) assert.ok(declared.has(name), `${name} is not a relay setting`);
    for (const s of RELAY_SETTINGS) {
      if (s.default === undefined && s.name !== 'KUBECONFIG')
        assert.ok(env.has(s.name), `${s.name} is required but not set`);
    }
    assert.deepEqual(env.get('EGRET_SHARED_SECRET').valueFrom, {
      secretKeyRef: { name: 'egret-relay-secret', key: 'sharedSecret' },
    });
    assert.equal(env.get('MY_POD_NAMESPACE').valueFrom.fieldRef.fieldPath, 'metadata.namespace');
    assert.equal(env.get('MY_POD_NAME').valueFrom.fieldRef.fieldPath, 'metadata.name');
    // The user creates ConfigMap egret-relay-config (docs/install.md §7); the base must not define it,
    // or `kubectl apply -k` would overwrite the user's values.
    assert.equal(
      objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'egret-relay-config'),
      undefined,
    );
    const configKeys = [...env.values()]
      .map((e) => e.valueFrom?.configMapKeyRef)
      .filter((ref) => ref !== undefined);
    for (const ref of configKeys) assert.equal(ref.name, 'egret-relay-config');
    assert.deepEqual(configKeys.map((ref) => ref.key).sort(), ['clusterId', 'controlPlaneUrl']);
    const shutdown = Number(
      env.get('SHUTDOWN_TIMEOUT_SECONDS')?.value ??
        RELAY_SETTINGS.find((s) => s.name === 'SHUTDOWN_TIMEOUT_SECONDS')!.default,
    );
    assert.ok(
      shutdown < find('Deployment', 'egret-relay').spec.template.spec.terminationGracePeriodSeconds,
      'the lease is released before the kubelet kills',
    );
  });

  it('the Lease the RBAC allows is the one the relay uses by default', () => {
    const role = find('Role', 'egret-relay');
    const named = role.rules.find((r: any) => r.resources.includes('leases') && r.resourceNames);
    assert.deepEqual(named.resourceNames, [RELAY_SETTINGS.find((s) => s.name === 'LEASE_NAME')!.default]);
  });

  it('the base includes every component folder and every CRD file', async () => {
    const base = parse(
      await import('node:fs/promises').then((fs) => fs.readFile(join(baseDir, 'kustomization.yaml'), 'utf8')),
    ) as { resources: string[] };
    for (const entry of await readdir(baseDir)) {
      const path = join(baseDir, entry);
      if (!(await stat(path)).isDirectory() || entry === 'crds') continue;
      const hasKustomization = await stat(join(path, 'kustomization.yaml')).then(
        () => true,
        () => false,
      );
      if (hasKustomization)
        assert.ok(base.resources.includes(entry), `infra/k8s/kustomization.yaml must list ${entry}`);
    }
    for (const crd of renderCrds()) assert.ok(base.resources.includes(`crds/${crd.fileName}`), crd.fileName);
  });
});

describe('the base applied to the API stand-in', () => {
  let world: EgretKube;
  before(async () => {
    world = await startEgretKube();
  });
  after(async () => world.stop());

  it('accepts every object it serves; the CRDs are the ones already installed', async () => {
    const objects = await renderKustomization(baseDir);
    const served = new Set([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'CustomResourceDefinition',
    ]);
    let applied = 0;
    for (const o of objects.filter((x) => served.has(x.kind))) {
      const typed = k8s.loadYaml<k8s.KubernetesObject>(JSON.stringify(o));
      const exists = await world.objects.read(typed as any).then(
        () => true,
        () => false,
      );
      if (exists)
        await world.objects.patch(
          typed,
          undefined,
          undefined,
          'egret-test',
          true,
          k8s.PatchStrategy.ServerSideApply,
        );
      else await world.objects.create(typed);
      applied++;
    }
    assert.equal(applied, objects.filter((x) => served.has(x.kind)).length);
    const d: any = await world.objects.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'egret-relay', namespace: EGRET_NAMESPACE },
    });
    assert.equal(d.spec.replicas, 2);
    // A configuration created after the base is applied is held by nothing yet: the finalizer is the relay's job.
    const sgc: any = await world.custom.createNamespacedCustomObject({
      group: 'egressgateway.kubernetes.azure.com',
      version: 'v1alpha1',
      plural: 'staticgatewayconfigurations',
      namespace: 'default',
      body: {
        apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
        kind: 'StaticGatewayConfiguration',
        metadata: { name: 'x' },
        spec: { gatewayNodepoolName: 'gw' },
      },
    });
    assert.ok(!(sgc.metadata.finalizers ?? []).includes(STATIC_GATEWAY_CONFIGURATION_FINALIZER));
  });
});
