/**
 * Scenarios (issue §7), through the local Functions host, the real SDKs and Azurite: a configuration on
 * each pool kind converges with the expected Azure state; a bring-your-own prefix; private-IP mode on
 * the VirtualMachines pool keeps its IPs when a VM is replaced; an invalid spec gets a condition and no
 * Azure write. Azure state is read back through the real @azure/arm-* clients.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a64Hex } from '../../shared/core/fnv1a64.js';
import { createWorld, readyOf, RG, type World } from './support/world.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('a configuration on each pool kind, through the control plane', () => {
  let w: World;
  before(async () => {
    w = await createWorld();
  });
  after(() => w.stop());

  it('VMSS nodepool: prefix, ILB frontend/rule/probe, model and every instance carry the gateway', async () => {
    await w.apply('vmss-gw', { gatewayNodepoolName: 'gw', provisionPublicIps: true });
    const item = await w.waitFor('vmss-gw', 'Reconciled');
    const uid = w.uidOf('vmss-gw');
    const ipc = `egressgateway-${uid}`;

    const prefix = await w.sdk.network.publicIPPrefixes.get(RG, ipc);
    assert.equal(prefix.prefixLength, 31, 'the nodepool tag asks for /31');
    assert.equal(item.status.egressIpPrefix, prefix.ipPrefix);

    const vmss = await w.sdk.compute.virtualMachineScaleSets.get(RG, 'aks-gw-vmss');
    const model = vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0];
    const secondary = model?.ipConfigurations?.find((c) => c.name === ipc);
    assert.equal(
      secondary?.publicIPAddressConfiguration?.publicIPPrefix?.id?.toLowerCase(),
      prefix.id?.toLowerCase(),
    );

    const nics = await collect(
      w.sdk.network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(RG, 'aks-gw-vmss'),
    );
    assert.equal(nics.length, 2);
    const secondaries = nics
      .map((n) => n.ipConfigurations?.find((c) => c.name === ipc)?.privateIPAddress)
      .sort();
    assert.ok(secondaries.every((ip) => ip !== undefined));
    assert.deepEqual(
      item.status.gatewayVMProfiles?.map((p) => p.secondaryIP).sort(),
      secondaries,
      'status lists every node with the secondary IP Azure allocated',
    );

    const lb = await w.sdk.network.loadBalancers.get(RG, 'kubeegressgateway-ilb');
    const rule = lb.loadBalancingRules?.find((r) => r.name === uid);
    const probe = lb.probes?.find((p) => p.name === uid);
    assert.equal(rule?.frontendPort, item.status.gatewayServerProfile?.port);
    assert.equal(rule?.backendPort, rule?.frontendPort);
    assert.equal(rule?.protocol, 'Udp');
    assert.equal(rule?.enableFloatingIP, true);
    assert.equal(probe?.requestPath, `/gw/${uid}`);
    assert.equal(probe?.port, 8082);
    const frontend = lb.frontendIPConfigurations?.find(
      (f) => f.id?.toLowerCase() === rule?.frontendIPConfiguration?.id?.toLowerCase(),
    );
    assert.equal(frontend?.privateIPAddress, item.status.gatewayServerProfile?.ip);
    assert.equal(frontend?.name, vmss.uniqueId, 'the frontend is named by the pool unique id (upstream)');
  });

  it('AKS VirtualMachines pool (public): every pre-created NIC gets an ipConfig and a public IP from the prefix', async () => {
    await w.apply('vmpool-gw', { gatewayNodepoolName: 'vmgw', provisionPublicIps: true });
    const item = await w.waitFor('vmpool-gw', 'Reconciled');
    const ipc = `egressgateway-${w.uidOf('vmpool-gw')}`;
    const prefix = await w.sdk.network.publicIPPrefixes.get(RG, ipc);
    assert.equal(prefix.prefixLength, 30);
    assert.equal(item.status.egressIpPrefix, prefix.ipPrefix);
    for (const i of [0, 1, 2, 3]) {
      const nicName = `aks-vmgw-${i}-nic`;
      const nic = await w.sdk.network.networkInterfaces.get(RG, nicName);
      const secondary = nic.ipConfigurations?.find((c) => c.name === ipc);
      assert.ok(secondary?.privateIPAddress, `${nicName} has the secondary ipConfig`);
      const pipName = `${ipc}-${fnv1a64Hex(nicName)}`;
      assert.equal(secondary.publicIPAddress?.id?.toLowerCase().endsWith(`/${pipName}`.toLowerCase()), true);
      const pip = await w.sdk.network.publicIPAddresses.get(RG, pipName);
      assert.equal(pip.publicIPPrefix?.id?.toLowerCase(), prefix.id?.toLowerCase());
    }
    assert.deepEqual(
      item.status.gatewayVMProfiles?.map((p) => p.nodeName),
      ['aks-vmgw-0-nic', 'aks-vmgw-1-nic', 'aks-vmgw-2-nic', 'aks-vmgw-3-nic'],
      'node names are the NIC names, as upstream reports them for VirtualMachines pools',
    );
  });

  it('standalone VMs: the primary NIC of each named VM', async () => {
    await w.apply('standalone-gw', {
      gatewayProfile: {
        standaloneVMProfile: {
          vmResourceGroup: RG,
          vmNames: ['standalone-1', 'standalone-2'],
          publicIpPrefixSize: 31,
        },
      },
      provisionPublicIps: true,
    });
    const item = await w.waitFor('standalone-gw', 'Reconciled');
    const ipc = `egressgateway-${w.uidOf('standalone-gw')}`;
    for (const vm of ['standalone-1', 'standalone-2']) {
      const nic = await w.sdk.network.networkInterfaces.get(RG, `${vm}-nic`);
      assert.ok(
        nic.ipConfigurations?.find((c) => c.name === ipc)?.privateIPAddress,
        `${vm}-nic carries the gateway`,
      );
    }
    assert.equal(item.status.gatewayVMProfiles?.length, 2);
    assert.match(item.status.egressIpPrefix ?? '', /\/31$/);
  });

  it('bring-your-own prefix: its CIDR is the egress prefix and no managed prefix is made', async () => {
    const byo = await w.sdk.network.publicIPPrefixes.beginCreateOrUpdateAndWait(RG, 'customer-owned', {
      location: 'westeurope',
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength: 31,
      publicIPAddressVersion: 'IPv4',
    });
    await w.apply('byo-gw', {
      gatewayNodepoolName: 'gw',
      provisionPublicIps: true,
      publicIpPrefixId: byo.id!,
    });
    const item = await w.waitFor('byo-gw', 'Reconciled');
    assert.equal(item.status.egressIpPrefix, byo.ipPrefix);
    const managed = await collect(w.sdk.network.publicIPPrefixes.list(RG));
    assert.equal(
      managed.some((p) => p.name === `egressgateway-${w.uidOf('byo-gw')}`),
      false,
      'no managed prefix for a BYO configuration',
    );
  });

  it('private-IP mode on the VirtualMachines pool: the egress IPs survive a VM replacement', async () => {
    await w.apply('private-gw', { gatewayNodepoolName: 'vmgw', provisionPublicIps: false });
    const item = await w.waitFor('private-gw', 'Reconciled');
    const ips = item.status.egressIpPrefix?.split(',') ?? [];
    assert.equal(ips.length, 4, 'one secondary private IP per pre-created NIC');
    assert.deepEqual([...ips].sort(), ips.slice().sort(), 'sorted');
    assert.ok(ips.every((ip) => /^10\.224\.\d+\.\d+$/.test(ip)));

    const vmId = w.sandbox.seeded.vmPools['vmgw']!.vmIds[0]!;
    const handled = w.hostEvents.length;
    await w.sandbox.arm.admin.replaceVm({ vmId });
    await w.settle();
    assert.ok(
      w.hostEvents.slice(handled).some((e) => e.kind === 'invocation' && e.functionName === 'reconcile'),
      'the replacement events made the pool reconcile',
    );
    const after = await w.status('private-gw');
    assert.equal(readyOf(after), 'True/Reconciled');
    assert.equal(after?.status.egressIpPrefix, item.status.egressIpPrefix, 'egress IPs unchanged');
    const nic = await w.sdk.network.networkInterfaces.get(RG, 'aks-vmgw-0-nic');
    assert.ok(
      ips.includes(
        nic.ipConfigurations?.find((c) => c.name === `egressgateway-${w.uidOf('private-gw')}`)
          ?.privateIPAddress ?? '',
      ),
    );
  });

  it('an invalid spec gets InvalidSpec naming the field, and no Azure write is made', async () => {
    await w.settle();
    w.sandbox.arm.admin.clearRequests();
    await w.apply('invalid-gw', {
      gatewayNodepoolName: 'gw',
      provisionPublicIps: true,
      excludeCidrs: ['10.0.0.0/33'],
    });
    const item = await w.waitFor('invalid-gw', 'InvalidSpec');
    assert.match(item.status.conditions?.[0]?.message ?? '', /spec\.excludeCidrs\[0\]/);
    await w.settle();
    assert.deepEqual([...w.writes().keys()], [], 'no ARM write');
  });

  it('standalone VM sets that partly overlap are two pools: the later one is refused, naming the VM and the field', async () => {
    await w.apply('standalone-lone', {
      gatewayProfile: {
        standaloneVMProfile: { vmResourceGroup: RG, vmNames: ['standalone-2'], publicIpPrefixSize: 31 },
      },
      provisionPublicIps: true,
    });
    const item = await w.waitFor('standalone-lone', 'InvalidSpec');
    assert.match(
      item.status.conditions?.[0]?.message ?? '',
      /spec\.gatewayProfile\.standaloneVMProfile\.vmNames: shares VM\(s\) standalone-2 with default\/standalone-gw/,
    );
    await w.settle();
    const nic = await w.sdk.network.networkInterfaces.get(RG, 'standalone-2-nic');
    assert.equal(
      nic.ipConfigurations?.some((c) => c.name === `egressgateway-${w.uidOf('standalone-lone')}`),
      false,
      'nothing of the refused configuration on the shared VM',
    );
    assert.equal(readyOf(await w.status('standalone-gw')), 'True/Reconciled', 'the first one keeps working');
  });

  it('a BYO prefix already serving a configuration in another pool is refused, naming the field', async () => {
    const byo = await w.sdk.network.publicIPPrefixes.get(RG, 'customer-owned');
    await w.apply('byo-other', {
      gatewayNodepoolName: 'vmgw',
      provisionPublicIps: true,
      publicIpPrefixId: byo.id!,
    });
    const item = await w.waitFor('byo-other', 'InvalidSpec');
    assert.match(
      item.status.conditions?.[0]?.message ?? '',
      /spec\.publicIpPrefixId: is already used by default\/byo-gw/,
    );
    assert.equal(readyOf(await w.status('byo-gw')), 'True/Reconciled', 'the first one keeps working');
  });
});
