/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Who may read which Secret, checked on the rendered base and against behaviour.
 *
 * The relay's HMAC key (Secret egret-system/egret-relay-secret) reaches the relay's container through the
 * kubelet. No egret ServiceAccount may read Secrets in egret-system. The WireGuard key Secrets live in
 * egret-keys: the relay writes them there and the gateway daemons read them there, and nothing else.
 * The node agent reads no Secret.
 *
 * The gateway daemon's real cluster port runs on the settings its DaemonSet gives it, against the API
 * stand-in. It sees the key Secret and not the HMAC key. Every request it makes is allowed by its RBAC,
 * and every verb it is granted is used.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadGatewayDaemonConfig } from '../../agents/common/agentConfig.js';
import { createClientNodeGatewayCluster } from '../../agents/common/kube/clientNodeCluster.js';
import { createLogger } from '../../agents/common/logger.js';
import { EGRET_KEY_NAMESPACE, EGRET_NAMESPACE, startEgretKube, type EgretKube } from './support/egretKube.js';
import { renderKustomization, type Manifest } from './support/kustomize.js';
import { accessesOf, grantsFor, matches, type Access, type Grant } from './support/rbac.js';

const baseDir = fileURLToPath(new URL('../../infra/k8s/', import.meta.url));
const ACCOUNTS = ['egret-relay', 'egret-gateway-daemon', 'egret-node-agent'] as const;

const secretAccess = (namespace: string | undefined, verb: string, name?: string): Access => ({
  verb,
  group: '',
  resource: 'secrets',
  namespace,
  name,
  path: `${verb} secrets ${namespace ?? '(cluster)'}/${name ?? ''}`,
});

/** The env a container of a workload gets from literal values and the downward API's namespace. */
function envOf(objects: Manifest[], kind: string, name: string, container: string): Record<string, string> {
  const w = objects.find((o) => o.kind === kind && o.metadata.name === name) as any;
  const c = w.spec.template.spec.containers.find((x: any) => x.name === container);
  const env: Record<string, string> = {};
  for (const e of c.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = w.metadata.namespace;
  }
  return env;
}

describe('Secrets: the HMAC key apart from what the daemons read', () => {
  let objects: Manifest[];
  const grants = new Map<string, Grant[]>();
  before(async () => {
    objects = await renderKustomization(baseDir);
    for (const sa of ACCOUNTS) grants.set(sa, grantsFor(objects, sa, EGRET_NAMESPACE));
  });

  const may = (sa: string, a: Access): boolean => grants.get(sa)!.some((g) => matches(g, a));

  it("no egret ServiceAccount may read, list or change any Secret in egret-system, the HMAC key's namespace", () => {
    for (const sa of ACCOUNTS)
      for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'])
        for (const name of ['egret-relay-secret', undefined])
          assert.ok(
            !may(sa, secretAccess(EGRET_NAMESPACE, verb, name)),
            `${sa} may ${verb} ${name ?? 'secrets'}`,
          );
    // Nor cluster-wide (a ClusterRoleBinding would reach every namespace).
    for (const sa of ACCOUNTS)
      assert.ok(
        !grants.get(sa)!.some((g) => g.namespace === undefined && g.rule.resources.includes('secrets')),
        sa,
      );
  });

  it('the relay gets its HMAC key from the kubelet, in its own namespace', () => {
    const relay = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'egret-relay') as any;
    assert.equal(relay.metadata.namespace, EGRET_NAMESPACE);
    const env = relay.spec.template.spec.containers[0].env.find((e: any) => e.name === 'EGRET_SHARED_SECRET');
    assert.deepEqual(env.valueFrom.secretKeyRef, { name: 'egret-relay-secret', key: 'sharedSecret' });
  });

  it('key Secrets: the relay writes them and the gateway daemon reads them, in egret-keys only; the node agent reads none', () => {
    assert.equal(
      envOf(objects, 'Deployment', 'egret-relay', 'relay').KEY_SECRET_NAMESPACE,
      EGRET_KEY_NAMESPACE,
    );
    assert.equal(
      envOf(objects, 'DaemonSet', 'egret-gateway-daemon', 'gateway-daemon').KEY_SECRET_NAMESPACE,
      EGRET_KEY_NAMESPACE,
    );
    for (const verb of ['get', 'list', 'create', 'update', 'delete'])
      assert.ok(may('egret-relay', secretAccess(EGRET_KEY_NAMESPACE, verb, 'sgw-x')), `relay ${verb}`);
    for (const verb of ['list', 'watch'])
      assert.ok(
        may('egret-gateway-daemon', secretAccess(EGRET_KEY_NAMESPACE, verb, 'sgw-x')),
        `daemon ${verb}`,
      );
    for (const verb of ['get', 'create', 'update', 'patch', 'delete'])
      assert.ok(
        !may('egret-gateway-daemon', secretAccess(EGRET_KEY_NAMESPACE, verb, 'sgw-x')),
        `daemon ${verb}`,
      );
    assert.ok(!grants.get('egret-node-agent')!.some((g) => g.rule.resources.includes('secrets')));
    for (const sa of ACCOUNTS)
      assert.ok(!may(sa, secretAccess('default', 'get', 'x')), `${sa} reads Secrets of workloads`);
  });
});

