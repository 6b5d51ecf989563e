/**
 * Scenarios (issue §7) where the world misbehaves: duplicate, reordered and replayed events (relay and
 * Event Grid) end in the same state as a clean run; two reconciles racing on one pool — one holds the
 * lease, nothing is lost, no concurrent write reaches the scale set; ARM faults (429, 409, 500, a
 * failed long-running operation) injected — the control plane converges afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueueClient } from '@azure/storage-queue';
import { RECONCILE_QUEUE } from '../../functions/handlers/reconcileHandler.js';
import { startFunctionsHost } from '../../infra/local/functions-host/startFunctionsHost.js';
import { configurationObject } from '../../infra/local/sandbox/startSandbox.js';
import type { RelayEvent } from '../../shared/core/relayContract.js';
import type { StaticGatewayConfigurationSpec } from '../../shared/core/staticGatewayConfiguration.js';
import { createWorld, FAST_HOST_JSON, functionModules, readyOf, RG, type World } from './support/world.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Where a configuration's gateway is in Azure: the NICs carrying its ipConfig and its ILB rule port. */
async function footprint(
  w: World,
  uid: string,
): Promise<{ nics: string[]; rule: boolean; prefix: number | undefined }> {
  const ipc = `egressgateway-${uid}`;
  const vmssNics = await collect(
    w.sdk.network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(RG, 'aks-gw-vmss'),
  );
  const nics = await collect(w.sdk.network.networkInterfaces.list(RG));
  const carrying = [...vmssNics, ...nics]
    .filter((n) => n.ipConfigurations?.some((c) => c.name === ipc))
    .map((n) => {
      const instance = /\/virtualMachineScaleSets\/([^/]+)\/virtualMachines\/([^/]+)\//i.exec(n.id ?? '');
      return instance === null ? `nic/${n.name ?? ''}` : `instance/${instance[1] ?? ''}/${instance[2] ?? ''}`;
    })
    .sort();
  const lb = await w.sdk.network.loadBalancers.get(RG, 'kubeegressgateway-ilb');
  const prefix = await w.sdk.network.publicIPPrefixes.get(RG, ipc).catch(() => undefined);
  return {
    nics: carrying,
    rule: lb.loadBalancingRules?.some((r) => r.name === uid) ?? false,
    prefix: prefix?.prefixLength,
  };
}

