/**
 * Compute operations through the real @azure/arm-compute client (and the Network client's scale set
 * NIC routes): what egret's control plane will call, with ARM's status codes, LROs and errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, rejectsWith } from './support/armAssertions.js';
import type { StandInWorld } from './support/standInWorld.js';
import { startStandInWorld } from './support/standInWorld.js';

describe('compute contract (real @azure/arm-compute against the stand-in)', () => {
  let w: StandInWorld;
  before(async () => {
    w = await startStandInWorld(
      {
        scaleSets: [
          { name: 'gw', capacity: 3, poolName: 'gwpool', gatewayPrefixSize: 31 },
          { name: 'other', capacity: 1 },
          { name: 'third', capacity: 0 },
        ],
        vmPools: [{ poolName: 'vmgw', nicCount: 3, vmCount: 2, gatewayPrefixSize: 30 }],
        vms: [{ name: 'vm1' }],
      },
      { pageSize: 2 },
    );
  });
  after(() => w.stop());

  it('gets a scale set with model, tags, uniqueId, compute etag and sku', async () => {
    const vmss = await w.compute.virtualMachineScaleSets.get(w.rg, 'gw');
    assert.equal(vmss.id, w.world.scaleSets['gw']?.id);
    assert.equal(vmss.sku?.capacity, 3);
    assert.match(vmss.etag ?? '', /^"\d+"$/);
    assert.match(vmss.uniqueId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(vmss.tags?.['aks-managed-poolName'], 'gwpool');
    assert.equal(vmss.tags?.['aks-managed-gatewayIPPrefixSize'], '31');
    assert.equal(vmss.upgradePolicy?.mode, 'Manual');
    assert.equal(
      vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0]?.ipConfigurations?.[0]
        ?.name,
      'ipconfig1',
    );
  });

  it('lists scale sets by resource group and subscription across pages (nextLink)', async () => {
    const byRg = await collect(w.compute.virtualMachineScaleSets.list(w.rg));
    const all = await collect(w.compute.virtualMachineScaleSets.listAll());
    assert.deepEqual(byRg.map((v) => v.name).sort(), ['gw', 'other', 'third']);
    assert.equal(all.length, 3);
    const pages = w.standIn.admin
      .requests()
      .filter((r) => /virtualMachineScaleSets$/.test(r.path) && r.method === 'GET');
    assert.ok(pages.length >= 4, 'two pages per list');
  });

  it('lists instances with computerName, NIC ids and latestModelApplied; NICs readable through the VMSS NIC routes', async () => {
    const instances = await collect(w.compute.virtualMachineScaleSetVMs.list(w.rg, 'gw'));
    assert.deepEqual(
      instances.map((i) => i.instanceId),
      ['0', '1', '2'],
    );
    assert.deepEqual(
      instances.map((i) => i.osProfile?.computerName),
      ['gw000000', 'gw000001', 'gw000002'],
    );
    assert.ok(instances.every((i) => i.latestModelApplied === true));
    const nicId = instances[1]?.networkProfile?.networkInterfaces?.[0]?.id ?? '';
    assert.match(nicId, /virtualMachineScaleSets\/gw\/virtualMachines\/1\/networkInterfaces\/gw$/);
    const nic = await w.network.networkInterfaces.getVirtualMachineScaleSetNetworkInterface(
      w.rg,
      'gw',
      '1',
      'gw',
    );
    assert.equal(nic.id, nicId);
    assert.equal(nic.virtualMachine?.id, instances[1]?.id);
    const ip = nic.ipConfigurations?.[0]?.privateIPAddress ?? '';
    assert.match(ip, /^10\.224\.0\.\d+$/);
    const listed = await collect(
      w.network.networkInterfaces.listVirtualMachineScaleSetVMNetworkInterfaces(w.rg, 'gw', '1'),
    );
    assert.deepEqual(
      listed.map((n) => n.id),
      [nicId],
    );
    const ipc = await w.network.networkInterfaces.getVirtualMachineScaleSetIpConfiguration(
      w.rg,
      'gw',
      '1',
      'gw',
      'ipconfig1',
    );
    assert.equal(ipc.privateIPAddress, ip);
  });

  it('refuses writes to a Uniform instance NIC through the Network API', async () => {
    const path = `${w.world.scaleSets['gw']?.id ?? ''}/virtualMachines/0/networkInterfaces/gw?api-version=2018-10-01`;
    const res = await w.raw({
      method: 'PUT',
      path,
      body: { location: 'westeurope' },
    });
    assert.equal(res.status, 405);
    assert.equal((res.body as { error: { code: string } }).error.code, 'MethodNotAllowed');
  });

  it('PATCH capacity scales out with the model network profile (LRO via Azure-AsyncOperation)', async () => {
    const updated = await w.compute.virtualMachineScaleSets.update(w.rg, 'other', { sku: { capacity: 3 } });
    assert.equal(updated.provisioningState, 'Succeeded');
    assert.equal(updated.sku?.capacity, 3);
    const instances = await collect(w.compute.virtualMachineScaleSetVMs.list(w.rg, 'other'));
    assert.equal(instances.length, 3);
    const ips = await Promise.all(
      instances.map(
        async (i) =>
          (
            await w.network.networkInterfaces.getVirtualMachineScaleSetNetworkInterface(
              w.rg,
              'other',
              i.instanceId ?? '',
              'other',
            )
          ).ipConfigurations?.[0]?.privateIPAddress,
      ),
    );
    assert.equal(new Set(ips).size, 3, 'distinct private IPs');
  });

  it('a partial PUT (location + network profile, no sku) of an existing scale set keeps the rest; without sku on create: InvalidParameter', async () => {
    const before = await w.compute.virtualMachineScaleSets.get(w.rg, 'third');
    const profile = before.virtualMachineProfile?.networkProfile;
    assert.ok(profile);
    const put = await w.compute.virtualMachineScaleSets.createOrUpdate(w.rg, 'third', {
      location: before.location,
      virtualMachineProfile: { networkProfile: profile },
    });
    assert.equal(put.sku?.name, before.sku?.name);
    assert.equal(put.virtualMachineProfile?.osProfile?.computerNamePrefix, 'third');
    assert.notEqual(put.etag, before.etag);
    const e = await rejectsWith(
      w.compute.virtualMachineScaleSets.createOrUpdate(w.rg, 'does-not-exist', {
        location: before.location,
        virtualMachineProfile: { networkProfile: profile },
      }),
      400,
      'InvalidParameter',
    );
    assert.match(e.message, /Required parameter 'sku' is missing/);
  });

  const createPrefix = (name: string, prefixLength: number) =>
    w.network.publicIPPrefixes.createOrUpdate(w.rg, name, {
      location: w.world.location,
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength,
    });
  /** The scale set and the first NIC configuration of its model. */
  const scaleSetModel = async (name: string) => {
    const vmss = await w.compute.virtualMachineScaleSets.get(w.rg, name);
    const nicConfig = vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0];
    assert.ok(nicConfig);
    return { vmss, nicConfig };
  };

  it('model change marks instances stale; instance PUT and manualupgrade apply it (secondary ipConfig with a public IP from a prefix)', async () => {
    const prefix = await createPrefix('gw-prefix', 30);
    const { vmss, nicConfig } = await scaleSetModel('gw');
    const secondary = {
      name: 'egressgateway-abc',
      primary: false,
      privateIPAddressVersion: 'IPv4' as const,
      subnet: { id: w.world.subnetIds['aks-subnet'] ?? '' },
      publicIPAddressConfiguration: { name: 'egressgateway-abc', publicIPPrefix: { id: prefix.id ?? '' } },
    };
    const newConfigs = [
      { ...nicConfig, ipConfigurations: [...(nicConfig.ipConfigurations ?? []), secondary] },
    ];
    await w.compute.virtualMachineScaleSets.createOrUpdate(w.rg, 'gw', {
      location: vmss.location,
      virtualMachineProfile: { networkProfile: { networkInterfaceConfigurations: newConfigs } },
    });
    const stale = await collect(w.compute.virtualMachineScaleSetVMs.list(w.rg, 'gw'));
    assert.ok(stale.every((i) => i.latestModelApplied === false));

    const inst0 = stale[0];
    assert.ok(inst0);
    const put = await w.compute.virtualMachineScaleSetVMs.update(w.rg, 'gw', '0', {
      location: inst0.location,
      networkProfileConfiguration: { networkInterfaceConfigurations: newConfigs },
    });
    assert.equal(put.provisioningState, 'Succeeded');
    assert.equal(put.latestModelApplied, true);
    await w.compute.virtualMachineScaleSets.updateInstances(w.rg, 'gw', { instanceIds: ['1'] });
    const after = await collect(w.compute.virtualMachineScaleSetVMs.list(w.rg, 'gw'));
    assert.deepEqual(
      after.map((i) => i.latestModelApplied),
      [true, true, false],
    );

    const nic0 = await w.network.networkInterfaces.getVirtualMachineScaleSetNetworkInterface(
      w.rg,
      'gw',
      '0',
      'gw',
    );
    const sec = nic0.ipConfigurations?.find((c) => c.name === 'egressgateway-abc');
    assert.match(sec?.privateIPAddress ?? '', /^10\.224\.0\.\d+$/);
    assert.match(
      sec?.publicIPAddress?.id ?? '',
      /ipConfigurations\/egressgateway-abc\/publicIPAddresses\/egressgateway-abc$/,
    );
    const p = await w.network.publicIPPrefixes.get(w.rg, 'gw-prefix');
    assert.equal(p.publicIPAddresses?.length, 2, 'instances 0 and 1 took an address each');
    const pips = await collect(
      w.network.publicIPAddresses.listVirtualMachineScaleSetVMPublicIPAddresses(
        w.rg,
        'gw',
        '0',
        'gw',
        'egressgateway-abc',
      ),
    );
    assert.equal(pips.length, 1);
    assert.ok(p.ipPrefix && pips[0]?.ipAddress?.startsWith(p.ipPrefix.split('.').slice(0, 3).join('.')));
  });

  it('an instance PUT needing a public IP from an exhausted prefix ends Failed and leaves the instance Failed', async () => {
    const prefix = await createPrefix('tiny', 31);
    const { vmss, nicConfig } = await scaleSetModel('other');
    const configs = [
      {
        ...nicConfig,
        ipConfigurations: [
          ...(nicConfig.ipConfigurations ?? []),
          {
            name: 'sec',
            primary: false,
            subnet: { id: w.world.subnetIds['aks-subnet'] ?? '' },
            publicIPAddressConfiguration: { name: 'sec', publicIPPrefix: { id: prefix.id ?? '' } },
          },
        ],
      },
    ];
    const ids = (await collect(w.compute.virtualMachineScaleSetVMs.list(w.rg, 'other'))).map(
      (i) => i.instanceId ?? '',
    );
    for (const id of ids.slice(0, 2))
      await w.compute.virtualMachineScaleSetVMs.update(w.rg, 'other', id, {
        location: vmss.location,
        networkProfileConfiguration: { networkInterfaceConfigurations: configs },
      });
    await assert.rejects(
      w.compute.virtualMachineScaleSetVMs.update(w.rg, 'other', ids[2] ?? '', {
        location: vmss.location,
        networkProfileConfiguration: { networkInterfaceConfigurations: configs },
      }),
      /PublicIpPrefixOutOfIpAddressesForVMScaleSet/,
    );
    const failed = await w.compute.virtualMachineScaleSetVMs.get(w.rg, 'other', ids[2] ?? '');
    assert.equal(failed.provisioningState, 'Failed');
  });

  it('deleteInstances and instance DELETE remove instances and shrink capacity; deleting a missing instance answers 204', async () => {
    await w.compute.virtualMachineScaleSets.deleteInstances(w.rg, 'gw', { instanceIds: ['2'] });
    await w.compute.virtualMachineScaleSetVMs.delete(w.rg, 'gw', '1');
    const left = await collect(w.compute.virtualMachineScaleSetVMs.list(w.rg, 'gw'));
    assert.deepEqual(
      left.map((i) => i.instanceId),
      ['0'],
    );
    assert.equal((await w.compute.virtualMachineScaleSets.get(w.rg, 'gw')).sku?.capacity, 1);
    await rejectsWith(
      w.compute.virtualMachineScaleSets.deleteInstances(w.rg, 'gw', { instanceIds: ['7'] }),
      400,
      'InvalidParameter',
    );
    const res = await w.raw({
      method: 'DELETE',
      path: `${w.world.scaleSets['gw']?.id ?? ''}/virtualMachines/99?api-version=2026-04-01`,
    });
    assert.equal(res.status, 204);
    await rejectsWith(w.compute.virtualMachineScaleSetVMs.get(w.rg, 'gw', '99'), 404, 'NotFound');
  });

  it('VMs: get/list/listByLocation, update tags, NIC back-reference, NicInUse, delete', async () => {
    const vm = await w.compute.virtualMachines.get(w.rg, 'aks-vmgw-0');
    assert.equal(vm.tags?.['aks-managed-poolName'], 'vmgw');
    assert.equal(vm.osProfile?.computerName, 'aks-vmgw-0');
    const nicId = vm.networkProfile?.networkInterfaces?.[0]?.id ?? '';
    const nic = await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-0-nic');
    assert.equal(nic.id, nicId);
    assert.equal(nic.virtualMachine?.id, vm.id);
    assert.equal(nic.tags?.['aks-managed-static-gateway-nic'], 'true');
    const spare = await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-2-nic');
    assert.equal(spare.virtualMachine, undefined, 'a pre-created NIC without VM');
    assert.equal((await collect(w.compute.virtualMachines.list(w.rg))).length, 3);
    assert.equal((await collect(w.compute.virtualMachines.listByLocation(w.world.location))).length, 3);
    assert.equal((await collect(w.compute.virtualMachines.listAll())).length, 3);
    const patched = await w.compute.virtualMachines.update(w.rg, 'vm1', { tags: { role: 'test' } });
    assert.equal(patched.tags?.['role'], 'test');
    assert.equal(patched.etag, '"2"', 'compute etags count writes');
    await rejectsWith(w.network.networkInterfaces.delete(w.rg, 'vm1-nic'), 400, 'NicInUse');
    await w.compute.virtualMachines.delete(w.rg, 'vm1');
    await rejectsWith(w.compute.virtualMachines.get(w.rg, 'vm1'), 404, 'ResourceNotFound');
    await w.network.networkInterfaces.delete(w.rg, 'vm1-nic');
    await rejectsWith(w.network.networkInterfaces.get(w.rg, 'vm1-nic'), 404, 'ResourceNotFound');
  });

  it('deletes a scale set with its instances; missing resource group answers ResourceGroupNotFound', async () => {
    await w.compute.virtualMachineScaleSets.delete(w.rg, 'third');
    await rejectsWith(w.compute.virtualMachineScaleSets.get(w.rg, 'third'), 404, 'ResourceNotFound');
    await rejectsWith(w.compute.virtualMachineScaleSets.get('no-such-rg', 'x'), 404, 'ResourceGroupNotFound');
  });
});
