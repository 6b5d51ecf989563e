/**
 * Scenarios (issue §7) over a pool's life: VMSS scale-out handled from the Event Grid event alone
 * (the resync timer never fires here), an instance deleted, a model rollout that strips the ipConfigs
 * without any event repaired by the resync, and deletion — every Azure sub-resource gone, public IPs
 * before their prefix, and `finalized` reported.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, readyOf, RG, type World } from './support/world.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('a gateway pool over its life', () => {
  let w: World;
  let vmssId: string;
  before(async () => {
    w = await createWorld({
      world: {
        resourceGroup: RG,
        vnet: { name: 'vnet-egret', subnets: [{ name: 'aks-subnet', addressPrefix: '10.224.0.0/16' }] },
        scaleSets: [{ name: 'aks-gw-vmss', capacity: 2, poolName: 'gw', gatewayPrefixSize: 30 }],
        vmPools: [{ poolName: 'vmgw', nicCount: 3, vmCount: 2, gatewayPrefixSize: 30 }],
      },
    });
    vmssId = w.sandbox.seeded.scaleSets['aks-gw-vmss']!.id;
  });
  after(() => w.stop());

  const secondaryIps = async (ipc: string): Promise<(string | undefined)[]> =>
    (
      await collect(
        w.sdk.network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(RG, 'aks-gw-vmss'),
      )
    )
      .map((n) => n.ipConfigurations?.find((c) => c.name === ipc)?.privateIPAddress)
      .sort();

  const noIpConfigOnVmPoolNics = async (ipc: string): Promise<void> => {
    for (const i of [0, 1, 2]) {
      const nic = await w.sdk.network.networkInterfaces.get(RG, `aks-vmgw-${i}-nic`);
      assert.equal(
        nic.ipConfigurations?.some((c) => c.name === ipc),
        false,
        `aks-vmgw-${i}-nic has no ${ipc}`,
      );
    }
  };

  it('a VMSS scale-out: the new instance gets its ipConfig from the Event Grid event alone', async () => {
    await w.apply('gw', { gatewayNodepoolName: 'gw', provisionPublicIps: true });
    await w.waitFor('gw', 'Reconciled');
    await w.settle();
    await w.sandbox.arm.admin.scaleVmss({ vmssId, capacity: 3 });
    const item = await w.until('three gateway nodes in status', async () => {
      const i = await w.status('gw');
      return i?.status.gatewayVMProfiles?.length === 3 && readyOf(i) === 'True/Reconciled' ? i : undefined;
    });
    const ips = await secondaryIps(`egressgateway-${w.uidOf('gw')}`);
    assert.equal(ips.length, 3);
    assert.ok(
      ips.every((ip) => ip !== undefined),
      'every instance, the new one too, has the secondary ipConfig',
    );
    assert.deepEqual(item.status.gatewayVMProfiles?.map((p) => p.secondaryIP).sort(), ips);
    assert.ok(
      !w.hostEvents.some((e) => e.kind === 'invocation' && e.functionName === 'resync'),
      'no resync ran: the event did it',
    );
  });

  it('an instance deleted: its node leaves the status', async () => {
    const before = (await w.status('gw'))!.status.gatewayVMProfiles!;
    await w.sandbox.arm.admin.deleteVmssInstance({ vmssId, instanceId: '1' });
    const item = await w.until('two gateway nodes in status', async () => {
      const i = await w.status('gw');
      return i?.status.gatewayVMProfiles?.length === 2 ? i : undefined;
    });
    assert.deepEqual(
      item.status.gatewayVMProfiles?.map((p) => p.nodeName),
      before.map((p) => p.nodeName).filter((n) => n !== 'aks-gw-vmss000001'),
    );
    assert.equal(readyOf(item), 'True/Reconciled');
  });

  it('a model rollout that strips the ipConfigs without any event is repaired by the resync', async () => {
    await w.settle();
    const ipc = `egressgateway-${w.uidOf('gw')}`;
    await w.sandbox.arm.admin.stripSecondaryIpConfigs({ vmssId });
    assert.ok(
      (await secondaryIps(ipc)).every((ip) => ip === undefined),
      'stripped',
    );
    const model = await w.sdk.compute.virtualMachineScaleSets.get(RG, 'aks-gw-vmss');
    assert.equal(
      model.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0]?.ipConfigurations?.some(
        (c) => c.name === ipc,
      ),
      false,
    );
    await w.sandbox.host.invokeTimer('resync');
    await w.until('the secondary ipConfigs back on every instance', async () =>
      (await secondaryIps(ipc)).every((ip) => ip !== undefined),
    );
    const repaired = await w.sdk.compute.virtualMachineScaleSets.get(RG, 'aks-gw-vmss');
    assert.ok(
      repaired.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0]?.ipConfigurations?.some(
        (c) => c.name === ipc,
      ),
      'the model carries it again',
    );
    await w.settle();
    assert.equal(readyOf(await w.status('gw')), 'True/Reconciled');
  });

  it('deleting a configuration removes every Azure sub-resource it created, public IPs before the prefix, then reports finalized', async () => {
    await w.apply('vm', { gatewayNodepoolName: 'vmgw', provisionPublicIps: true });
    await w.waitFor('vm', 'Reconciled');
    await w.settle();
    const uid = w.uidOf('vm');
    const ipc = `egressgateway-${uid}`;
    const pipsBefore = (await collect(w.sdk.network.publicIPAddresses.list(RG))).filter((p) =>
      p.name?.startsWith(ipc),
    );
    assert.equal(pipsBefore.length, 3, 'one public IP per NIC');
    w.sandbox.arm.admin.clearRequests();

    await w.remove('vm');
    const item = await w.until('finalized', async () => {
      const i = await w.status('vm');
      return i?.finalized === true ? i : undefined;
    });
    assert.equal(readyOf(item), 'False/Finalized');
    await noIpConfigOnVmPoolNics(ipc);
    const lb = await w.sdk.network.loadBalancers.get(RG, 'kubeegressgateway-ilb');
    assert.equal(
      lb.loadBalancingRules?.some((r) => r.name === uid),
      false,
      'rule gone',
    );
    assert.equal(
      lb.probes?.some((p) => p.name === uid),
      false,
      'probe gone',
    );
    assert.equal(
      lb.frontendIPConfigurations?.length,
      1,
      "the VM pool's frontend is gone, the VMSS pool's stays",
    );
    const pips = (await collect(w.sdk.network.publicIPAddresses.list(RG))).filter((p) =>
      p.name?.startsWith(ipc),
    );
    assert.deepEqual(pips, [], 'public IPs gone');
    await assert.rejects(w.sdk.network.publicIPPrefixes.get(RG, ipc), /not found/i, 'prefix gone');

    const deletes = w.sandbox.arm.admin
      .requests()
      .filter((r) => r.method === 'DELETE' && r.status < 300)
      .map((r) => r.resourceId ?? '');
    const lastPip = Math.max(...deletes.map((id, i) => (/\/publicIPAddresses\//i.test(id) ? i : -1)));
    const prefix = deletes.findIndex((id) => /\/publicIPPrefixes\//i.test(id));
    assert.ok(
      lastPip >= 0 && prefix > lastPip,
      `public IPs deleted before the prefix: ${deletes.join(', ')}`,
    );
  });

  it('a configuration moved to a nodepool that does not exist, then deleted, leaves nothing in Azure', async () => {
    await w.apply('moved', { gatewayNodepoolName: 'vmgw', provisionPublicIps: true });
    await w.waitFor('moved', 'Reconciled');
    await w.settle();
    const uid = w.uidOf('moved');
    const ipc = `egressgateway-${uid}`;
    await w.sdk.network.publicIPPrefixes.get(RG, ipc);
    // A typo in the nodepool name: the configuration can no longer be placed.
    await w.apply('moved', { gatewayNodepoolName: 'vmgwtypo', provisionPublicIps: true });
    await w.waitFor('moved', 'PoolNotFound');
    await w.remove('moved');
    await w.until('finalized', async () => (await w.status('moved'))?.finalized === true);
    await w.settle();
    await noIpConfigOnVmPoolNics(ipc);
    const pips = (await collect(w.sdk.network.publicIPAddresses.list(RG))).filter((p) =>
      p.name?.startsWith(ipc),
    );
    assert.deepEqual(
      pips.map((p) => p.name),
      [],
      'public IPs gone',
    );
    await assert.rejects(w.sdk.network.publicIPPrefixes.get(RG, ipc), /not found/i, 'prefix gone');
    const lb = await w.sdk.network.loadBalancers.get(RG, 'kubeegressgateway-ilb');
    assert.equal(lb.loadBalancingRules?.some((r) => r.name === uid) ?? false, false, 'rule gone');
  });

  it('deleting the last configuration of the VMSS pool empties the ILB and finalizes', async () => {
    await w.remove('gw');
    await w.until('finalized', async () => (await w.status('gw'))?.finalized === true);
    const ipc = `egressgateway-${w.uidOf('gw')}`;
    assert.ok((await secondaryIps(ipc)).every((ip) => ip === undefined));
    await assert.rejects(
      w.sdk.network.loadBalancers.get(RG, 'kubeegressgateway-ilb'),
      /not found/i,
      'the ILB is deleted with its last frontend',
    );
    await assert.rejects(w.sdk.network.publicIPPrefixes.get(RG, ipc), /not found/i);
  });
});
