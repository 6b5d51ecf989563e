import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { statusOf } from './helpers.js';

describe('core/v1 and coordination/v1 through client-node', () => {
  let kube: KubeStandIn;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;

  before(async () => {
    kube = await startKubeStandIn();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await kube.stop();
  });

  it('serves the default namespaces over HTTPS with the kubeconfig CA', async () => {
    assert.match(kube.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const list = await core.listNamespace();
    assert.deepEqual(
      list.items.map((n) => n.metadata?.name),
      ['default', 'kube-node-lease', 'kube-public', 'kube-system'],
    );
    assert.equal(list.items[0]?.status?.phase, 'Active');
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
  });

  it('creates a pod with server-set metadata and lists it by field selector spec.nodeName', async () => {
    const created = await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { generateName: 'web-', labels: { app: 'web' } },
        spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx' }] },
      },
    });
    const name = created.metadata!.name!;
    assert.match(name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.match(created.metadata!.uid!, /^[0-9a-f-]{36}$/);
    assert.ok(created.metadata!.creationTimestamp instanceof Date);
    assert.equal(created.status?.phase, 'Pending');
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'other', labels: { app: 'db' } },
        spec: { nodeName: 'node-2', containers: [{ name: 'c', image: 'x' }] },
      },
    });

    const onNode1 = await core.listNamespacedPod({
      namespace: 'default',
      fieldSelector: 'spec.nodeName=node-1',
    });
    assert.deepEqual(
      onNode1.items.map((p) => p.metadata?.name),
      [name],
    );
    const all = await core.listPodForAllNamespaces({ labelSelector: 'app in (web,db)' });
    assert.equal(all.items.length, 2);
    const notWeb = await core.listPodForAllNamespaces({ labelSelector: 'app,app!=web' });
    assert.deepEqual(
      notWeb.items.map((p) => p.metadata?.name),
      ['other'],
    );
  });

  it('answers 404 NotFound, 409 AlreadyExists and 404 for a missing namespace as Status objects', async () => {
    await assert.rejects(core.readNamespacedConfigMap({ namespace: 'default', name: 'nope' }), (e) => {
      const s = statusOf(e);
      assert.equal(s.code, 404);
      assert.equal(s.reason, 'NotFound');
      assert.equal(s.message, 'configmaps "nope" not found');
      return true;
    });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cm' }, data: { a: '1' } },
    });
    await assert.rejects(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cm' } } }),
      (e) => {
        assert.equal(statusOf(e).reason, 'AlreadyExists');
        return true;
      },
    );
    await assert.rejects(
      core.createNamespacedConfigMap({ namespace: 'missing', body: { metadata: { name: 'cm' } } }),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 404);
        assert.equal(s.message, 'namespaces "missing" not found');
        return true;
      },
    );
  });

  it('rejects an update carrying a stale resourceVersion with 409 Conflict', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'rv' }, data: { v: '1' } },
    });
    const updated = await core.replaceNamespacedConfigMap({
      namespace: 'default',
      name: 'rv',
      body: { ...cm, data: { v: '2' } },
    });
    assert.ok(Number(updated.metadata!.resourceVersion) > Number(cm.metadata!.resourceVersion));
    await assert.rejects(
      core.replaceNamespacedConfigMap({
        namespace: 'default',
        name: 'rv',
        body: { ...cm, data: { v: '3' } },
      }),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 409);
        assert.equal(s.reason, 'Conflict');
        assert.match(s.message, /the object has been modified/);
        return true;
      },
    );
    const now = await core.readNamespacedConfigMap({ namespace: 'default', name: 'rv' });
    assert.deepEqual(now.data, { v: '2' });
  });

  it('turns Secret stringData into base64 data', async () => {
    const s = await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'wg' }, stringData: { PrivateKey: 'abc' } },
    });
    assert.deepEqual(s.data, { PrivateKey: Buffer.from('abc').toString('base64') });
    assert.equal(s.type, 'Opaque');
  });

  it('applies merge and JSON patches, and answers a failed JSON patch test with 422', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'p', labels: { a: '1' } }, data: { x: '1', y: '2' } },
    });
    const merged = await core.patchNamespacedConfigMap(
      {
        namespace: 'default',
        name: 'p',
        body: { data: { x: null, z: '3' }, metadata: { labels: { b: '2' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.data, { y: '2', z: '3' });
    assert.deepEqual(merged.metadata?.labels, { a: '1', b: '2' });
    const jp = await core.patchNamespacedConfigMap({
      namespace: 'default',
      name: 'p',
      body: [
        { op: 'test', path: '/data/y', value: '2' },
        { op: 'replace', path: '/data/y', value: '20' },
      ],
    });
    assert.equal(jp.data?.['y'], '20');
    await assert.rejects(
      core.patchNamespacedConfigMap({
        namespace: 'default',
        name: 'p',
        body: [
          { op: 'test', path: '/data/y', value: '2' },
          { op: 'remove', path: '/data/y' },
        ],
      }),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 422);
        assert.match(s.details.causes[0].message, /testing value \/data\/y failed/);
        return true;
      },
    );
    assert.equal((await core.readNamespacedConfigMap({ namespace: 'default', name: 'p' })).data?.['y'], '20');
  });

  it('deletes a pod and returns it; deletes a configmap and returns a Status', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'gone' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    });
    const deleted = await core.deleteNamespacedPod({ namespace: 'default', name: 'gone' });
    assert.equal(deleted.metadata?.name, 'gone');
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'gone' } } });
    const status = await core.deleteNamespacedConfigMap({
      namespace: 'default',
      name: 'gone',
    });
    assert.equal(status.status, 'Success');
    await assert.rejects(core.readNamespacedConfigMap({ namespace: 'default', name: 'gone' }));
  });

  it("pages a list with limit/continue consistently at the first page's resourceVersion", async () => {
    await core.createNamespace({ body: { metadata: { name: 'paging' } } });
    for (const n of ['a', 'b', 'c', 'd', 'e'])
      await core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: n } } });
    const page1 = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 2 });
    assert.deepEqual(
      page1.items.map((i) => i.metadata?.name),
      ['a', 'b'],
    );
    assert.equal(page1.metadata?.remainingItemCount, 3);
    // changes after the first page do not show in later pages of the same list
    await core.deleteNamespacedConfigMap({ namespace: 'paging', name: 'c' });
    await core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: 'f' } } });
    const page2 = await core.listNamespacedConfigMap({
      namespace: 'paging',
      limit: 2,
      _continue: page1.metadata._continue!,
    });
    assert.deepEqual(
      page2.items.map((i) => i.metadata?.name),
      ['c', 'd'],
    );
    const page3 = await core.listNamespacedConfigMap({
      namespace: 'paging',
      limit: 2,
      _continue: page2.metadata!._continue!,
    });
    assert.deepEqual(
      page3.items.map((i) => i.metadata?.name),
      ['e'],
    );
    assert.equal(page3.metadata?._continue, undefined);
    kube.compact();
    await assert.rejects(
      core.listNamespacedConfigMap({ namespace: 'paging', limit: 2, _continue: page1.metadata._continue! }),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 410);
        assert.equal(s.reason, 'Expired');
        return true;
      },
    );
  });

  it('creates and updates a Lease with optimistic concurrency (leader election)', async () => {
    const coord = kc.makeApiClient(k8s.CoordinationV1Api);
    const lease = await coord.createNamespacedLease({
      namespace: 'kube-system',
      body: {
        metadata: { name: 'egret-relay' },
        spec: {
          holderIdentity: 'a',
          leaseDurationSeconds: 15,
          acquireTime: new k8s.V1MicroTime('2026-01-01T00:00:00.000000Z'),
          renewTime: new k8s.V1MicroTime('2026-01-01T00:00:00.000000Z'),
        },
      },
    });
    assert.equal(lease.spec?.holderIdentity, 'a');
    const renewed = await coord.replaceNamespacedLease({
      namespace: 'kube-system',
      name: 'egret-relay',
      body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } },
    });
    assert.equal(renewed.spec?.holderIdentity, 'b');
    // the loser of a race still holds the old resourceVersion
    await assert.rejects(
      coord.replaceNamespacedLease({
        namespace: 'kube-system',
        name: 'egret-relay',
        body: { ...lease, spec: { ...lease.spec, holderIdentity: 'c' } },
      }),
      (e) => {
        assert.equal(statusOf(e).code, 409);
        return true;
      },
    );
    const read = await coord.readNamespacedLease({ namespace: 'kube-system', name: 'egret-relay' });
    assert.equal(read.spec?.holderIdentity, 'b');
    // client-node 1.4.0 hands MicroTime fields back as the server's string
    assert.equal(String(read.spec?.renewTime), '2026-01-01T00:00:00.000000Z');
  });
});