describe("the gateway daemon's cluster port, on its DaemonSet's settings, against its RBAC", () => {
  let kube: EgretKube;
  let accesses: Access[] = [];
  let grants: Grant[];
  let seen: string[] = [];

  before(async () => {
    const objects = await renderKustomization(baseDir);
    grants = grantsFor(objects, 'egret-gateway-daemon', EGRET_NAMESPACE);
    kube = await startEgretKube();
    kube.kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'egret-relay-secret', namespace: EGRET_NAMESPACE },
      data: { sharedSecret: Buffer.from('h'.repeat(40)).toString('base64') },
    });
    kube.kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sgw-1', namespace: EGRET_KEY_NAMESPACE },
      data: { PrivateKey: Buffer.from('k').toString('base64') },
    });
    kube.kube.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'gw-0' } });
    const config = loadGatewayDaemonConfig({
      ...envOf(objects, 'DaemonSet', 'egret-gateway-daemon', 'gateway-daemon'),
      MY_NODE_NAME: 'gw-0',
    });
    kube.kube.clearRequests();
    const cluster = createClientNodeGatewayCluster({
      kubeConfig: kube.kc,
      namespace: config.keySecretNamespace,
      nodeName: config.nodeName,
      log: createLogger('gateway-daemon', { write: () => undefined }),
    });
    const signal = AbortSignal.timeout(20_000);
    await cluster.start(signal);
    seen = [...cluster.snapshot().secrets.keys()];
    const status = { readyGatewayConfigurations: [], readyPeerConfigurations: [] };
    await cluster.upsertGatewayStatus({ namespace: config.namespace, name: config.nodeName }, status, signal);
    await cluster.upsertGatewayStatus(
      { namespace: config.namespace, name: config.nodeName },
      {
        ...status,
        readyGatewayConfigurations: [{ staticGatewayConfiguration: 'default/a', interfaceName: 'wg-6000' }],
      },
      signal,
    );
    await cluster.stop();
    accesses = accessesOf(kube.kube.requests());
  });
  after(async () => kube?.stop());

  it('sees the key Secret and not the HMAC key', () => {
    assert.deepEqual(seen, [`${EGRET_KEY_NAMESPACE}/sgw-1`]);
  });

  it('makes only requests its RBAC allows, and uses every verb it is granted', () => {
    const denied = accesses.filter((a) => !grants.some((g) => matches(g, a)));
    assert.deepEqual(
      denied.map((a) => `${a.verb} ${a.group}/${a.resource} ${a.namespace ?? '(cluster)'} — ${a.path}`),
      [],
    );
    const unused: string[] = [];
    for (const g of grants)
      for (const verb of g.rule.verbs)
        if (!accesses.some((a) => matches(g, a, verb) && a.verb === verb))
          unused.push(`${g.from}: ${verb} ${g.rule.resources.join(',')}`);
    assert.deepEqual(unused, []);
  });
});
