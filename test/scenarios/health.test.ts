/**
 * `GET /api/manage/health` through the Functions host over the stand-ins (issue 10 §4): it answered
 * `healthy: true` while a pool's last reconcile had failed. Now a pool whose reconcile keeps failing
 * (ARM answers 500 to every ILB write) makes it 503 `degraded` naming the pool and the error, a message in the
 * poison queue does the same, and a pool that reconciles again clears it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueueClient } from '@azure/storage-queue';
import { RECONCILE_QUEUE } from '../../functions/handlers/reconcileHandler.js';
import { createWorld, type World } from './support/world.js';

const POOL = 'vmss:rg-egret:aks-gw-vmss';

interface HealthBody {
  readonly healthy: boolean;
  readonly status: string;
  readonly failingPools?: readonly { poolKey: string; error: string; generation: number }[];
  readonly poison?: { count: number; atLeast: boolean; poolKeys: string[] };
}

describe('admin health tells the truth', () => {
  let w: World;
  before(async () => {
    w = await createWorld();
  });
  after(() => w.stop());

  it('is 503 degraded while a pool fails, naming it and the error, and healthy once it reconciles', async () => {
    await w.apply('first', { gatewayNodepoolName: 'gw', provisionPublicIps: true });
    await w.waitFor('first', 'Reconciled', { timeoutMs: 90_000 });
    await w.settle();
    const healthy = await w.admin('GET', 'health');
    assert.equal(healthy.status, 200);
    assert.deepEqual(
      { ...(healthy.body as HealthBody), checks: undefined },
      {
        healthy: true,
        status: 'healthy',
        checks: undefined,
        failingPools: [],
        poison: { count: 0, atLeast: false, poolKeys: [] },
      },
    );

    const fault = w.sandbox.arm.admin.addFault({
      method: 'PUT',
      path: '/loadBalancers/kubeegressgateway-ilb$',
      status: 500,
      code: 'InternalServerError',
      message: 'the load balancer is down',
    });
    await w.apply('second', { gatewayNodepoolName: 'gw', provisionPublicIps: true });
    const degraded = await w.until('health degraded', async () => {
      const h = await w.admin('GET', 'health');
      return (h.body as HealthBody).status === 'degraded' ? h : undefined;
    });
    assert.equal(degraded.status, 503);
    const body = degraded.body as HealthBody;
    assert.equal(body.healthy, false);
    assert.deepEqual(
      body.failingPools?.map((p) => p.poolKey),
      [POOL],
    );
    assert.match(body.failingPools?.[0]?.error ?? '', /InternalServerError|the load balancer is down/);

    w.sandbox.arm.admin.removeFault(fault.id);
    await w.admin('POST', `pools/${encodeURIComponent(POOL)}/reconcile`);
    await w.waitFor('second', 'Reconciled', { timeoutMs: 90_000 });
    await w.settle();
    const again = await w.admin('GET', 'health');
    assert.equal(again.status, 200);
    assert.deepEqual((again.body as HealthBody).failingPools, []);
  });

  it('is 503 degraded while a message waits in the poison queue, counting it', async () => {
    const queue = new QueueClient(w.sandbox.azurite.connectionString, RECONCILE_QUEUE);
    await queue.createIfNotExists();
    await queue.sendMessage(Buffer.from(JSON.stringify({ pool: 'no-key-here' })).toString('base64'));
    const degraded = await w.until(
      'health degraded by the poison message',
      async () => {
        const h = await w.admin('GET', 'health');
        return (h.body as HealthBody).poison?.count === 1 ? h : undefined;
      },
      30_000,
    );
    assert.equal(degraded.status, 503);
    assert.equal((degraded.body as HealthBody).status, 'degraded');
    assert.deepEqual((degraded.body as HealthBody).failingPools, []);
  });
});
