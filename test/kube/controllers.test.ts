/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { raw, statusOf, until } from './helpers.js';

describe('deletion propagation, namespaces, dry runs', () => {
  let kube: KubeStandIn;
  let core: k8s.CoreV1Api;

  before(async () => {
    kube = await startKubeStandIn({ bookmarkIntervalMs: 0 });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await kube.stop();
  });

  const owned = (name: string, owner: { metadata?: { name?: string; uid?: string } }): k8s.V1ConfigMap => ({
    metadata: {
      name,
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          name: owner.metadata!.name!,
          uid: owner.metadata!.uid!,
          blockOwnerDeletion: true,
        },
      ],
    },
  });

  it('Orphan keeps dependents and strips their owner reference', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'orphan-owner' } },
    });
    await core.createNamespacedConfigMap({ namespace: 'default', body: owned('orphan-dep', owner) });
    await core.deleteNamespacedConfigMap({
      namespace: 'default',
      name: 'orphan-owner',
      propagationPolicy: 'Orphan',
    });
    await until(
      async () =>
        (
          await core.listNamespacedConfigMap({
            namespace: 'default',
            fieldSelector: 'metadata.name=orphan-owner',
          })
        ).items.length === 0,
      'owner removal',
    );
    const dep = await core.readNamespacedConfigMap({ namespace: 'default', name: 'orphan-dep' });
    assert.equal(dep.metadata?.ownerReferences, undefined);
  });

  it('Foreground deletes dependents before the owner; Background deletes the owner first', async () => {
    const fg = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'fg-owner' } },
    });
    await core.createNamespacedConfigMap({ namespace: 'default', body: owned('fg-dep', fg) });
    // (raw: client-node reads a configmap DELETE response as a Status and drops the object)
    const marked = JSON.parse(
      (
        await raw(
          kube,
          'DELETE',
          '/api/v1/namespaces/default/configmaps/fg-owner?propagationPolicy=Foreground',
        )
      ).body,
    );
    assert.deepEqual(marked.metadata.finalizers, ['foregroundDeletion']);
    assert.ok(marked.metadata.deletionTimestamp);
    await until(
      async () =>
        (
          await core.listNamespacedConfigMap({
            namespace: 'default',
            labelSelector: '',
            fieldSelector: 'metadata.name=fg-owner',
          })
        ).items.length === 0,
      'foreground completion',
    );
    await assert.rejects(
      core.readNamespacedConfigMap({ namespace: 'default', name: 'fg-dep' }),
      (e) => statusOf(e).code === 404,
    );

    const bg = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'bg-owner' } },
    });
    await core.createNamespacedConfigMap({ namespace: 'default', body: owned('bg-dep', bg) });
    const status = await core.deleteNamespacedConfigMap({
      namespace: 'default',
      name: 'bg-owner',
    });
    assert.equal(status.status, 'Success');
    await until(
      async () =>
        (await core.listNamespacedConfigMap({ namespace: 'default', fieldSelector: 'metadata.name=bg-dep' }))
          .items.length === 0,
      'background collection',
    );
  });

  it('deleting a namespace terminates it, deletes its contents (waiting on their finalizers), then removes it', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedSecret({
      namespace: 'doomed',
      body: { metadata: { name: 'held', finalizers: ['egret.test/hold'] } },
    });
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'plain' } } });
    const terminating = (await core.deleteNamespace({ name: 'doomed' })) as any;
    assert.equal(terminating.status.phase, 'Terminating');
    await until(
      async () => (await core.listNamespacedConfigMap({ namespace: 'doomed' })).items.length === 0,
      'contents deletion',
    );
    await assert.rejects(
      core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'late' } } }),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 403);
        assert.match(s.message, /because it is being terminated/);
        return true;
      },
    );
    assert.equal(
      (await core.readNamespace({ name: 'doomed' })).status?.phase,
      'Terminating',
      'held by the secret finalizer',
    );
    await core.patchNamespacedSecret({
      namespace: 'doomed',
      name: 'held',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    await until(
      async () => !(await core.listNamespace()).items.some((n) => n.metadata?.name === 'doomed'),
      'namespace removal',
    );
  });

  it('dryRun=All validates without storing; deletecollection deletes what the selector matches', async () => {
    const dry = await core.createNamespacedConfigMap({
      namespace: 'default',
      dryRun: 'All',
      body: { metadata: { name: 'dry' } },
    });
    assert.equal(dry.metadata?.name, 'dry');
    await assert.rejects(
      core.readNamespacedConfigMap({ namespace: 'default', name: 'dry' }),
      (e) => statusOf(e).code === 404,
    );
    for (const [name, team] of [
      ['c1', 'a'],
      ['c2', 'a'],
      ['c3', 'b'],
    ] as const)
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name, labels: { team } } },
      });
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'default', labelSelector: 'team=a' });
    const left = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'team' });
    assert.deepEqual(
      left.items.map((c) => c.metadata?.name),
      ['c3'],
    );
  });

  it('watch-list: sendInitialEvents streams current objects then an initial-events-end BOOKMARK', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    const events: { type: string; object: any }[] = [];
    const controller = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces',
      { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true },
      (type, object) => events.push({ type, object }),
      () => undefined,
    );
    await until(() => events.some((e) => e.type === 'BOOKMARK'), 'the end-of-initial-events bookmark');
    controller.abort();
    const bookmark = events[events.length - 1]!;
    assert.equal(bookmark.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    assert.ok(events.slice(0, -1).every((e) => e.type === 'ADDED'));
    assert.ok(events.some((e) => e.object.metadata.name === 'default'));
  });

  it('requires a bearer token when asked to, answering 401 Unauthorized otherwise', async () => {
    const locked = await startKubeStandIn({ requireToken: true, token: 's3cret' });
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(locked.kubeconfigPath);
      assert.ok((await kc.makeApiClient(k8s.CoreV1Api).listNamespace()).items.length > 0);
      const res = await raw({ ...locked, token: 'wrong' }, 'GET', '/api/v1/namespaces');
      assert.equal(res.status, 401);
      assert.equal(JSON.parse(res.body).reason, 'Unauthorized');
    } finally {
      await locked.stop();
    }
  });
});
