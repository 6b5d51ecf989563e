/* eslint-disable @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Watches that break (stand-in + control-plane CONTRACT DOUBLE, real client-node informers): an expired
 * watch (410 Gone) makes the informer relist and nothing changed meanwhile is missed — edits, creations
 * and deletions; a reset connection is restarted with backoff. Gateway nodes joining or leaving trigger
 * a full SYNC.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_GROUP, API_VERSION } from '../../shared/core/wellKnown.js';
import { readyOf, startRelayWorld, type RelayWorld, type Replica } from './support/relayWorld.js';

const ref = (name: string) => ({
  apiVersion: `${API_GROUP}/${API_VERSION}`,
  kind: 'StaticGatewayConfiguration',
  namespace: 'default',
  name,
});

describe('relay watches (stand-in + control-plane contract double)', () => {
  let world: RelayWorld;
  let relay: Replica;
  const uids: Record<string, string> = {};
  before(async () => {
    world = await startRelayWorld();
    relay = await world.startReplica('relay-a');
    for (const name of ['w-edit', 'w-gone'])
      uids[name] = (await world.apply(name, { gatewayNodepoolName: 'gwpool' })).metadata.uid;
    await world.eventually(async () => {
      for (const name of Object.keys(uids))
        if (readyOf(await world.get(name))?.status !== 'True') return false;
      return true;
    }, 'both Ready');
  });
  after(async () => world.stop());

  const forwarded = () => world.controlPlane.eventsRequests().flatMap((r) => r.body!.events);

  it('an expired watch (410) relists and misses nothing: edit, creation and deletion made meanwhile', async () => {
    const { kube } = world.kube;
    const listsBefore = kube
      .requests()
      .filter((r) => r.verb === 'list' && r.resource === 'staticgatewayconfigurations').length;
    // All in one tick, so none of it can reach the relay through the old watch.
    kube.dropWatches('end');
    const edit = kube.get(ref('w-edit'))!;
    kube.put({ ...edit, spec: { ...(edit['spec'] as object), excludeCidrs: ['192.168.0.0/16'] } });
    const gone = kube.get(ref('w-gone'))!;
    kube.put({ ...gone, metadata: { ...(gone['metadata'] as object), finalizers: [] } });
    kube.remove(ref('w-gone'));
    kube.create({
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: 'StaticGatewayConfiguration',
      metadata: { name: 'w-new', namespace: 'default' },
      spec: { gatewayNodepoolName: 'gwpool' },
    });
    kube.compact();

    const created = await world.eventually(async () => {
      const o = await world.tryGet('w-new');
      return readyOf(o)?.status === 'True' ? o : undefined;
    }, 'w-new Ready');
    assert.ok(created.status.gatewayServerProfile.publicKey);
    await world.eventually(
      () =>
        forwarded().some(
          (e) =>
            e.object.metadata.name === 'w-edit' &&
            (e.object.spec.excludeCidrs ?? []).includes('192.168.0.0/16'),
        ),
      'the edit forwarded',
    );
    await world.eventually(
      () => forwarded().some((e) => e.type === 'DELETED' && e.object.metadata.uid === uids['w-gone']),
      'the deletion forwarded (synthesised by the relist)',
    );
    await world.eventually(
      async () => !(await world.keySecrets()).some((s) => s.metadata!.name === `sgw-${uids['w-gone']}`),
      'the key Secret of w-gone deleted',
    );
    const lists = kube
      .requests()
      .filter((r) => r.verb === 'list' && r.resource === 'staticgatewayconfigurations').length;
    assert.ok(lists > listsBefore, 'the informer relisted');
    assert.ok(
      kube
        .requests()
        .some((r) => r.verb === 'watch' && r.resource === 'staticgatewayconfigurations' && r.status === 200),
      'and watches again',
    );
  });

  it('a watch that fails is restarted with backoff and catches up', async () => {
    const { kube } = world.kube;
    // The next two watch requests fail: client-node's informer reports the error and stops; the relay restarts it.
    kube.injectFault({
      match: { verb: 'watch', resource: 'staticgatewayconfigurations' },
      status: 500,
      times: 2,
    });
    kube.dropWatches('end');
    const edit = kube.get(ref('w-edit'))!;
    kube.put({ ...edit, spec: { ...(edit['spec'] as object), excludeCidrs: ['172.16.0.0/12'] } });
    await world.eventually(
      async () => (await world.get('w-edit')).status?.observedGeneration === 3,
      'w-edit at generation 3',
    );
    const warnings = relay.logs.filter(
      (l) => l['message'] === 'watch failed; restarting' && l['watch'] === 'staticgatewayconfigurations',
    );
    assert.ok(warnings.length >= 2, 'both failures were seen and handled');
    assert.ok(
      kube
        .requests()
        .filter((r) => r.verb === 'watch' && r.resource === 'staticgatewayconfigurations' && r.status === 500)
        .length >= 2,
    );
  });

  it('a gateway node joining or leaving triggers a full SYNC; other nodes do not', async () => {
    const syncs = () => world.controlPlane.eventsRequests().filter((r) => r.body!.fullSync === true).length;
    const before = syncs();
    await world.kube.objects.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'worker-1', labels: { 'kubernetes.azure.com/mode': 'user' } },
    });
    const polls = world.controlPlane.received.length;
    await world.eventually(() => world.controlPlane.received.length > polls + 3, 'a few status polls');
    assert.equal(syncs(), before, 'an ordinary node does not trigger a SYNC');

    await world.kube.objects.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'gw-1',
        labels: { 'kubeegressgateway.azure.com/mode': 'true', 'kubernetes.azure.com/mode': 'gateway' },
      },
    });
    await world.eventually(() => syncs() > before, 'a SYNC after a gateway node joined', 0);
    const afterJoin = syncs();

    await world.kube.objects.delete({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'gw-1' } });
    await world.eventually(() => syncs() > afterJoin, 'a SYNC after the gateway node left', 0);
    assert.ok(
      relay.logs.some(
        (l) => l['message'] === 'gateway node joined; sending a full SYNC' && l['node'] === 'gw-1',
      ),
    );
  });
});
