/**
 * Contract of the read ports (ArmInventory, GatewayPoolProvider.observe, pool resolution) against the
 * ARM stand-in through the real SDK clients: each pool kind as `arm.admin.seed` creates it is found and
 * observed the way the planner needs it; absent resources read as `undefined`; throttling is retried
 * by the SDK; an outage surfaces as TransientError.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { poolKey, vmPoolUniqueId } from '../../../shared/core/pool.js';
import { TransientError } from '../../../shared/core/errors.js';
import type { ArmPoolWorld } from './support/armPoolWorld.js';
import {
  FRONTEND_SUBNET,
  managed,
  nodepoolSpec,
  standaloneSpec,
  startArmPoolWorld,
  vmssProfileSpec,
} from './support/armPoolWorld.js';

describe('ArmInventory and pool providers (reads) against the ARM stand-in', () => {
  let w: ArmPoolWorld;
  before(async () => {
    w = await startArmPoolWorld(
      {
        scaleSets: [
          { name: 'aks-gw-12345-vmss', capacity: 3, poolName: 'gw', gatewayPrefixSize: 30 },
          { name: 'plain-vmss', capacity: 1 },
        ],
        vmPools: [{ poolName: 'vmgw', nicCount: 3, vmCount: 1, gatewayPrefixSize: 29 }],
        vms: [{ name: 'sa-1' }, { name: 'sa-2' }],
      },
      { pageSize: 2 },
    );
  });
  after(() => w.stop());

  it('listPoolInventory: scale sets with uniqueId and tags, AKS-tagged NICs and VMs only, named scale sets elsewhere', async () => {
    const inv = await w.pools.listPoolInventory(
      {
        gatewayResourceGroup: w.rg,
        profileScaleSets: [
          { resourceGroup: w.rg, name: 'plain-vmss' },
          { resourceGroup: 'rg-elsewhere', name: 'nope' },
        ],
      },
      w.signal,
    );
    assert.equal(inv.gatewayResourceGroup, w.rg);
    assert.deepEqual(inv.scaleSets.map((s) => s.name).sort(), ['aks-gw-12345-vmss', 'plain-vmss']);
    const gw = inv.scaleSets.find((s) => s.name === 'aks-gw-12345-vmss');
    assert.match(gw?.uniqueId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(gw?.tags?.['aks-managed-poolName'], 'gw');
    // paged (pageSize 2): all three pre-created NICs, not the standalone VMs' NICs
    assert.deepEqual(inv.nics.map((n) => n.name).sort(), [
      'aks-vmgw-0-nic',
      'aks-vmgw-1-nic',
      'aks-vmgw-2-nic',
    ]);
    assert.deepEqual(
      inv.vms.map((v) => v.name),
      ['aks-vmgw-0'],
    );
    assert.equal(inv.vms[0]?.tags?.['aks-managed-gatewayIPPrefixSize'], '29');
  });

  it('resolvePoolForConfiguration: nodepool → VMSS by tag, prefix length from the tag; uniqueId names the ILB parts', async () => {
    const r = await w.pools.resolvePoolForConfiguration(nodepoolSpec('GW'), w.signal);
    assert.equal(r.kind, 'resolved');
    if (r.kind !== 'resolved') return;
    assert.deepEqual(r.pool.ref, { kind: 'vmss', resourceGroup: w.rg, vmssName: 'aks-gw-12345-vmss' });
    assert.equal(r.pool.key, `vmss:${w.rg}:aks-gw-12345-vmss`);
    assert.equal(r.pool.prefixLength, 30);
    const vmss = await w.clients.compute.virtualMachineScaleSets.get(w.rg, 'aks-gw-12345-vmss');
    assert.equal(r.pool.uniqueId, vmss.uniqueId);
  });

  it('resolvePoolForConfiguration: nodepool without a VMSS → the VirtualMachines pool NICs, upstream UUIDv3 id, prefix from the VM tag', async () => {
    const r = await w.pools.resolvePoolForConfiguration(nodepoolSpec('vmgw'), w.signal);
    assert.equal(r.kind, 'resolved');
    if (r.kind !== 'resolved') return;
    assert.deepEqual(r.pool.ref, { kind: 'aks-vm-pool', resourceGroup: w.rg, poolName: 'vmgw' });
    assert.equal(r.pool.uniqueId, vmPoolUniqueId('vmgw'));
    assert.equal(r.pool.prefixLength, 29);
    const priv = await w.pools.resolvePoolForConfiguration(
      nodepoolSpec('vmgw', { kind: 'private' }),
      w.signal,
    );
    assert.equal(priv.kind === 'resolved' && priv.pool.prefixLength, undefined);
  });

  it('resolvePoolForConfiguration: profiles, standalone VMs, and the answers that are not pools', async () => {
    const profile = await w.pools.resolvePoolForConfiguration(
      vmssProfileSpec(w.rg, 'plain-vmss', 31),
      w.signal,
    );
    assert.ok(
      profile.kind === 'resolved' && profile.pool.ref.kind === 'vmss' && profile.pool.prefixLength === 31,
    );
    const sa = await w.pools.resolvePoolForConfiguration(
      standaloneSpec(w.rg, ['SA-2', 'sa-1'], 30),
      w.signal,
    );
    assert.ok(sa.kind === 'resolved');
    if (sa.kind === 'resolved') {
      assert.deepEqual(sa.pool.ref, {
        kind: 'standalone-vms',
        resourceGroup: w.rg,
        vmNames: ['sa-1', 'sa-2'],
      });
      assert.equal(sa.pool.key, poolKey(sa.pool.ref));
    }
    const missing = await w.pools.resolvePoolForConfiguration(nodepoolSpec('nope'), w.signal);
    assert.equal(missing.kind, 'not-found');
    const missingProfile = await w.pools.resolvePoolForConfiguration(
      vmssProfileSpec(w.rg, 'nope', 31),
      w.signal,
    );
    assert.equal(missingProfile.kind, 'not-found');
    const privateOnVmss = await w.pools.resolvePoolForConfiguration(
      nodepoolSpec('gw', { kind: 'private' }),
      w.signal,
    );
    // Served as upstream serves it, with a warning that a VMSS's private IPs can change.
    assert.ok(
      privateOnVmss.kind === 'resolved' && privateOnVmss.warning?.field === 'spec.provisionPublicIps',
    );
    assert.equal(privateOnVmss.pool.prefixLength, undefined, 'private mode asks for no prefix');
  });

  it('VMSS provider: model, every instance with its primary NIC view (allocated private IP), one page-walk each', async () => {
    w.standIn.admin.clearRequests();
    const m = await w.pools.observePoolMembers(
      { kind: 'vmss', resourceGroup: w.rg, vmssName: 'aks-gw-12345-vmss' },
      w.signal,
    );
    assert.equal(m.kind, 'vmss');
    if (m.kind !== 'vmss') return;
    assert.equal(m.vmss?.name, 'aks-gw-12345-vmss');
    assert.ok(m.vmss?.etag !== undefined, 'the model carries its ETag');
    assert.equal(m.instances.length, 3);
    for (const i of m.instances) {
      assert.ok(i.vm.etag !== undefined && i.vm.networkProfileConfiguration !== undefined);
      assert.equal(i.primaryNic?.primary, true);
      assert.match(i.primaryNic?.ipConfigurations?.[0]?.privateIPAddress ?? '', /^10\.224\.0\.\d+$/);
      assert.ok(i.primaryNic?.id.toLowerCase().startsWith(`${i.vm.id.toLowerCase()}/networkinterfaces/`));
    }
    // GET model + 2 pages of instances + 2 pages of NIC views (pageSize 2): not one GET per instance.
    const reads = w.standIn.admin.requests().filter((r) => r.category === 'arm');
    assert.equal(reads.length, 5, reads.map((r) => `${r.method} ${r.path}`).join('\n'));
    const gone = await w.pools.observePoolMembers(
      { kind: 'vmss', resourceGroup: w.rg, vmssName: 'nope' },
      w.signal,
    );
    assert.deepEqual(gone, { kind: 'vmss', instances: [] });
  });

  it('VirtualMachines-pool provider: every pre-created NIC of the pool, with or without a VM', async () => {
    const m = await w.pools.observePoolMembers(
      { kind: 'aks-vm-pool', resourceGroup: w.rg, poolName: 'vmgw' },
      w.signal,
    );
    assert.equal(m.kind, 'aks-vm-pool');
    if (m.kind !== 'aks-vm-pool') return;
    assert.deepEqual(
      m.nics.map((n) => n.name),
      ['aks-vmgw-0-nic', 'aks-vmgw-1-nic', 'aks-vmgw-2-nic'],
    );
    assert.deepEqual(
      m.nics.map((n) => n.virtualMachine !== undefined),
      [true, false, false],
    );
    assert.ok(
      m.nics.every((n) => n.etag !== undefined && n.ipConfigurations?.[0]?.privateIPAddress !== undefined),
    );
  });

  it('standalone-VMs provider: each VM with its primary NIC; a missing VM is reported without one', async () => {
    const m = await w.pools.observePoolMembers(
      { kind: 'standalone-vms', resourceGroup: w.rg, vmNames: ['sa-1', 'sa-2', 'sa-3'] },
      w.signal,
    );
    assert.equal(m.kind, 'standalone-vms');
    if (m.kind !== 'standalone-vms') return;
    assert.deepEqual(
      m.vms.map((v) => [v.name, v.vm?.name, v.primaryNic?.name]),
      [
        ['sa-1', 'sa-1', 'sa-1-nic'],
        ['sa-2', 'sa-2', 'sa-2-nic'],
        ['sa-3', undefined, undefined],
      ],
    );
  });

  it('ILB, prefixes, public IPs, NICs and subnets: absent reads as undefined; lists filter as the planner needs', async () => {
    assert.equal(await w.pools.getLoadBalancer(w.rg, 'kubeegressgateway-ilb', w.signal), undefined);
    const net = w.clients.network;
    const loc = w.world.location;
    const prefix = await net.publicIPPrefixes.createOrUpdate(w.rg, 'egressgateway-abc', {
      location: loc,
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength: 31,
      publicIPAddressVersion: 'IPv4',
    });
    await net.publicIPPrefixes.createOrUpdate(w.rg, 'someone-elses', {
      location: loc,
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength: 31,
      publicIPAddressVersion: 'IPv4',
    });
    await net.publicIPAddresses.createOrUpdate(w.rg, 'egressgateway-abc-1', {
      location: loc,
      sku: { name: 'Standard', tier: 'Regional' },
      publicIPAllocationMethod: 'Static',
      publicIPAddressVersion: 'IPv4',
      publicIPPrefix: { id: prefix.id ?? '' },
    });
    await net.publicIPAddresses.createOrUpdate(w.rg, 'loose-ip', {
      location: loc,
      sku: { name: 'Standard', tier: 'Regional' },
      publicIPAllocationMethod: 'Static',
    });
    assert.deepEqual(
      (await w.pools.listPublicIpPrefixes(w.rg, 'EgressGateway-', w.signal)).map((p) => [
        p.name,
        p.prefixLength,
      ]),
      [['egressgateway-abc', 31]],
    );
    const got = await w.pools.getPublicIpPrefix(prefix.id ?? '', w.signal);
    assert.match(got?.ipPrefix ?? '', /\/31$/);
    assert.equal(got?.publicIPAddresses?.length, 1);
    assert.equal(
      await w.pools.getPublicIpPrefix(
        `${w.world.resourceGroupId}/providers/Microsoft.Network/publicIPPrefixes/nope`,
        w.signal,
      ),
      undefined,
    );
    assert.deepEqual(
      (await w.pools.listPrefixPublicIps(w.rg, w.signal)).map((p) => p.name),
      ['egressgateway-abc-1'],
    );
    assert.deepEqual(await w.pools.listPublicIpPrefixes('rg-does-not-exist', 'egressgateway-', w.signal), []);

    const sa = w.world.vms['sa-1'];
    assert.equal((await w.pools.getNetworkInterface(sa?.nicId ?? '', w.signal))?.name, 'sa-1-nic');
    const vmssNic = `${w.world.scaleSets['aks-gw-12345-vmss']?.id}/virtualMachines/0/networkInterfaces/aks-gw-12345-vmss`;
    assert.equal((await w.pools.getNetworkInterface(vmssNic, w.signal))?.primary, true);
    assert.equal(
      await w.pools.getNetworkInterface(
        `${w.world.resourceGroupId}/providers/Microsoft.Network/networkInterfaces/nope`,
        w.signal,
      ),
      undefined,
    );

    assert.equal(
      await w.pools.getSubnetId(
        { resourceGroup: w.rg, vnetName: 'vnet-egret', subnetName: FRONTEND_SUBNET },
        w.signal,
      ),
      w.world.subnetIds[FRONTEND_SUBNET],
    );
    assert.equal(
      await w.pools.getSubnetId(
        { resourceGroup: w.rg, vnetName: 'vnet-egret', subnetName: 'nope' },
        w.signal,
      ),
      undefined,
    );
    for (const name of ['egressgateway-abc-1', 'loose-ip']) await net.publicIPAddresses.delete(w.rg, name);
    for (const name of ['egressgateway-abc', 'someone-elses']) await net.publicIPPrefixes.delete(w.rg, name);
  });

  it('observePoolWorld reads only the configurations’ prefixes (managed and BYO) and the prefix-derived public IPs', async () => {
    const net = w.clients.network;
    const body = {
      location: w.world.location,
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength: 29,
      publicIPAddressVersion: 'IPv4',
    };
    const mine = await net.publicIPPrefixes.createOrUpdate(w.rg, 'egressgateway-u1', body);
    await net.publicIPPrefixes.createOrUpdate(w.rg, 'egressgateway-other', body);
    const byo = await net.publicIPPrefixes.createOrUpdate(w.rg, 'byo-prefix', body);
    const pool = await w.resolve(nodepoolSpec('vmgw'));
    const observed = await w.observe(pool, [
      { uid: 'u1', namespace: 'a', name: 'a', state: { kind: 'present', egress: managed() } },
      {
        uid: 'u2',
        namespace: 'a',
        name: 'b',
        state: { kind: 'deleting', egress: { kind: 'public', prefix: { kind: 'byo', id: byo.id ?? '' } } },
      },
      {
        uid: 'u3',
        namespace: 'a',
        name: 'c',
        state: {
          kind: 'present',
          egress: {
            kind: 'public',
            prefix: {
              kind: 'byo',
              id: `${w.world.resourceGroupId}/providers/Microsoft.Network/publicIPPrefixes/missing`,
            },
          },
        },
      },
    ]);
    assert.deepEqual(
      observed.prefixes.map((p) => p.id),
      [byo.id, mine.id].sort((a, b) => (a!.toLowerCase() < b!.toLowerCase() ? -1 : 1)),
    );
    assert.equal(observed.loadBalancer, undefined);
    assert.equal(observed.members.kind, 'aks-vm-pool');
    for (const name of ['egressgateway-u1', 'egressgateway-other', 'byo-prefix'])
      await net.publicIPPrefixes.delete(w.rg, name);
  });

  it('throttling is retried by the SDK (Retry-After honoured); an outage beyond the retries is a TransientError', async () => {
    w.standIn.admin.clearRequests();
    const throttle = w.standIn.admin.addFault({
      method: 'GET',
      path: '/loadBalancers/kubeegressgateway-ilb$',
      status: 429,
      code: 'SubscriptionRequestsThrottled',
      retryAfterSeconds: 0,
      count: 1,
    });
    assert.equal(await w.pools.getLoadBalancer(w.rg, 'kubeegressgateway-ilb', w.signal), undefined);
    const tries = w.standIn.admin
      .requests()
      .filter((r) => r.path.endsWith('/loadBalancers/kubeegressgateway-ilb'));
    assert.deepEqual(
      tries.map((r) => r.status),
      [429, 404],
    );
    assert.equal(tries[0]?.clientRequestId, tries[1]?.clientRequestId, 'the same request, retried');
    w.standIn.admin.removeFault(throttle.id);

    const outage = w.standIn.admin.addFault({
      method: 'GET',
      path: '/networkInterfaces$',
      status: 503,
      code: 'ServiceUnavailable',
    });
    try {
      await assert.rejects(
        w.pools.observePoolMembers({ kind: 'aks-vm-pool', resourceGroup: w.rg, poolName: 'vmgw' }, w.signal),
        (e: unknown) => e instanceof TransientError && e.detail === 'ServiceUnavailable',
      );
    } finally {
      w.standIn.admin.removeFault(outage.id);
    }
  });
});
