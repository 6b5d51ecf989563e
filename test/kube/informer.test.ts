/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { GROUP, SGC, sgc, sgcCrd, VERSION } from './crdFixtures.js';
import { raw, until } from './helpers.js';

interface Seen {
  readonly type: 'add' | 'update' | 'delete';
  readonly name: string;
  readonly rv: string;
}

describe('client-node informers and watches against the stand-in', () => {
  let kube: KubeStandIn;
  let kc: k8s.KubeConfig;
  let co: k8s.CustomObjectsApi;
  let ns: string;
  let n = 0;

  before(async () => {
    kube = await startKubeStandIn({ bookmarkIntervalMs: 0 });
    kube.create(sgcCrd);
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    co = kc.makeApiClient(k8s.CustomObjectsApi);
  });
  after(async () => {
    await kube.stop();
  });
  beforeEach(() => {
    ns = `inf-${++n}`;
    kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    kube.clearRequests();
  });

  function startInformer(): {
    informer: k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>;
    seen: Seen[];
    errors: unknown[];
  } {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${ns}/staticgatewayconfigurations`;
    const informer = k8s.makeInformer(
      kc,
      path,
      () =>
        co.listNamespacedCustomObject({ ...SGC, namespace: ns }) as Promise<
          k8s.KubernetesListObject<k8s.KubernetesObject>
        >,
    );
    const seen: Seen[] = [];
    const errors: unknown[] = [];
    const record = (type: Seen['type']) => (o: k8s.KubernetesObject) =>
      seen.push({ type, name: o.metadata!.name!, rv: o.metadata!.resourceVersion! });
    informer.on('add', record('add'));
    informer.on('update', record('update'));
    informer.on('delete', record('delete'));
    informer.on('error', (e) => errors.push(e));
    return { informer, seen, errors };
  }

  const names = (seen: readonly Seen[], type: Seen['type']): string[] =>
    seen
      .filter((s) => s.type === type)
      .map((s) => s.name)
      .sort();
  const watchesOpen = (): Promise<void> => until(() => kube.openWatches() > 0, 'the informer watch');

  it('sees adds, updates and deletes', async () => {
    kube.create(sgc('pre', { gatewayNodepoolName: 'a' }, { namespace: ns }));
    const { informer, seen, errors } = startInformer();
    await informer.start();
    await watchesOpen();
    await co.createNamespacedCustomObject({
      ...SGC,
      namespace: ns,
      body: sgc('live', { gatewayNodepoolName: 'a' }),
    });
    await co.patchNamespacedCustomObject(
      { ...SGC, namespace: ns, name: 'pre', body: { spec: { gatewayNodepoolName: 'b' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await co.deleteNamespacedCustomObject({ ...SGC, namespace: ns, name: 'live' });
    await until(() => seen.some((s) => s.type === 'delete'), 'the delete event');
    assert.deepEqual(
      seen.map((s) => `${s.type}:${s.name}`),
      ['add:pre', 'add:live', 'update:pre', 'delete:live'],
    );
    assert.deepEqual(
      informer.list().map((o) => o.metadata?.name),
      ['pre'],
    );
    assert.deepEqual(errors, []);
    await informer.stop();
  });

  it('reconnects from the last resourceVersion after a dropped watch, without relisting', async () => {
    const { informer, seen, errors } = startInformer();
    await informer.start();
    await watchesOpen();
    await co.createNamespacedCustomObject({
      ...SGC,
      namespace: ns,
      body: sgc('one', { gatewayNodepoolName: 'a' }),
    });
    await until(() => seen.length === 1, 'the first add');
    const lastRv = seen[0]!.rv;
    assert.equal(kube.dropWatches('end'), 1);
    kube.create(sgc('two', { gatewayNodepoolName: 'a' }, { namespace: ns }));
    await until(() => seen.length === 2, 'the add made while the watch was down');
    const verbs = kube
      .requests()
      .filter((r) => r.resource === 'staticgatewayconfigurations')
      .map(
        (r) =>
          `${r.verb}${r.verb === 'watch' ? `@${new URLSearchParams(r.query).get('resourceVersion')}` : ''}`,
      );
    assert.equal(verbs.filter((v) => v === 'list').length, 1, 'no relist');
    assert.ok(verbs.includes(`watch@${lastRv}`), `rewatched from ${lastRv}: ${verbs.join(' ')}`);
    assert.deepEqual(errors, []);
    await informer.stop();
  });

  it('relists after 410 Gone and misses nothing: adds, updates and synthesised deletes', async () => {
    kube.create(sgc('stays', { gatewayNodepoolName: 'a' }, { namespace: ns }));
    kube.create(sgc('changes', { gatewayNodepoolName: 'a' }, { namespace: ns }));
    kube.create(sgc('goes', { gatewayNodepoolName: 'a' }, { namespace: ns }));
    const { informer, seen, errors } = startInformer();
    await informer.start();
    await watchesOpen();
    assert.equal(seen.length, 3);
    // Everything below runs in one tick: the client cannot reconnect in between.
    kube.dropWatches('end');
    kube.create(sgc('arrives', { gatewayNodepoolName: 'a' }, { namespace: ns }));
    kube.put(sgc('changes', { gatewayNodepoolName: 'z' }, { namespace: ns }));
    kube.remove({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'StaticGatewayConfiguration',
      namespace: ns,
      name: 'goes',
    });
    kube.compact();
    await until(() => seen.some((s) => s.type === 'delete'), 'the synthesised delete');
    await until(
      () => names(seen, 'add').includes('arrives') && names(seen, 'update').includes('changes'),
      'the relist',
    );
    assert.deepEqual(names(seen, 'delete'), ['goes']);
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
      ['arrives', 'changes', 'stays'],
    );
    const gone = kube
      .requests()
      .filter((r) => r.verb === 'list' && r.resource === 'staticgatewayconfigurations');
    assert.equal(gone.length, 2, 'listed once at start and once after the 410');
    assert.deepEqual(errors, []);
    await informer.stop();
  });

  it('reports an error (and stops) when the connection is reset; start() resumes from the last RV', async () => {
    const { informer, seen, errors } = startInformer();
    await informer.start();
    await watchesOpen();
    kube.dropWatches('destroy');
    await until(() => errors.length === 1, 'the informer error');
    kube.create(sgc('while-down', { gatewayNodepoolName: 'a' }, { namespace: ns }));
    await informer.start();
    await until(() => seen.length === 1, 'the add after restart');
    assert.equal(seen[0]!.name, 'while-down');
    await informer.stop();
  });
});

describe('raw watch protocol', () => {
  let kube: KubeStandIn;
  let kc: k8s.KubeConfig;

  before(async () => {
    kube = await startKubeStandIn({ bookmarkIntervalMs: 0 });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
  });
  after(async () => {
    await kube.stop();
  });

  function watch(
    path: string,
    params: Record<string, string | number | boolean>,
  ): { events: { type: string; object: any }[]; done: Promise<unknown> } {
    const events: { type: string; object: any }[] = [];
    let resolveDone!: (e: unknown) => void;
    const done = new Promise((r) => (resolveDone = r));
    void new k8s.Watch(kc).watch(
      path,
      params,
      (type, object) => events.push({ type, object }),
      (err) => resolveDone(err),
    );
    return { events, done };
  }

  it('sends an ERROR event with a 410 Expired Status for a compacted resourceVersion', async () => {
    const cm = kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'old', namespace: 'default' },
    });
    kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'newer', namespace: 'default' } });
    kube.compact();
    const w = watch('/api/v1/namespaces/default/configmaps', {
      resourceVersion: (cm as any).metadata.resourceVersion,
    });
    await w.done;
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0]!.type, 'ERROR');
    assert.deepEqual(
      { code: w.events[0]!.object.code, reason: w.events[0]!.object.reason, kind: w.events[0]!.object.kind },
      { code: 410, reason: 'Expired', kind: 'Status' },
    );
  });

  it('replays changes after a resourceVersion and filters by label selector, with transitions', async () => {
    const start = kube.resourceVersion();
    kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'default', labels: { team: 'x' } },
    });
    kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'b', namespace: 'default', labels: { team: 'y' } },
    });
    const w = watch('/api/v1/namespaces/default/configmaps', {
      resourceVersion: start,
      labelSelector: 'team=x',
    });
    await until(() => w.events.length === 1, 'the replayed add');
    assert.equal(w.events[0]!.object.metadata.name, 'a');
    assert.equal(w.events[0]!.object.kind, 'ConfigMap');
    kube.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'default', labels: { team: 'y' } },
    });
    kube.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'b', namespace: 'default', labels: { team: 'x' } },
    });
    await until(() => w.events.length === 3, 'the selector transitions');
    assert.deepEqual(
      w.events.slice(1).map((e) => `${e.type}:${e.object.metadata.name}`),
      ['DELETED:a', 'ADDED:b'],
    );
    kube.dropWatches();
    await w.done;
  });

  it('sends BOOKMARK events when allowed, carrying the latest resourceVersion', async () => {
    const w = watch('/api/v1/namespaces/default/configmaps', {
      resourceVersion: kube.resourceVersion(),
      allowWatchBookmarks: true,
    });
    await until(() => kube.openWatches() === 1, 'the watch');
    kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'elsewhere', namespace: 'default' } });
    kube.sendBookmarks();
    await until(() => w.events.length === 1, 'the bookmark');
    assert.equal(w.events[0]!.type, 'BOOKMARK');
    assert.equal(w.events[0]!.object.metadata.resourceVersion, String(kube.resourceVersion()));
    kube.dropWatches();
    await w.done;
  });

  it('ends a watch after timeoutSeconds and sends initial ADDED events when no resourceVersion is given', async () => {
    const w = watch('/api/v1/namespaces', { timeoutSeconds: 1 });
    const err = await w.done;
    assert.equal(err, null, 'a clean end, not an error');
    assert.deepEqual(
      w.events.map((e) => `${e.type}:${e.object.metadata.name}`),
      ['ADDED:default', 'ADDED:kube-node-lease', 'ADDED:kube-public', 'ADDED:kube-system'],
    );
  });

  it('serves injected faults as Status objects and logs requests', async () => {
    const remove = kube.injectFault({
      match: { verb: 'list', resource: 'pods' },
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
    });
    const first = await raw(kube, 'GET', '/api/v1/namespaces/default/pods');
    assert.equal(first.status, 429);
    assert.equal(first.headers['retry-after'], '1');
    assert.equal(JSON.parse(first.body).reason, 'TooManyRequests');
    assert.equal((await raw(kube, 'GET', '/api/v1/namespaces/default/pods')).status, 200);
    remove();
    const log = kube.requests().filter((r) => r.resource === 'pods');
    assert.deepEqual(
      log.map((r) => [r.verb, r.status]),
      [
        ['list', 429],
        ['list', 200],
      ],
    );
  });
});
