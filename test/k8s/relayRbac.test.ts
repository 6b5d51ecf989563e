/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Least privilege, checked against behaviour: a relay runs a full scenario against the API stand-in
 * (create, key repair, orphan sweep, gateway node, deletion, shutdown) while the test changes the
 * cluster only through the stand-in's in-process hooks, so every HTTP request in the stand-in's log is
 * the relay's. Each request must be allowed by the RBAC rules the base binds to ServiceAccount
 * egret-relay, and every granted verb must have been used.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { API_GROUP, API_VERSION } from '../../shared/core/wellKnown.js';
import { startRelayWorld, SYNC_INTERVAL_MS, type RelayWorld } from '../relay/support/relayWorld.js';
import { EGRET_KEY_NAMESPACE, EGRET_NAMESPACE } from './support/egretKube.js';
import { renderKustomization } from './support/kustomize.js';
import { accessesOf, grantsFor, matches, type Access, type Grant } from './support/rbac.js';

const baseDir = fileURLToPath(new URL('../../infra/k8s/', import.meta.url));

describe('relay RBAC, checked against what the relay does', () => {
  let world: RelayWorld;
  let accesses: Access[] = [];
  let grants: Grant[];

  before(async () => {
    grants = grantsFor(await renderKustomization(baseDir), 'egret-relay', EGRET_NAMESPACE);
    world = await startRelayWorld();
    const { kube } = world.kube;
    const sgcRef = (name: string) => ({
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: 'StaticGatewayConfiguration',
      namespace: 'default',
      name,
    });
    const secretRef = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: EGRET_KEY_NAMESPACE,
      name,
    });
    kube.clearRequests();

    const relay = await world.startReplica('relay-rbac');
    await world.eventually(() => relay.relay.isLeader(), 'leadership');
    const created = kube.create({
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: 'StaticGatewayConfiguration',
      metadata: { name: 'a', namespace: 'default' },
      spec: { gatewayNodepoolName: 'gw' },
    });
    const uid = (created['metadata'] as any).uid as string;
    await world.eventually(
      () => (kube.get(sgcRef('a')) as any)?.status?.conditions?.[0]?.status === 'True',
      'a Ready',
    );
    // The same problem twice: the second InvalidSpec Event is a series PATCH of the first.
    const setSpec = (spec: object) => kube.put({ ...(kube.get(sgcRef('a')) as any), spec });
    const readyReason = (): unknown => (kube.get(sgcRef('a')) as any)?.status?.conditions?.[0]?.reason;
    for (const [spec, reason] of [
      [{ gatewayNodepoolName: 'gw', excludeCidrs: ['nope'] }, 'InvalidSpec'],
      [{ gatewayNodepoolName: 'gw' }, 'Reconciled'],
      [{ gatewayNodepoolName: 'gw', excludeCidrs: ['nope'] }, 'InvalidSpec'],
    ] as const) {
      setSpec(spec);
      await world.eventually(() => readyReason() === reason, `a ${reason}`);
    }
    await world.eventually(
      () =>
        kube
          .list({ apiVersion: 'v1', kind: 'Event', namespace: 'default' })
          .some((e: any) => e.series?.count === 2),
      'an Event series',
    );
    kube.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'gw-0', labels: { 'kubernetes.azure.com/mode': 'gateway' } },
    });
    // A damaged key Secret and an orphaned one: the periodic SYNC re-checks keys and sweeps orphans.
    const secret = kube.get(secretRef(`sgw-${uid}`))! as any;
    kube.put({ ...secret, data: { ...secret.data, PublicKey: Buffer.from('damaged').toString('base64') } });
    kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'sgw-orphan',
        namespace: EGRET_KEY_NAMESPACE,
        labels: { 'egressgateway.kubernetes.azure.com/owning-gateway-config-namespace': 'default' },
      },
      data: {},
    });
    world.clock.advance(SYNC_INTERVAL_MS);
    await world.eventually(() => kube.get(secretRef('sgw-orphan')) === undefined, 'the orphan swept');
    await world.eventually(
      () =>
        Buffer.from((kube.get(secretRef(`sgw-${uid}`)) as any).data.PublicKey, 'base64').toString() !==
        'damaged',
      'the key repaired',
    );
    kube.remove(sgcRef('a'));
    await world.eventually(() => kube.get(sgcRef('a')) === undefined, 'a deleted');
    await relay.stop();

    accesses = accessesOf(kube.requests());
  });
  after(async () => world.stop());

  it('the scenario exercised the relay (sanity)', () => {
    const kinds = new Set(accesses.map((a) => `${a.verb} ${a.resource}`));
    for (const k of [
      'watch staticgatewayconfigurations',
      'patch staticgatewayconfigurations/status',
      'create secrets',
      'update leases',
      'create events',
      'patch events',
    ]) {
      assert.ok(kinds.has(k), k);
    }
  });

  it('every request the relay made is allowed by its RBAC', () => {
    const denied = accesses.filter((a) => !grants.some((g) => matches(g, a)));
    assert.deepEqual(
      denied.map(
        (a) => `${a.verb} ${a.group}/${a.resource} ${a.namespace ?? '(cluster)'} ${a.name ?? ''} — ${a.path}`,
      ),
      [],
    );
  });

  it('every granted verb was used (nothing superfluous)', () => {
    const unused: string[] = [];
    for (const g of grants) {
      for (const verb of g.rule.verbs) {
        if (!accesses.some((a) => matches(g, a, verb) && a.verb === verb))
          unused.push(`${g.from}: ${verb} ${g.rule.resources.join(',')}`);
      }
    }
    assert.deepEqual(unused, []);
  });
});
