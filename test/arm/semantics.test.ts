/**
 * ARM semantics the control plane depends on, through the real SDK pipelines: ETags and 412,
 * 409 on concurrent scale set writes, 429 + Retry-After honoured by the SDK retry policy, failed LROs,
 * injected faults, api-version and auth checks, Event Grid deliveries, and the admin world operations.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createArmClients } from '../../infra/local/arm/createArmClients.js';
import { collect, rejectsWith } from './support/armAssertions.js';
import type { StandInWorld } from './support/standInWorld.js';
import { startEventSink, startStandInWorld } from './support/standInWorld.js';
import { AZURE_SPECS_DIR } from '../support/azureSpecFixtures.js';

const FIXTURES = join(AZURE_SPECS_DIR, 'Microsoft.Resources');

/** Same keys (recursively, arrays by their first element) and JSON types as the sample. */
function assertSameShape(actual: unknown, sample: unknown, path = '$'): void {
  const type = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  assert.equal(type(actual), type(sample), `${path}: ${type(actual)} vs ${type(sample)}`);
  if (Array.isArray(sample) && sample.length > 0)
    assertSameShape((actual as unknown[])[0], sample[0], `${path}[0]`);
  else if (type(sample) === 'object')
    for (const [k, v] of Object.entries(sample as Record<string, unknown>)) {
      assert.ok(k in (actual as Record<string, unknown>), `${path}.${k} missing`);
      assertSameShape((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    }
}

describe('ARM semantics', () => {
  let w: StandInWorld;
  before(async () => {
    w = await startStandInWorld({
      scaleSets: [{ name: 'gw', capacity: 2, poolName: 'gw' }],
      vmPools: [{ poolName: 'vmgw', nicCount: 2, vmCount: 1 }],
    });
  });
  after(() => w.stop());

  it('ETag/If-Match: a stale etag gets 412 PreconditionFailed (compute ifMatch option, network If-Match header); If-None-Match * on an existing resource gets 412', async () => {
    const vmss = await w.compute.virtualMachineScaleSets.get(w.rg, 'gw');
    const updated = await w.compute.virtualMachineScaleSets.update(
      w.rg,
      'gw',
      { tags: { a: '1' } },
      { ifMatch: vmss.etag ?? '' },
    );
    assert.notEqual(updated.etag, vmss.etag);
    await rejectsWith(
      w.compute.virtualMachineScaleSets.update(
        w.rg,
        'gw',
        { tags: { a: '2' } },
        { ifMatch: vmss.etag ?? '' },
      ),
      412,
      'PreconditionFailed',
    );
    await rejectsWith(
      w.compute.virtualMachineScaleSets.createOrUpdate(
        w.rg,
        'gw',
        { location: vmss.location },
        { ifNoneMatch: '*' },
      ),
      412,
      'PreconditionFailed',
    );
    const nic = await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-1-nic');
    const put = await w.network.networkInterfaces.createOrUpdate(w.rg, 'aks-vmgw-1-nic', nic, {
      requestOptions: { headers: { 'If-Match': nic.etag ?? '' } },
    });
    assert.notEqual(put.etag, nic.etag);
    await rejectsWith(
      w.network.networkInterfaces.createOrUpdate(w.rg, 'aks-vmgw-1-nic', nic, {
        requestOptions: { headers: { 'If-Match': nic.etag ?? '' } },
      }),
      412,
      'PreconditionFailed',
    );
  });

  it('409 Conflict for a write to a scale set, its instance or its model while an operation on it runs', async () => {
    w.standIn.admin.setLatency({ lroMs: { vmssWrite: 300, vmssVmWrite: 300 } });
    try {
      const running = w.compute.virtualMachineScaleSets.update(w.rg, 'gw', { tags: { b: '1' } });
      await running.submitted();
      await rejectsWith(
        w.compute.virtualMachineScaleSets.update(w.rg, 'gw', { tags: { b: '2' } }),
        409,
        'Conflict',
      );
      const inst = await w.compute.virtualMachineScaleSetVMs.get(w.rg, 'gw', '0');
      await rejectsWith(
        w.compute.virtualMachineScaleSetVMs.update(w.rg, 'gw', '0', { location: inst.location }),
        409,
        'Conflict',
      );
      await running;
      const instanceOp = w.compute.virtualMachineScaleSetVMs.update(w.rg, 'gw', '0', {
        location: inst.location,
      });
      await instanceOp.submitted();
      await rejectsWith(
        w.compute.virtualMachineScaleSets.update(w.rg, 'gw', { tags: { b: '3' } }),
        409,
        'Conflict',
      );
      const other = await w.compute.virtualMachineScaleSetVMs.update(w.rg, 'gw', '1', {
        location: inst.location,
      });
      assert.equal(other.provisioningState, 'Succeeded', 'another instance may be updated meanwhile');
      await instanceOp;
      await w.compute.virtualMachineScaleSets.update(w.rg, 'gw', { tags: { b: '4' } });
    } finally {
      w.standIn.admin.setLatency({ lroMs: { vmssWrite: 5, vmssVmWrite: 5 } });
    }
  });

  it('429 with Retry-After: the SDK retry policy waits and succeeds; the request log shows the retry', async () => {
    w.standIn.admin.setThrottle({
      rateScale: 1,
      compute: { UpdateVMScaleSet: { resource: { capacity: 1, refillPerSecond: 2 } } },
    });
    w.standIn.admin.clearRequests();
    try {
      await w.compute.virtualMachineScaleSets.update(w.rg, 'gw', { tags: { c: '1' } });
      await w.compute.virtualMachineScaleSets.update(w.rg, 'gw', { tags: { c: '2' } });
      const patches = w.standIn.admin.requests().filter((r) => r.method === 'PATCH');
      assert.deepEqual(
        patches.map((r) => r.status),
        [200, 429, 200],
      );
      assert.equal(patches[1]?.errorCode, 'OperationNotAllowed');
      assert.equal(patches[1]?.clientRequestId, patches[2]?.clientRequestId, 'the retry is the same request');
      const counts = w.standIn.admin.writeCounts().find((c) => c.resourceId === w.world.scaleSets['gw']?.id);
      assert.deepEqual({ total: counts?.total, accepted: counts?.accepted }, { total: 3, accepted: 2 });
    } finally {
      w.standIn.admin.setThrottle({ rateScale: 10, compute: {} });
    }
    const res = await w.raw({
      method: 'PATCH',
      path: `${w.world.scaleSets['gw']?.id ?? ''}?api-version=2026-04-01`,
      body: { tags: { d: '1' } },
    });
    assert.match(String(res.headers['x-ms-ratelimit-remaining-subscription-writes']), /^\d+$/);
    assert.match(
      String(res.headers['x-ms-ratelimit-remaining-resource']),
      /^Microsoft\.Compute\/UpdateVMScaleSetResource;\d+,Microsoft\.Compute\/UpdateVMScaleSetSubscription;\d+$/,
    );
    await w.standIn.admin.waitForOperations();
  });

  it('ARM subscription write budget: SubscriptionRequestsThrottled with Retry-After (a client without retries sees the 429)', async () => {
    w.standIn.admin.setThrottle({ arm: { subscriptionWrites: { capacity: 1, refillPerSecond: 0.01 } } });
    const noRetry = createArmClients({
      endpoint: w.standIn.endpoint,
      caPem: w.standIn.caPem,
      subscriptionId: w.standIn.subscriptionId,
      maxRetries: 0,
    });
    try {
      await noRetry.compute.virtualMachines.update(w.rg, 'aks-vmgw-0', { tags: { t: '1' } });
      const e = await rejectsWith(
        noRetry.compute.virtualMachines.update(w.rg, 'aks-vmgw-0', { tags: { t: '2' } }),
        429,
        'SubscriptionRequestsThrottled',
      );
      assert.match(e.message, /Please try again after '\d+' seconds/);
      assert.ok(Number(e.response?.headers.get('retry-after')) >= 1);
      assert.equal(e.response?.headers.get('x-ms-ratelimit-remaining-subscription-writes'), '0');
    } finally {
      w.standIn.admin.setThrottle({ arm: {} });
    }
    await w.standIn.admin.waitForOperations();
  });

  it('a fault-injected failed LRO ends Failed with its error and the SDK surfaces it; provisioningState Failed', async () => {
    const rule = w.standIn.admin.addFault({
      method: 'PUT',
      path: '/virtualMachines/1$',
      lroFailure: true,
      code: 'AllocationFailed',
      message: 'Allocation failed.',
      count: 1,
    });
    const inst = await w.compute.virtualMachineScaleSetVMs.get(w.rg, 'gw', '1');
    await assert.rejects(
      w.compute.virtualMachineScaleSetVMs.update(w.rg, 'gw', '1', { location: inst.location }),
      /long-running operation has failed.*AllocationFailed/,
    );
    assert.equal(
      (await w.compute.virtualMachineScaleSetVMs.get(w.rg, 'gw', '1')).provisioningState,
      'Failed',
    );
    assert.equal(w.standIn.admin.faults().find((f) => f.id === rule.id)?.fired, 1);
    const again = await w.compute.virtualMachineScaleSetVMs.update(w.rg, 'gw', '1', {
      location: inst.location,
    });
    assert.equal(again.provisioningState, 'Succeeded', 'a forced re-PUT repairs a Failed instance');
  });

  it('injected status faults surface as RestError; 5xx is retried by the SDK', async () => {
    w.standIn.admin.addFault({
      method: 'GET',
      path: 'loadBalancers/nope$',
      status: 503,
      code: 'ServerBusy',
      message: 'busy',
      count: 1,
    });
    await rejectsWith(w.network.loadBalancers.get(w.rg, 'nope'), 404, 'ResourceNotFound');
    w.standIn.admin.addFault({
      method: 'GET',
      path: 'virtualMachineScaleSets/gw$',
      status: 400,
      code: 'BadThing',
      message: 'injected',
      count: 1,
    });
    await rejectsWith(w.compute.virtualMachineScaleSets.get(w.rg, 'gw'), 400, 'BadThing');
    w.standIn.admin.clearFaults();
  });

  it('rejects unknown api-versions and requests without a bearer token like ARM', async () => {
    const id = w.world.scaleSets['gw']?.id ?? '';
    const bad = await w.raw({
      method: 'GET',
      path: `${id}?api-version=2099-01-01`,
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: { code: string } }).error.code, 'NoRegisteredProviderFound');
    const none = await w.raw({
      method: 'GET',
      path: id,
    });
    assert.equal((none.body as { error: { code: string } }).error.code, 'MissingApiVersionParameter');
    const anon = await w.raw({
      method: 'GET',
      path: `${id}?api-version=2026-04-01`,
      token: null,
    });
    assert.equal(anon.status, 401);
    const lower = await w.raw({
      method: 'GET',
      path: `${id.replace('resourceGroups', 'resourcegroups')}?api-version=2026-04-01`,
    });
    assert.equal(lower.status, 200, 'ARM accepts resourcegroups in lower case');
    assert.equal(lower.headers['etag'], (lower.body as { etag: string }).etag);
  });

  it('Event Grid: handshake first, then one Notification per completed write with ARM operation names and aeg-* headers; non-2xx retried', async () => {
    const sink = await startEventSink({ failFirst: 1 });
    try {
      w.standIn.admin.subscribe({ url: sink.url, name: 'armevents' });
      await w.compute.virtualMachineScaleSets.update(w.rg, 'gw', { sku: { capacity: 3 } });
      const inst = await w.compute.virtualMachineScaleSetVMs.get(w.rg, 'gw', '0');
      await w.compute.virtualMachineScaleSetVMs.update(w.rg, 'gw', '0', { location: inst.location });
      await w.compute.virtualMachineScaleSets.deleteInstances(w.rg, 'gw', { instanceIds: ['2'] });
      await w.compute.virtualMachineScaleSets.updateInstances(w.rg, 'gw', { instanceIds: ['0'] });
      const nic = await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-1-nic');
      await w.network.networkInterfaces.createOrUpdate(w.rg, 'aks-vmgw-1-nic', nic);
      await w.standIn.admin.waitForEvents();

      assert.equal(sink.received[0]?.eventType, 'SubscriptionValidation');
      const events = sink.events();
      const ops = [
        ...new Set(
          events.map(
            (e) =>
              `${String(e['eventType'])} ${String((e['data'] as Record<string, unknown>)['operationName'])}`,
          ),
        ),
      ].sort();
      assert.deepEqual(ops, [
        'Microsoft.Resources.ResourceActionSuccess Microsoft.Compute/virtualMachineScaleSets/delete/action',
        'Microsoft.Resources.ResourceActionSuccess Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action',
        'Microsoft.Resources.ResourceWriteSuccess Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write',
        'Microsoft.Resources.ResourceWriteSuccess Microsoft.Compute/virtualMachineScaleSets/write',
        'Microsoft.Resources.ResourceWriteSuccess Microsoft.Network/networkInterfaces/write',
      ]);
      const instanceEvent = events.find((e) =>
        String((e['data'] as Record<string, unknown>)['operationName']).endsWith('virtualMachines/write'),
      );
      assert.match(String(instanceEvent?.['subject']), /virtualMachineScaleSets\/gw\/virtualMachines\/0$/);
      const n = sink.received.find((d) => d.eventType === 'Notification');
      assert.equal(n?.headers['aeg-subscription-name'], 'ARMEVENTS');
      assert.equal(n?.headers['aeg-data-version'], '2');
      assert.ok(Array.isArray(n?.body));
      const attempts = w.standIn.admin
        .deliveries()
        .filter((d) => d.eventType !== 'Microsoft.EventGrid.SubscriptionValidationEvent');
      assert.ok(
        attempts.some((d) => d.status === 503 && d.attempt === 1),
        'first delivery failed',
      );
      const firstId = attempts.find((d) => d.status === 503)?.eventIds[0];
      assert.ok(
        attempts.some((d) => d.eventIds[0] === firstId && d.status === 200 && d.attempt === 2),
        'and was retried',
      );

      const sample = JSON.parse(
        await readFile(
          join(FIXTURES, 'ResourceWriteSuccess__event-grid-schema_resource_write_success.json'),
          'utf8',
        ),
      ) as unknown;
      const write = events.find((e) => e['eventType'] === 'Microsoft.Resources.ResourceWriteSuccess') ?? {};
      const { claims: _claims, ...sampleData } = (sample as { data: Record<string, unknown> }).data;
      assertSameShape(
        { ...write, data: { ...(write['data'] as Record<string, unknown>), claims: {} } },
        { ...(sample as Record<string, unknown>), data: { ...sampleData, claims: {} } },
      );
      for (const f of [
        'ResourceActionSuccess__event-grid-schema_resource_action_success.json',
        'ResourceDeleteSuccess__event-grid-schema_resource_delete_success.json',
      ]) {
        const s = JSON.parse(await readFile(join(FIXTURES, f), 'utf8')) as { data: Record<string, unknown> };
        const ours = events.find(
          (e) => e['eventType'] === (s as unknown as Record<string, unknown>)['eventType'],
        );
        if (!ours) continue;
        const { claims: _c, ...rest } = s.data;
        assertSameShape(
          { ...ours, data: { ...(ours['data'] as Record<string, unknown>), claims: {} } },
          { ...s, data: { ...rest, claims: {} } },
        );
      }
    } finally {
      w.standIn.admin.unsubscribe('armevents');
      await sink.stop();
    }
  });

  it('Event Grid knobs: duplicates are delivered again with the same event id (at least once)', async () => {
    const sink = await startEventSink();
    try {
      w.standIn.admin.setEvents({ duplicateProbability: 1, reorderJitterMs: 5 });
      w.standIn.admin.subscribe({ url: sink.url, name: 'dups' });
      await w.network.networkInterfaces.createOrUpdate(
        w.rg,
        'aks-vmgw-1-nic',
        await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-1-nic'),
      );
      await w.standIn.admin.waitForEvents();
      const ids = sink.events().map((e) => String(e['id']));
      assert.equal(ids.length, 2);
      assert.equal(ids[0], ids[1]);
    } finally {
      w.standIn.admin.setEvents({ duplicateProbability: 0, reorderJitterMs: 0 });
      w.standIn.admin.unsubscribe('dups');
      await sink.stop();
    }
  });

  it('admin: scale out/in emits a scale set write; deleting an instance its own delete; a stripping rollout changes model and instances silently', async () => {
    const sink = await startEventSink();
    const vmssId = w.world.scaleSets['gw']?.id ?? '';
    try {
      w.standIn.admin.subscribe({ url: sink.url, name: 'admin' });
      const vmss = await w.compute.virtualMachineScaleSets.get(w.rg, 'gw');
      const cfg = vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0];
      assert.ok(cfg);
      const withSecondary = [
        {
          ...cfg,
          ipConfigurations: [
            ...(cfg.ipConfigurations ?? []),
            {
              name: 'egressgateway-x',
              primary: false,
              subnet: { id: w.world.subnetIds['aks-subnet'] ?? '' },
            },
          ],
        },
      ];
      await w.compute.virtualMachineScaleSets.createOrUpdate(w.rg, 'gw', {
        location: vmss.location,
        virtualMachineProfile: { networkProfile: { networkInterfaceConfigurations: withSecondary } },
      });
      await w.standIn.admin.scaleVmss({ vmssId, capacity: 4 });
      const grown = await collect(w.compute.virtualMachineScaleSetVMs.list(w.rg, 'gw'));
      assert.equal(grown.length, 4);
      const newest = grown.at(-1);
      assert.equal(newest?.latestModelApplied, true);
      assert.deepEqual(
        newest?.networkProfileConfiguration?.networkInterfaceConfigurations?.[0]?.ipConfigurations?.map(
          (c) => c.name,
        ),
        ['ipconfig1', 'egressgateway-x'],
      );
      await w.standIn.admin.deleteVmssInstance({ vmssId, instanceId: newest?.instanceId ?? '' });
      await w.standIn.admin.waitForEvents();
      const before = sink.events().length;
      const writes = w.standIn.admin.writeCounts().length;

      await w.standIn.admin.stripSecondaryIpConfigs({ vmssId });
      await w.standIn.admin.waitForEvents();
      assert.equal(sink.events().length, before, 'no event for the out-of-band rollout');
      assert.equal(w.standIn.admin.writeCounts().length, writes);
      const stripped = await w.compute.virtualMachineScaleSets.get(w.rg, 'gw');
      assert.deepEqual(
        stripped.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0]?.ipConfigurations?.map(
          (c) => c.name,
        ),
        ['ipconfig1'],
      );
      const nic = await w.network.networkInterfaces.getVirtualMachineScaleSetNetworkInterface(
        w.rg,
        'gw',
        grown[0]?.instanceId ?? '',
        'gw',
      );
      assert.deepEqual(
        nic.ipConfigurations?.map((c) => c.name),
        ['ipconfig1'],
      );

      const ops = sink.events().map((e) => String((e['data'] as Record<string, unknown>)['operationName']));
      assert.ok(ops.includes('Microsoft.Compute/virtualMachineScaleSets/write'));
      assert.ok(ops.includes('Microsoft.Compute/virtualMachineScaleSets/virtualMachines/delete'));
    } finally {
      w.standIn.admin.unsubscribe('admin');
      await sink.stop();
    }
  });

  it('admin: replacing a pool VM keeps its pre-created NIC (new vmId); delete + write events', async () => {
    const vmId = w.world.vmPools['vmgw']?.vmIds[0] ?? '';
    const before = await w.compute.virtualMachines.get(w.rg, 'aks-vmgw-0');
    const nicIp = (await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-0-nic')).ipConfigurations?.[0]
      ?.privateIPAddress;
    await w.standIn.admin.replaceVm({ vmId });
    const afterVm = await w.compute.virtualMachines.get(w.rg, 'aks-vmgw-0');
    assert.notEqual(afterVm.vmId, before.vmId);
    assert.equal(
      afterVm.networkProfile?.networkInterfaces?.[0]?.id,
      before.networkProfile?.networkInterfaces?.[0]?.id,
    );
    const nic = await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-0-nic');
    assert.equal(nic.ipConfigurations?.[0]?.privateIPAddress, nicIp, 'stable private IP');
    assert.equal(nic.virtualMachine?.id, afterVm.id);
    const ops = w.standIn.admin
      .publishedEvents()
      .slice(-2)
      .map((e) => String((e['data'] as Record<string, unknown>)['operationName']));
    assert.deepEqual(ops, [
      'Microsoft.Compute/virtualMachines/delete',
      'Microsoft.Compute/virtualMachines/write',
    ]);
  });

  it('the admin API is served over HTTP too', async () => {
    const res = await w.raw({
      method: 'GET',
      path: '/_admin/requests/writeCounts',
    });
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body));
    const missing = await w.raw({
      method: 'GET',
      path: '/_admin/nope',
    });
    assert.equal(missing.status, 404);
  });
});
