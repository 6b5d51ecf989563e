/* eslint-disable @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Things break, end to end with nothing doubled (issue 4 §5): the control plane (the Functions host)
 * is down for a while and a creation, an edit and a deletion made meanwhile all reach Azure once it is
 * back; a watch that expires (410 Gone after compaction) makes the relay's informer relist, and an
 * edit, a creation and a deletion made while it was disconnected are not missed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  API_GROUP,
  API_VERSION,
  STATIC_GATEWAY_CONFIGURATION_FINALIZER,
} from '../../shared/core/wellKnown.js';
import { isClean, readyOf, startE2eWorld, type E2eWorld } from './support/e2eWorld.js';

const ref = (name: string) => ({
  apiVersion: `${API_GROUP}/${API_VERSION}`,
  kind: 'StaticGatewayConfiguration',
  namespace: 'default',
  name,
});

describe('outages, end to end', () => {
  let w: E2eWorld;
  const uids: Record<string, string> = {};
  before(async () => {
    w = await startE2eWorld();
    uids['to-edit'] = (await w.apply('to-edit', { gatewayNodepoolName: 'gw' })).metadata.uid;
    uids['to-delete'] = (
      await w.apply('to-delete', { gatewayNodepoolName: 'vmgw', provisionPublicIps: false })
    ).metadata.uid;
    await w.ready('to-edit');
    await w.ready('to-delete');
  });
  after(() => w?.stop());

  it('control plane down: a creation, an edit and a deletion made meanwhile all arrive once it is back', async () => {
    const [relay] = w.sandbox.relays;
    const failuresBefore = relay!.logs.filter((l) => /control plane failed/.test(l.message ?? '')).length;
    await w.sandbox.stopControlPlane();

    uids['created'] = (
      await w.apply('created', { gatewayNodepoolName: 'vmgw', provisionPublicIps: false })
    ).metadata.uid;
    await w.apply('to-edit', { gatewayNodepoolName: 'vmgw', provisionPublicIps: false });
    await w.delete('to-delete');

    // The relay keeps doing its cluster-side work, and keeps failing to reach the control plane.
    await w.until('the relay to fail reaching the control plane', () =>
      relay!.logs.some(
        (l, i) => i >= failuresBefore && /forwarding to the control plane failed/.test(l.message ?? ''),
      ),
    );
    const created = await w.until('the key of the new configuration', async () => {
      const o = await w.get('created');
      return o.status?.gatewayServerProfile?.publicKey === undefined ? undefined : o;
    });
    assert.deepEqual(created.metadata.finalizers, [STATIC_GATEWAY_CONFIGURATION_FINALIZER]);
    assert.equal(readyOf(created), undefined, 'no status from the control plane yet');
    const held = await w.get('to-delete');
    assert.ok(held.metadata.deletionTimestamp);
    assert.deepEqual(
      held.metadata.finalizers,
      [STATIC_GATEWAY_CONFIGURATION_FINALIZER],
      'held: Azure not clean',
    );
    assert.equal(Object.keys((await w.footprint(uids['to-delete']!)).ipConfigs).length, 4, 'still in Azure');
    const edited = await w.get('to-edit');
    assert.equal(edited.status.observedGeneration, 1, 'the edit has not been seen by the control plane');

    await w.sandbox.startControlPlane();

    const createdReady = await w.ready('created');
    const fpCreated = await w.footprint(uids['created']!);
    assert.equal(createdReady.status.egressIpPrefix, Object.values(fpCreated.ipConfigs).sort().join(','));
    assert.equal(Object.keys(fpCreated.ipConfigs).length, 4);

    const editedReady = await w.ready('to-edit');
    assert.equal(editedReady.status.observedGeneration, 2);
    const fpEdited = await w.until('the edited configuration moved to the VM pool', async () => {
      const f = await w.footprint(uids['to-edit']!);
      return f.prefix === undefined && Object.keys(f.ipConfigs).every((k) => k.startsWith('nic/'))
        ? f
        : undefined;
    });
    assert.equal(Object.keys(fpEdited.ipConfigs).length, 4);

    await w.until(
      'the deleted configuration to disappear',
      async () => (await w.tryGet('to-delete')) === undefined,
    );
    assert.ok(isClean(await w.footprint(uids['to-delete']!)), 'nothing of it is left in Azure');
  });

  it('an expired watch (410) relists: an edit, a creation and a deletion made while disconnected all arrive', async () => {
    const standIn = w.kube.standIn;
    await w.settle();
    const lists = (): number =>
      standIn.requests().filter((r) => r.verb === 'list' && r.resource === 'staticgatewayconfigurations')
        .length;
    const listsBefore = lists();
    const generation = (await w.get('to-edit')).metadata.generation as number;

    // All in one tick: the relay's watch ends, the changes happen, and the history it would resume from is
    // compacted away, so its reconnect gets 410 Gone and only a relist can show it what happened.
    standIn.dropWatches('end');
    const edit = standIn.get(ref('to-edit'))!;
    standIn.put({ ...edit, spec: { ...(edit['spec'] as object), excludeCidrs: ['192.168.0.0/16'] } });
    standIn.remove(ref('created'));
    standIn.create({
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: 'StaticGatewayConfiguration',
      metadata: { name: 'while-expired', namespace: 'default' },
      spec: { gatewayNodepoolName: 'gw' },
    });
    standIn.compact();

    const fresh = await w.ready('while-expired');
    assert.deepEqual(Object.keys((await w.footprint(fresh.metadata.uid)).ipConfigs).sort(), [
      'aks-gw-vmss/0',
      'aks-gw-vmss/1',
    ]);
    const edited = await w.ready('to-edit');
    assert.equal(edited.status.observedGeneration, generation + 1, 'the edit reached the control plane');
    await w.until(
      'the deleted configuration to disappear',
      async () => (await w.tryGet('created')) === undefined,
    );
    assert.ok(isClean(await w.footprint(uids['created']!)), 'its Azure resources are gone');
    assert.ok(lists() > listsBefore, 'the informer relisted');
  });
});
