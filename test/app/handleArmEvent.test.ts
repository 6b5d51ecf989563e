/**
 * armEvents at the use-case level: a scale-out event on a managed VMSS enqueues its pool; duplicates
 * (same event id) are dropped; unrelated resources, failed operations and malformed events are ignored
 * without failing; a failure after recording the id forgets it so Event Grid's redelivery is handled.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { handleArmEvent } from '../../shared/app/handleArmEvent.js';
import { resyncPools } from '../../shared/app/resyncPools.js';
import { TransientError } from '../../shared/core/errors.js';
import { GW_RG, SUB } from '../unit/support/worlds.js';
import { CLUSTER, createAppWorld, sgc, vmssSpec } from './support/appWorld.js';

const signal = AbortSignal.timeout(60_000);
const vmssId = `/subscriptions/${SUB}/resourceGroups/${GW_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/gw`;

function event(
  id: string,
  operation: string,
  subject: string,
  eventType = 'Microsoft.Resources.ResourceWriteSuccess',
) {
  return {
    id,
    topic: `/subscriptions/${SUB}/resourceGroups/${GW_RG}`,
    subject,
    eventType,
    eventTime: '2026-01-01T00:00:00Z',
    dataVersion: '2',
    metadataVersion: '1',
    data: { operationName: operation, resourceUri: subject, status: 'Succeeded' },
  };
}

async function managedWorld() {
  const w = createAppWorld('vmss', 2);
  await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
  await w.drain();
  return w;
}

describe('handleArmEvent', () => {
  it('enqueues the pool of a new VMSS instance, once per event id', async () => {
    const w = await managedWorld();
    const e = event(
      'ev-1',
      'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write',
      `${vmssId}/virtualMachines/7`,
    );
    const first = await handleArmEvent(w.deps, e, signal);
    assert.deepEqual(first, { kind: 'enqueued', eventId: 'ev-1', pools: ['vmss:rg-gw:gw'] });
    assert.deepEqual(await handleArmEvent(w.deps, e, signal), { kind: 'duplicate', eventId: 'ev-1' });
    const pool = await w.state.getPool({ poolKey: 'vmss:rg-gw:gw' }, signal);
    assert.ok(pool!.dirtyGeneration > pool!.reconciledGeneration, 'the pool is dirty');
    assert.deepEqual(
      w.queue.takeVisible().map((m) => m.poolKey),
      ['vmss:rg-gw:gw'],
    );
  });

  it('enqueues for a resource id whose queue reason would pass 1024 characters (was a 500)', async () => {
    const w = await managedWorld();
    const long = `${vmssId}/virtualMachines/${'9'.repeat(1500)}`;
    const e = event('ev-long', 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write', long);
    const r = await handleArmEvent(w.deps, e, signal);
    assert.equal(r.kind, 'enqueued');
  });

  it('ignores a failed operation on a managed VMSS (it changed nothing)', async () => {
    const w = await managedWorld();
    const failed = event(
      'ev-f',
      'Microsoft.Compute/virtualMachineScaleSets/write',
      vmssId,
      'Microsoft.Resources.ResourceWriteFailure',
    );
    assert.equal((await handleArmEvent(w.deps, failed, signal)).kind, 'ignored');
    assert.equal(w.queue.size, 0);
  });

  it('ignores resources of other pools and malformed events without throwing', async () => {
    const w = await managedWorld();
    const other = event(
      'ev-2',
      'Microsoft.Compute/virtualMachineScaleSets/write',
      vmssId.replace(/gw$/, 'not-a-gateway'),
    );
    assert.equal((await handleArmEvent(w.deps, other, signal)).kind, 'ignored');
    assert.equal((await handleArmEvent(w.deps, { id: 'x' }, signal)).kind, 'invalid');
    assert.equal(w.queue.size, 0);
  });

  it('forgets the event id when enqueueing fails, so the redelivery is handled', async () => {
    const w = await managedWorld();
    const failing = {
      ...w.deps,
      queue: { enqueue: () => Promise.reject(new TransientError('queue down')) },
    };
    const e = event('ev-3', 'Microsoft.Compute/virtualMachineScaleSets/write', vmssId);
    await assert.rejects(handleArmEvent(failing, e, signal), /queue down/);
    assert.equal((await handleArmEvent(w.deps, e, signal)).kind, 'enqueued');
  });
});

describe('resyncPools', () => {
  it('marks every pool dirty and enqueues it, and sweeps old tombstones', async () => {
    const w = await managedWorld();
    await w.send({ clusterId: CLUSTER, events: [{ type: 'DELETED', object: sgc('gw', vmssSpec()) }] });
    await w.drain();
    assert.equal((await w.status())[0]?.finalized, true);
    w.clock.advance(2 * 60 * 60_000);
    const r = await resyncPools(w.deps, signal);
    assert.deepEqual(r.pools, ['vmss:rg-gw:gw']);
    assert.equal(r.purgedConfigurations, 1);
    assert.deepEqual(await w.status(), []);
    assert.deepEqual(
      w.queue.takeVisible().map((m) => m.reason),
      ['resync'],
    );
  });
});