describe('a misbehaving world', () => {
  let w: World;
  before(async () => {
    w = await createWorld();
  });
  after(() => w.stop());

  it('duplicate, reordered and replayed events end in the same state as a clean run', async () => {
    // Event Grid: every delivery twice, deliveries overtaking each other.
    w.sandbox.arm.admin.setEvents({ duplicateProbability: 1, reorderJitterMs: 40, seed: 7 });
    const v1: StaticGatewayConfigurationSpec = {
      gatewayProfile: {
        standaloneVMProfile: {
          vmResourceGroup: RG,
          vmNames: ['standalone-1', 'standalone-2'],
          publicIpPrefixSize: 31,
        },
      },
      provisionPublicIps: true,
    };
    const v2: StaticGatewayConfigurationSpec = { gatewayNodepoolName: 'gw', provisionPublicIps: true };
    const object = (
      uid: string,
      name: string,
      spec: StaticGatewayConfigurationSpec,
      generation: number,
      rv: number,
    ) =>
      configurationObject({ namespace: 'default', name, uid, spec, generation, resourceVersion: String(rv) });

    // The clean run: v1 then v2 (the configuration moves from the standalone VMs to the VMSS pool).
    const clean: RelayEvent[] = [
      { type: 'ADDED', object: object('clean-uid', 'clean', v1, 1, 50) },
      { type: 'MODIFIED', object: object('clean-uid', 'clean', v2, 2, 51) },
    ];
    await w.send([clean[0]!]);
    await w.settle();
    await w.send([clean[1]!]);
    // The messy run: v2 first, then the older v1 (reordered), then both again (replayed), one request each.
    const messy: RelayEvent[] = [
      { type: 'MODIFIED', object: object('messy-uid', 'messy', v2, 2, 61) },
      { type: 'ADDED', object: object('messy-uid', 'messy', v1, 1, 60) },
    ];
    await w.send([messy[0]!]);
    await w.send([messy[1]!]);
    await w.send(messy);
    await w.send([messy[0]!, messy[0]!]);

    await w.until(
      'both Ready',
      async () =>
        readyOf(await w.status('clean')) === 'True/Reconciled' &&
        readyOf(await w.status('messy')) === 'True/Reconciled',
    );
    await w.settle();
    const a = await footprint(w, 'clean-uid');
    const b = await footprint(w, 'messy-uid');
    assert.deepEqual(a, {
      nics: ['instance/aks-gw-vmss/0', 'instance/aks-gw-vmss/1'],
      rule: true,
      prefix: 31,
    });
    assert.deepEqual(
      b,
      a,
      'the messy run ends where the clean run does (on the VMSS pool, standalone VMs clean)',
    );
    const clean2 = await w.status('clean');
    const messy2 = await w.status('messy');
    assert.equal(clean2?.status.observedGeneration, 2);
    assert.equal(messy2?.status.observedGeneration, 2);
    assert.equal(messy2?.status.gatewayVMProfiles?.length, 2);

    const duplicates = w.logs.filter((l) => /armEvents: duplicate delivery ignored/.test(l.message)).length;
    assert.ok(duplicates > 0, 'Event Grid duplicates arrived and were dropped by event id');
    w.sandbox.arm.admin.setEvents({ duplicateProbability: 0, reorderJitterMs: 0 });
  });

  it('two reconciles racing on one pool: one holds the lease, the other leaves it dirty, nothing is lost', async () => {
    await w.settle();
    // Slow scale-set operations, so a reconcile is still running when the next requests arrive.
    w.sandbox.arm.admin.setLatency({ lroMs: { vmssWrite: 700, vmssVmWrite: 700 } });
    w.sandbox.arm.admin.clearRequests();
    const busyBefore = w.logs.filter((l) => /lease held by another worker/.test(l.message)).length;
    const vmssProfile: StaticGatewayConfigurationSpec = {
      gatewayProfile: {
        vmssProfile: { vmssResourceGroup: RG, vmssName: 'aks-gw-vmss', publicIpPrefixSize: 31 },
      },
      provisionPublicIps: true,
    };
    // A second Functions instance on the same storage and ARM, as Azure scales out: while one instance
    // reconciles (a host takes no new batch until its batch is done), the other picks up the next
    // request for the same pool.
    const second = await startFunctionsHost({
      modules: functionModules(),
      settings: w.sandbox.settings,
      hostJson: FAST_HOST_JSON,
      log: (e) => w.logs.push(e),
    });
    // Two configurations and two explicit reconcile requests at once.
    const answers = await Promise.all([
      w.apply('race-a', vmssProfile),
      w.apply('race-b', vmssProfile),
      w.admin('POST', 'pools/vmss%3Arg-egret%3Aaks-gw-vmss/reconcile'),
      w.admin('POST', 'pools/vmss%3Arg-egret%3Aaks-gw-vmss/reconcile'),
    ]);
    assert.equal(answers[2].status, 202);

    await w.waitFor('race-a', 'Reconciled');
    await w.waitFor('race-b', 'Reconciled');
    await w.settle();
    const busy = w.logs.filter((l) => /lease held by another worker/.test(l.message)).length - busyBefore;
    assert.ok(busy > 0, 'a racing reconcile found the lease held and left the pool dirty for the holder');
    const conflicts = w.sandbox.arm.admin.requests().filter((r) => r.status === 409);
    assert.deepEqual(conflicts, [], 'no two writes reached the scale set at once');
    for (const name of ['race-a', 'race-b']) {
      const fp = await footprint(w, w.uidOf(name));
      assert.equal(fp.nics.length, 2, `${name} is on both instances`);
      assert.ok(fp.rule);
    }
    w.sandbox.arm.admin.setLatency({ lroMs: {} });
    await second.stop();
  });

  it('ARM faults (429, 409, 500, a failed operation) are survived: the configuration converges afterwards', async () => {
    await w.settle();
    const admin = w.sandbox.arm.admin;
    const rules = [
      // Throttled past the SDK's own retries: egret sees a TransientError and retries after Retry-After.
      admin.addFault({
        method: 'PUT',
        path: '/virtualMachineScaleSets/aks-gw-vmss$',
        status: 429,
        code: 'TooManyRequests',
        message: 'throttled',
        retryAfterSeconds: 1,
        count: 4,
      }),
      // A concurrent operation on an instance: re-observe and re-plan.
      admin.addFault({
        method: 'PUT',
        path: '/virtualMachineScaleSets/aks-gw-vmss/virtualMachines/0$',
        status: 409,
        code: 'Conflict',
        message: 'concurrent request',
        count: 1,
      }),
      // A server error on the ILB.
      admin.addFault({
        method: 'PUT',
        path: '/loadBalancers/kubeegressgateway-ilb$',
        status: 500,
        code: 'InternalServerError',
        message: 'boom',
        count: 1,
      }),
      // The prefix create is accepted, then its long-running operation fails.
      admin.addFault({
        method: 'PUT',
        path: '/publicIPPrefixes/egressgateway-',
        lroFailure: true,
        code: 'AllocationFailed',
        message: 'no capacity',
        count: 1,
      }),
    ];
    await w.apply('faulty', { gatewayNodepoolName: 'gw', provisionPublicIps: true });
    const item = await w.waitFor('faulty', 'Reconciled', { timeoutMs: 90_000 });
    for (const r of rules) assert.equal(r.fired, r.count, `fault ${r.method ?? ''} ${r.path} fired`);
    admin.clearFaults();
    await w.settle();
    const fp = await footprint(w, w.uidOf('faulty'));
    assert.equal(fp.nics.length, 2);
    assert.equal(fp.prefix, 31);
    assert.ok(item.status.egressIpPrefix);
    const failures = (await w.admin('GET', 'pools/vmss%3Arg-egret%3Aaks-gw-vmss/audit?limit=500')).body as {
      items: { outcome: string; error?: string }[];
    };
    assert.ok(
      failures.items.some((a) => a.outcome === 'failed' && /AllocationFailed/.test(a.error ?? '')),
      'the failed operation is in the audit log',
    );
    const poison = (await w.admin('GET', 'poison')).body as { items: unknown[] };
    assert.deepEqual(poison.items, [], 'ARM faults are retried by the use case, never poisoned');
  });

  it('a message that is not a reconcile request ends in the poison queue, where admin shows it', async () => {
    const queue = new QueueClient(w.sandbox.azurite.connectionString, RECONCILE_QUEUE);
    await queue.createIfNotExists();
    await queue.sendMessage(Buffer.from(JSON.stringify({ pool: 'no-key-here' })).toString('base64'));
    const poisoned = await w.until(
      'the message in the poison queue',
      async () => {
        const items = (
          (await w.admin('GET', 'poison')).body as { items: { body: unknown; dequeueCount: number }[] }
        ).items;
        return items.length > 0 ? items : undefined;
      },
      30_000,
    );
    assert.deepEqual(poisoned[0]?.body, { pool: 'no-key-here' });
    const attempts = w.hostEvents.filter(
      (e) => e.kind === 'invocation' && e.functionName === 'reconcile' && e.outcome === 'failed',
    ).length;
    assert.equal(attempts, 5, 'tried maxDequeueCount times first');
  });
});
