/**
 * Contract of the ArmWriter port (`GatewayPools.apply`) against the ARM stand-in through the real SDK
 * clients: every plan step kind is written with its ETag condition and awaited to the end of its
 * long-running operation; a stale ETag, a concurrent operation, throttling, outages, failed
 * operations and Azure's refusals each come back as the class of egret's taxonomy the use case acts on.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  ConflictError,
  InvariantError,
  NotFoundError,
  TransientError,
  ValidationError,
} from '../../../shared/core/errors.js';
import type {
  LoadBalancer,
  NetworkInterface,
  NicIpConfiguration,
  VirtualMachineScaleSet,
  VirtualMachineScaleSetVm,
  VmssIpConfiguration,
  VmssNetworkConfiguration,
} from '../../../shared/core/observed.js';
import type { PlanStep } from '../../../shared/core/plan.js';
import type { ArmPoolWorld } from './support/armPoolWorld.js';
import { FRONTEND_SUBNET, startArmPoolWorld } from './support/armPoolWorld.js';

const SKU = { name: 'Standard', tier: 'Regional' };

describe('ArmWriter against the ARM stand-in', () => {
  let w: ArmPoolWorld;
  let ids: {
    prefix: string;
    pip: string;
    lb: string;
    vmss: string;
    nic: string;
    tinyNic: string;
    frontendSubnet: string;
  };
  before(async () => {
    w = await startArmPoolWorld({
      vnet: {
        subnets: [
          { name: 'aks-subnet', addressPrefix: '10.224.0.0/24' },
          { name: FRONTEND_SUBNET, addressPrefix: '10.224.1.0/24' },
          // 8 addresses, 5 reserved by Azure: room for 3.
          { name: 'tiny', addressPrefix: '10.224.2.0/29' },
        ],
      },
      scaleSets: [{ name: 'gw', capacity: 3, poolName: 'gw', gatewayPrefixSize: 31 }],
      vms: [{ name: 'sa-1' }, { name: 'tiny-1', subnet: 'tiny' }],
    });
    const net = `${w.world.resourceGroupId}/providers/Microsoft.Network`;
    ids = {
      prefix: `${net}/publicIPPrefixes/egressgateway-w1`,
      pip: `${net}/publicIPAddresses/egressgateway-w1-nic`,
      lb: `${net}/loadBalancers/kubeegressgateway-ilb`,
      vmss: w.world.scaleSets['gw']?.id ?? '',
      nic: w.world.vms['sa-1']?.nicId ?? '',
      tinyNic: w.world.vms['tiny-1']?.nicId ?? '',
      frontendSubnet: w.world.subnetIds[FRONTEND_SUBNET] ?? '',
    };
  });
  after(() => w.stop());
  beforeEach(() => {
    w.standIn.admin.clearFaults();
    w.standIn.admin.clearRequests();
  });

  const apply = (step: PlanStep) => w.pools.apply(step, w.signal);
  const getNic = async (id: string): Promise<NetworkInterface> =>
    (await w.pools.getNetworkInterface(id, w.signal)) as NetworkInterface;
  const getVmss = async (): Promise<VirtualMachineScaleSet> => {
    const m = await w.pools.observePoolMembers(
      { kind: 'vmss', resourceGroup: w.rg, vmssName: 'gw' },
      w.signal,
    );
    assert.ok(m.kind === 'vmss' && m.vmss !== undefined);
    return m.vmss;
  };
  const instances = async (): Promise<readonly VirtualMachineScaleSetVm[]> => {
    const m = await w.pools.observePoolMembers(
      { kind: 'vmss', resourceGroup: w.rg, vmssName: 'gw' },
      w.signal,
    );
    assert.ok(m.kind === 'vmss');
    return m.instances.map((i) => i.vm);
  };
  const nicStep = (
    nic: NetworkInterface,
    ipConfigurations: readonly NicIpConfiguration[],
    ifMatch = nic.etag,
  ) =>
    ({
      kind: 'put-network-interface',
      phase: 'members',
      resourceId: nic.id,
      uids: [],
      reasons: ['test'],
      ...(ifMatch === undefined ? {} : { ifMatch }),
      body: { ...nic, ipConfigurations },
    }) satisfies PlanStep;
  const secondary = (nic: NetworkInterface, name: string): NicIpConfiguration => ({
    name,
    primary: false,
    privateIPAddressVersion: 'IPv4',
    subnet: { id: nic.ipConfigurations?.[0]?.subnet?.id ?? '' },
  });
  const withSecondary = (configs: readonly VmssNetworkConfiguration[], ipc: VmssIpConfiguration) =>
    configs.map((c) =>
      c.primary === true ? { ...c, ipConfigurations: [...(c.ipConfigurations ?? []), ipc] } : c,
    );
  const vmssIpConfig = (name: string, prefixId?: string): VmssIpConfiguration => ({
    name,
    primary: false,
    privateIPAddressVersion: 'IPv4',
    subnet: { id: w.world.subnetIds['aks-subnet'] ?? '' },
    ...(prefixId === undefined
      ? {}
      : { publicIPAddressConfiguration: { name, publicIPPrefix: { id: prefixId } } }),
  });

  it('public IP prefix and public IP: created with If-None-Match: *, a second create is a ConflictError', async () => {
    const created = await apply({
      kind: 'put-public-ip-prefix',
      phase: 'create-prefixes',
      resourceId: ids.prefix,
      uids: [],
      reasons: ['test'],
      body: {
        name: 'egressgateway-w1',
        location: w.world.location,
        sku: SKU,
        prefixLength: 30,
        publicIPAddressVersion: 'IPv4',
      },
    });
    assert.ok(created.etag !== undefined);
    const prefix = await w.pools.getPublicIpPrefix(ids.prefix, w.signal);
    assert.equal(prefix?.prefixLength, 30);
    assert.equal(prefix?.etag, created.etag, 'the returned ETag is the current one');
    await assert.rejects(
      apply({
        kind: 'put-public-ip-prefix',
        phase: 'create-prefixes',
        resourceId: ids.prefix,
        uids: [],
        reasons: ['test'],
        body: {
          name: 'egressgateway-w1',
          location: w.world.location,
          sku: SKU,
          prefixLength: 28,
          publicIPAddressVersion: 'IPv4',
        },
      }),
      (e: unknown) => e instanceof ConflictError && e.detail === 'PreconditionFailed',
    );
    assert.equal((await w.pools.getPublicIpPrefix(ids.prefix, w.signal))?.prefixLength, 30, 'not replaced');

    await apply({
      kind: 'put-public-ip',
      phase: 'create-public-ips',
      resourceId: ids.pip,
      uids: [],
      reasons: ['test'],
      body: {
        name: 'egressgateway-w1-nic',
        location: w.world.location,
        sku: SKU,
        publicIPAddressVersion: 'IPv4',
        publicIPAllocationMethod: 'Static',
        publicIPPrefix: { id: ids.prefix },
      },
    });
    const [pip] = await w.pools.listPrefixPublicIps(w.rg, w.signal);
    assert.equal(pip?.name, 'egressgateway-w1-nic');
    assert.ok(
      pip?.ipAddress !== undefined &&
        (prefix?.ipPrefix ?? '').startsWith(pip.ipAddress.split('.').slice(0, 3).join('.')),
    );
  });

  it('NIC PUT with If-Match: applied and awaited (the new ipConfig has its private IP); a stale ETag is a ConflictError and changes nothing', async () => {
    const nic = await getNic(ids.nic);
    const applied = await apply(
      nicStep(nic, [...(nic.ipConfigurations ?? []), secondary(nic, 'egressgateway-w1')]),
    );
    const after1 = await getNic(ids.nic);
    assert.equal(after1.etag, applied.etag);
    assert.match(
      after1.ipConfigurations?.find((c) => c.name === 'egressgateway-w1')?.privateIPAddress ?? '',
      /^10\.224\.0\./,
    );
    await assert.rejects(
      apply(nicStep(nic, [...(nic.ipConfigurations ?? [])])),
      (e: unknown) => e instanceof ConflictError && e.detail === 'PreconditionFailed',
    );
    assert.equal(
      (await getNic(ids.nic)).ipConfigurations?.length,
      2,
      'the stale write did not remove the ipConfig',
    );
    const puts = w.standIn.admin
      .writeCounts()
      .find((c) => c.resourceId.toLowerCase() === ids.nic.toLowerCase());
    assert.deepEqual([puts?.total, puts?.accepted], [2, 1]);
    await apply(
      nicStep(
        after1,
        (after1.ipConfigurations ?? []).filter((c) => c.name !== 'egressgateway-w1'),
      ),
    );
  });

  it('load balancer: create, update with If-Match, stale update refused, delete with If-Match', async () => {
    const body = (lb?: LoadBalancer) => ({
      ...(lb ?? { name: 'kubeegressgateway-ilb', location: w.world.location, sku: SKU }),
      frontendIPConfigurations: [
        {
          name: 'pool-a',
          privateIPAddressVersion: 'IPv4',
          privateIPAllocationMethod: 'Dynamic',
          subnet: { id: ids.frontendSubnet },
        },
      ],
      backendAddressPools: [{ name: 'pool-a' }],
      loadBalancingRules: [] as never[],
      probes: [
        {
          name: 'p1',
          protocol: 'Http',
          port: 8082,
          requestPath: '/gw/p1',
          intervalInSeconds: 5,
          probeThreshold: 1,
        },
      ],
    });
    await apply({
      kind: 'put-load-balancer',
      phase: 'lb-before-members',
      resourceId: ids.lb,
      uids: [],
      reasons: ['test'],
      body: body(),
    });
    const lb = await w.pools.getLoadBalancer(w.rg, 'kubeegressgateway-ilb', w.signal);
    assert.match(lb?.frontendIPConfigurations?.[0]?.privateIPAddress ?? '', /^10\.224\.1\./);
    const update = (from: LoadBalancer, ifMatch: string | undefined, probeName: string) =>
      apply({
        kind: 'put-load-balancer',
        phase: 'lb-after-members',
        resourceId: ids.lb,
        uids: [],
        reasons: ['test'],
        ...(ifMatch === undefined ? {} : { ifMatch }),
        body: {
          ...body(from),
          probes: [{ ...body(from).probes[0], name: probeName, requestPath: `/gw/${probeName}` }],
        },
      });
    assert.ok(lb !== undefined);
    await update(lb, lb.etag, 'p2');
    await assert.rejects(update(lb, lb.etag, 'p3'), ConflictError);
    const now = await w.pools.getLoadBalancer(w.rg, 'kubeegressgateway-ilb', w.signal);
    assert.deepEqual(
      now?.probes?.map((p) => p.name),
      ['p2'],
    );
    await assert.rejects(
      apply({
        kind: 'delete-load-balancer',
        phase: 'lb-after-members',
        resourceId: ids.lb,
        uids: [],
        reasons: ['test'],
        ifMatch: lb.etag ?? '',
      }),
      ConflictError,
    );
    await apply({
      kind: 'delete-load-balancer',
      phase: 'lb-after-members',
      resourceId: ids.lb,
      uids: [],
      reasons: ['test'],
      ifMatch: now?.etag ?? '',
    });
    assert.equal(await w.pools.getLoadBalancer(w.rg, 'kubeegressgateway-ilb', w.signal), undefined);
  });

  it('deletes: public IP before its prefix (the prefix refuses while in use: ConflictError); an absent resource is already deleted', async () => {
    const prefix = await w.pools.getPublicIpPrefix(ids.prefix, w.signal);
    await assert.rejects(
      apply({
        kind: 'delete-public-ip-prefix',
        phase: 'delete-prefixes',
        resourceId: ids.prefix,
        uids: [],
        reasons: ['test'],
        ifMatch: prefix?.etag ?? '',
      }),
      (e: unknown) => e instanceof ConflictError && e.detail === 'InUsePublicIpPrefixCannotBeDeleted',
    );
    const [pip] = await w.pools.listPrefixPublicIps(w.rg, w.signal);
    await apply({
      kind: 'delete-public-ip',
      phase: 'delete-public-ips',
      resourceId: ids.pip,
      uids: [],
      reasons: ['test'],
      ifMatch: pip?.etag ?? '',
    });
    const fresh = await w.pools.getPublicIpPrefix(ids.prefix, w.signal);
    await apply({
      kind: 'delete-public-ip-prefix',
      phase: 'delete-prefixes',
      resourceId: ids.prefix,
      uids: [],
      reasons: ['test'],
      ifMatch: fresh?.etag ?? '',
    });
    assert.equal(await w.pools.getPublicIpPrefix(ids.prefix, w.signal), undefined);
    await apply({
      kind: 'delete-public-ip',
      phase: 'delete-public-ips',
      resourceId: ids.pip,
      uids: [],
      reasons: ['test'],
    });
  });

  it('VMSS model PUT and instance PUT with ifMatch; the instance PUT applies the model (latestModelApplied)', async () => {
    const vmss = await getVmss();
    const configs = vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [];
    const model = await apply({
      kind: 'put-vmss',
      phase: 'vmss-model',
      resourceId: vmss.id,
      uids: [],
      reasons: ['test'],
      ...(vmss.etag === undefined ? {} : { ifMatch: vmss.etag }),
      body: {
        ...vmss,
        virtualMachineProfile: {
          ...vmss.virtualMachineProfile,
          networkProfile: {
            ...vmss.virtualMachineProfile?.networkProfile,
            networkInterfaceConfigurations: withSecondary(configs, vmssIpConfig('egressgateway-m1')),
          },
        },
      },
    });
    assert.equal((await getVmss()).etag, model.etag);
    await assert.rejects(
      apply({
        kind: 'put-vmss',
        phase: 'vmss-model',
        resourceId: vmss.id,
        uids: [],
        reasons: ['test'],
        ifMatch: vmss.etag ?? '',
        body: vmss,
      }),
      (e: unknown) => e instanceof ConflictError && e.detail === 'PreconditionFailed',
    );
    const [first] = await instances();
    assert.ok(first !== undefined);
    assert.equal(
      first.latestModelApplied,
      false,
      'Manual upgrade policy: the model change did not reach the instance',
    );
    const instanceConfigs = first.networkProfileConfiguration?.networkInterfaceConfigurations ?? [];
    await apply({
      kind: 'put-vmss-instance',
      phase: 'members',
      resourceId: first.id,
      vmssName: 'gw',
      instanceId: first.instanceId,
      uids: [],
      reasons: ['test'],
      ...(first.etag === undefined ? {} : { ifMatch: first.etag }),
      body: {
        ...first,
        networkProfileConfiguration: {
          networkInterfaceConfigurations: withSecondary(instanceConfigs, vmssIpConfig('egressgateway-m1')),
        },
      },
    });
    const [updated] = await instances();
    assert.equal(updated?.latestModelApplied, true);
    assert.ok(updated?.etag !== first.etag);
  });

  it('a concurrent operation on the scale set (409 Conflict from Compute) is a ConflictError', async () => {
    w.standIn.admin.setLatency({ lroMs: { vmssVmWrite: 400 } });
    try {
      const [, second] = await instances();
      assert.ok(second !== undefined);
      const slow = apply({
        kind: 'put-vmss-instance',
        phase: 'members',
        resourceId: second.id,
        vmssName: 'gw',
        instanceId: second.instanceId,
        uids: [],
        reasons: ['test'],
        body: second,
      });
      const vmss = await getVmss();
      await assert.rejects(
        apply({
          kind: 'put-vmss',
          phase: 'vmss-model',
          resourceId: vmss.id,
          uids: [],
          reasons: ['test'],
          ...(vmss.etag === undefined ? {} : { ifMatch: vmss.etag }),
          body: vmss,
        }),
        (e: unknown) => e instanceof ConflictError && e.detail === 'Conflict',
      );
      await slow;
    } finally {
      w.standIn.admin.setLatency({ lroMs: { vmssVmWrite: 0 } });
    }
  });

  it('throttling is retried by the SDK (same request, Retry-After honoured); a persistent 500 is a TransientError after the SDK retries', async () => {
    const nic = await getNic(ids.nic);
    w.standIn.admin.addFault({
      method: 'PUT',
      path: '/networkInterfaces/sa-1-nic$',
      status: 429,
      code: 'SubscriptionRequestsThrottled',
      retryAfterSeconds: 0,
      count: 1,
    });
    await apply(nicStep(nic, nic.ipConfigurations ?? []));
    const puts = w.standIn.admin.requests().filter((r) => r.method === 'PUT');
    assert.deepEqual(
      puts.map((r) => r.status),
      [429, 200],
    );
    assert.equal(puts[0]?.clientRequestId, puts[1]?.clientRequestId);

    w.standIn.admin.clearRequests();
    const current = await getNic(ids.nic);
    w.standIn.admin.addFault({
      method: 'PUT',
      path: '/networkInterfaces/sa-1-nic$',
      status: 500,
      code: 'InternalServerError',
    });
    await assert.rejects(
      apply(nicStep(current, current.ipConfigurations ?? [])),
      (e: unknown) => e instanceof TransientError && e.detail === 'InternalServerError',
    );
    assert.equal(
      w.standIn.admin.requests().filter((r) => r.method === 'PUT').length,
      4,
      'the first try and 3 SDK retries',
    );
  });

  it('an injected 409 and 503 with Retry-After come back as ConflictError and TransientError{retryAfterMs}', async () => {
    const nic = await getNic(ids.nic);
    w.standIn.admin.addFault({
      method: 'PUT',
      path: '/networkInterfaces/sa-1-nic$',
      status: 409,
      code: 'AnotherOperationInProgress',
      count: 1,
    });
    await assert.rejects(
      apply(nicStep(nic, nic.ipConfigurations ?? [])),
      (e: unknown) => e instanceof ConflictError && e.detail === 'AnotherOperationInProgress',
    );
    w.standIn.admin.addFault({
      method: 'PUT',
      path: '/networkInterfaces/sa-1-nic$',
      status: 503,
      code: 'ServiceUnavailable',
      retryAfterSeconds: 0,
    });
    await assert.rejects(
      apply(nicStep(nic, nic.ipConfigurations ?? [])),
      (e: unknown) =>
        e instanceof TransientError && e.retryAfterMs === 0 && e.detail === 'ServiceUnavailable',
    );
  });

  it('a failed long-running operation: a platform code is a TransientError, and the instance is left Failed', async () => {
    const [, , third] = await instances();
    assert.ok(third !== undefined);
    w.standIn.admin.addFault({
      method: 'PUT',
      path: `/virtualMachines/${third.instanceId}$`,
      lroFailure: true,
      code: 'AllocationFailed',
      message: 'Allocation failed.',
      count: 1,
    });
    await assert.rejects(
      apply({
        kind: 'put-vmss-instance',
        phase: 'members',
        resourceId: third.id,
        vmssName: 'gw',
        instanceId: third.instanceId,
        uids: [],
        reasons: ['test'],
        ...(third.etag === undefined ? {} : { ifMatch: third.etag }),
        body: third,
      }),
      (e: unknown) =>
        e instanceof TransientError && e.detail === 'AllocationFailed' && /AllocationFailed/.test(e.message),
    );
    assert.equal(
      (await instances()).find((i) => i.instanceId === third.instanceId)?.provisioningState,
      'Failed',
    );
  });

  it('Azure refusals a person must fix are ValidationErrors with the ARM code: SubnetIsFull (400), prefix exhausted by the scale set (failed operation)', async () => {
    const tiny = await getNic(ids.tinyNic);
    const more = ['egressgateway-t1', 'egressgateway-t2', 'egressgateway-t3'].map((n) => secondary(tiny, n));
    await assert.rejects(
      apply(nicStep(tiny, [...(tiny.ipConfigurations ?? []), ...more])),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.detail === 'SubnetIsFull' &&
        /SubnetIsFull/.test(e.problems[0]?.message ?? ''),
    );
    // A /31 prefix has 2 addresses; the scale set has 3 instances.
    await w.clients.network.publicIPPrefixes.createOrUpdate(w.rg, 'egressgateway-small', {
      location: w.world.location,
      sku: SKU,
      prefixLength: 31,
      publicIPAddressVersion: 'IPv4',
    });
    const prefixId = `${w.world.resourceGroupId}/providers/Microsoft.Network/publicIPPrefixes/egressgateway-small`;
    const vmss = await getVmss();
    const configs = vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [];
    await apply({
      kind: 'put-vmss',
      phase: 'vmss-model',
      resourceId: vmss.id,
      uids: [],
      reasons: ['test'],
      ...(vmss.etag === undefined ? {} : { ifMatch: vmss.etag }),
      body: {
        ...vmss,
        virtualMachineProfile: {
          ...vmss.virtualMachineProfile,
          networkProfile: {
            networkInterfaceConfigurations: withSecondary(
              configs,
              vmssIpConfig('egressgateway-small', prefixId),
            ),
          },
        },
      },
    });
    const results = await Promise.allSettled(
      (await instances()).map((vm) => {
        const own = vm.networkProfileConfiguration?.networkInterfaceConfigurations ?? [];
        return apply({
          kind: 'put-vmss-instance',
          phase: 'members',
          resourceId: vm.id,
          vmssName: 'gw',
          instanceId: vm.instanceId,
          uids: [],
          reasons: ['test'],
          ...(vm.etag === undefined ? {} : { ifMatch: vm.etag }),
          body: {
            ...vm,
            networkProfileConfiguration: {
              networkInterfaceConfigurations: withSecondary(
                own,
                vmssIpConfig('egressgateway-small', prefixId),
              ),
            },
          },
        });
      }),
    );
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
    assert.equal(refused.length, 1, 'two instances got the two addresses, the third was refused');
    assert.ok(
      refused[0] instanceof ValidationError &&
        refused[0].detail === 'PublicIpPrefixOutOfIpAddressesForVMScaleSet',
      String(refused[0]),
    );
  });

  it('a PUT into a missing resource group is a NotFoundError; a request Azure calls malformed is an InvariantError', async () => {
    const nic = await getNic(ids.nic);
    const elsewhere = ids.nic.replace(`/resourceGroups/${w.rg}/`, '/resourceGroups/rg-gone/');
    await assert.rejects(
      apply({ ...nicStep(nic, nic.ipConfigurations ?? [], undefined), resourceId: elsewhere }),
      NotFoundError,
    );
    const lb = {
      name: 'kubeegressgateway-ilb',
      location: w.world.location,
      sku: SKU,
      frontendIPConfigurations: [
        { name: 'f', privateIPAllocationMethod: 'Dynamic', subnet: { id: ids.frontendSubnet } },
      ],
      backendAddressPools: [{ name: 'b' }],
      probes: [],
      loadBalancingRules: [1, 2].map((n) => ({
        name: `r${n}`,
        protocol: 'Udp',
        frontendPort: 6000 + n,
        backendPort: 6000,
        enableFloatingIP: false,
        frontendIPConfiguration: { id: `${ids.lb}/frontendIPConfigurations/f` },
        backendAddressPool: { id: `${ids.lb}/backendAddressPools/b` },
      })),
    };
    await assert.rejects(
      apply({
        kind: 'put-load-balancer',
        phase: 'lb-before-members',
        resourceId: ids.lb,
        uids: [],
        reasons: ['test'],
        body: lb,
      }),
      (e: unknown) => e instanceof InvariantError && e.detail === 'RulesUseSameBackendPortProtocolAndPool',
    );
  });
});
