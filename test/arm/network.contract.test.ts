/**
 * Network operations through the real @azure/arm-network client: NICs, load balancers, public IP
 * prefixes and addresses, subnets — with ARM's allocation rules and error codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NetworkInterfaceIPConfiguration } from '@azure/arm-network';
import { collect, rejectsWith } from './support/armAssertions.js';
import type { StandInWorld } from './support/standInWorld.js';
import { startStandInWorld } from './support/standInWorld.js';

describe('network contract (real @azure/arm-network against the stand-in)', () => {
  let w: StandInWorld;
  let subnet: string;
  let small: string;
  before(async () => {
    w = await startStandInWorld(
      {
        vnet: {
          subnets: [
            { name: 'aks-subnet', addressPrefix: '10.224.0.0/24' },
            { name: 'small', addressPrefix: '10.225.0.0/29' },
          ],
        },
        vmPools: [{ poolName: 'vmgw', nicCount: 2, vmCount: 1 }],
      },
      { pageSize: 2 },
    );
    subnet = w.world.subnetIds['aks-subnet'] ?? '';
    small = w.world.subnetIds['small'] ?? '';
  });
  after(() => w.stop());

  const nicBody = (ipConfigurations: NetworkInterfaceIPConfiguration[], tags?: Record<string, string>) => ({
    location: w.world.location,
    ipConfigurations,
    ...(tags === undefined ? {} : { tags }),
  });

  it('creates a NIC with dynamic and static addresses, network etag, ipConfiguration ids; keeps dynamic IPs on update', async () => {
    const nic = await w.network.networkInterfaces.createOrUpdate(
      w.rg,
      'nic-a',
      nicBody([
        { name: 'primary', primary: true, subnet: { id: subnet } },
        {
          name: 'fixed',
          primary: false,
          subnet: { id: subnet },
          privateIPAllocationMethod: 'Static',
          privateIPAddress: '10.224.0.200',
        },
      ]),
    );
    assert.equal(nic.provisioningState, 'Succeeded');
    assert.match(nic.etag ?? '', /^W\/"[0-9a-f-]{36}"$/);
    const [p, f] = nic.ipConfigurations ?? [];
    assert.equal(p?.id, `${nic.id ?? ''}/ipConfigurations/primary`);
    assert.equal(p?.privateIPAllocationMethod, 'Dynamic');
    assert.equal(f?.privateIPAddress, '10.224.0.200');
    const again = await w.network.networkInterfaces.createOrUpdate(
      w.rg,
      'nic-a',
      nicBody([...(nic.ipConfigurations ?? []), { name: 'more', subnet: { id: subnet } }]),
    );
    assert.equal(again.ipConfigurations?.[0]?.privateIPAddress, p?.privateIPAddress, 'dynamic address kept');
    assert.notEqual(again.etag, nic.etag);
    for (const [address, code] of [
      ['10.224.0.200', 'PrivateIPAddressIsAllocated'],
      ['10.9.0.5', 'PrivateIPAddressNotInSubnet'],
      ['10.224.0.1', 'PrivateIPAddressInReservedRange'],
    ] as const)
      await rejectsWith(
        w.network.networkInterfaces.createOrUpdate(
          w.rg,
          'nic-b',
          nicBody([
            {
              name: 'x',
              subnet: { id: subnet },
              privateIPAllocationMethod: 'Static',
              privateIPAddress: address,
            },
          ]),
        ),
        400,
        code,
      );
  });

  it('rejects NICs with two primaries, with a missing subnet or pool, or above 256 ipConfigurations', async () => {
    await rejectsWith(
      w.network.networkInterfaces.createOrUpdate(
        w.rg,
        'bad',
        nicBody([
          { name: 'a', primary: true, subnet: { id: subnet } },
          { name: 'b', primary: true, subnet: { id: subnet } },
        ]),
      ),
      400,
      'NicMustHaveExactlyOnePrimaryIpConfiguration',
    );
    await rejectsWith(
      w.network.networkInterfaces.createOrUpdate(
        w.rg,
        'bad',
        nicBody([{ name: 'a', subnet: { id: `${subnet}x` } }]),
      ),
      400,
      'InvalidResourceReference',
    );
    await rejectsWith(
      w.network.networkInterfaces.createOrUpdate(
        w.rg,
        'bad',
        nicBody([
          {
            name: 'a',
            subnet: { id: subnet },
            loadBalancerBackendAddressPools: [
              {
                id: `${w.world.resourceGroupId}/providers/Microsoft.Network/loadBalancers/nope/backendAddressPools/p`,
              },
            ],
          },
        ]),
      ),
      400,
      'InvalidResourceReference',
    );
    const many = Array.from({ length: 257 }, (_, i): NetworkInterfaceIPConfiguration => ({
      name: `c${i}`,
      primary: i === 0,
      subnet: { id: subnet },
    }));
    await rejectsWith(
      w.network.networkInterfaces.createOrUpdate(w.rg, 'bad', nicBody(many)),
      400,
      'IpConfigurationCountLimitReachedForNic',
    );
    const exactly = await w.network.networkInterfaces.createOrUpdate(
      w.rg,
      'wide',
      nicBody(many.slice(0, 200)),
    );
    assert.equal(exactly.ipConfigurations?.length, 200);
    await w.network.networkInterfaces.delete(w.rg, 'wide');
    await rejectsWith(w.network.networkInterfaces.get(w.rg, 'bad'), 404, 'ResourceNotFound');
  });

  it('exhausts a small subnet with SubnetIsFull (a /29 has three usable addresses)', async () => {
    const three = [0, 1, 2].map((i): NetworkInterfaceIPConfiguration => ({
      name: `s${i}`,
      primary: i === 0,
      subnet: { id: small },
    }));
    const nic = await w.network.networkInterfaces.createOrUpdate(w.rg, 'small-nic', nicBody(three));
    assert.deepEqual(
      nic.ipConfigurations?.map((c) => c.privateIPAddress),
      ['10.225.0.4', '10.225.0.5', '10.225.0.6'],
    );
    const e = await rejectsWith(
      w.network.networkInterfaces.createOrUpdate(
        w.rg,
        'small-nic-2',
        nicBody([{ name: 'x', subnet: { id: small } }]),
      ),
      400,
      'SubnetIsFull',
    );
    assert.match(e.message, /does not have enough capacity/);
    const sn = await w.network.subnets.get(w.rg, 'vnet-egret', 'small');
    assert.equal(sn.ipConfigurations?.length, 3);
    await w.network.networkInterfaces.delete(w.rg, 'small-nic');
    const freed = await w.network.networkInterfaces.createOrUpdate(
      w.rg,
      'small-nic-2',
      nicBody([{ name: 'x', subnet: { id: small } }]),
    );
    assert.equal(freed.ipConfigurations?.[0]?.privateIPAddress, '10.225.0.4');
  });

  it('load balancer: frontend address from the subnet, pools reflect NIC members, rules validated, in-use pool kept', async () => {
    const lbId = `${w.world.resourceGroupId}/providers/Microsoft.Network/loadBalancers/kubeegressgateway-ilb`;
    const fe = `${lbId}/frontendIPConfigurations/pool-uid`;
    const pool = `${lbId}/backendAddressPools/pool-uid`;
    const probe = `${lbId}/probes/cfg-uid`;
    const base = {
      location: w.world.location,
      sku: { name: 'Standard' as const, tier: 'Regional' as const },
      frontendIPConfigurations: [
        { name: 'pool-uid', subnet: { id: subnet }, privateIPAllocationMethod: 'Dynamic' as const },
      ],
      backendAddressPools: [{ name: 'pool-uid' }],
      probes: [
        {
          name: 'cfg-uid',
          protocol: 'Http' as const,
          port: 8082,
          requestPath: '/gw/cfg-uid',
          intervalInSeconds: 5,
          probeThreshold: 1,
        },
      ],
      loadBalancingRules: [
        {
          name: 'cfg-uid',
          protocol: 'Udp' as const,
          frontendPort: 6000,
          backendPort: 6000,
          enableFloatingIP: true,
          frontendIPConfiguration: { id: fe },
          backendAddressPool: { id: pool },
          probe: { id: probe },
        },
      ],
    };
    const lb = await w.network.loadBalancers.createOrUpdate(w.rg, 'kubeegressgateway-ilb', base);
    const frontIp = lb.frontendIPConfigurations?.[0]?.privateIPAddress ?? '';
    assert.match(frontIp, /^10\.224\.0\.\d+$/);
    assert.deepEqual(
      lb.frontendIPConfigurations?.[0]?.loadBalancingRules?.map((r) => r.id),
      [`${lbId}/loadBalancingRules/cfg-uid`],
    );
    assert.equal(lb.probes?.[0]?.intervalInSeconds, 5);

    const nic = await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-0-nic');
    const cfgs = (nic.ipConfigurations ?? []).map((c) =>
      c.primary ? { ...c, loadBalancerBackendAddressPools: [{ id: pool }] } : c,
    );
    await w.network.networkInterfaces.createOrUpdate(w.rg, 'aks-vmgw-0-nic', {
      ...nic,
      ipConfigurations: cfgs,
    });
    const members = await w.network.loadBalancers.get(w.rg, 'kubeegressgateway-ilb');
    assert.deepEqual(
      members.backendAddressPools?.[0]?.backendIPConfigurations?.map((c) => c.id),
      [`${nic.id ?? ''}/ipConfigurations/ipconfig1`],
    );
    assert.equal(
      members.frontendIPConfigurations?.[0]?.privateIPAddress,
      frontIp,
      'frontend address stable across PUTs',
    );

    await rejectsWith(
      w.network.loadBalancers.createOrUpdate(w.rg, 'kubeegressgateway-ilb', {
        ...base,
        loadBalancingRules: [
          { ...base.loadBalancingRules[0], name: 'r', probe: { id: `${lbId}/probes/missing` } },
        ],
      }),
      400,
      'InvalidResourceReference',
    );
    await rejectsWith(
      w.network.loadBalancers.createOrUpdate(w.rg, 'kubeegressgateway-ilb', {
        ...base,
        loadBalancingRules: [
          ...base.loadBalancingRules,
          { ...base.loadBalancingRules[0], name: 'dup', backendPort: 6001 },
        ],
      }),
      400,
      'LoadBalancingRulesUseSameFrontendIpConfigurationProtocolAndPort',
    );
    await rejectsWith(
      w.network.loadBalancers.createOrUpdate(w.rg, 'kubeegressgateway-ilb', {
        ...base,
        backendAddressPools: [],
        loadBalancingRules: [],
      }),
      400,
      'LoadBalancerBackendAddressPoolInUse',
    );
    const lbs = await collect(w.network.loadBalancers.list(w.rg));
    assert.deepEqual(
      lbs.map((l) => l.name),
      ['kubeegressgateway-ilb'],
    );
  });

  it('public IP prefixes (/28–/31) from documentation ranges; IPs from a prefix; deletion rules', async () => {
    const p = await w.network.publicIPPrefixes.createOrUpdate(w.rg, 'egressgateway-cfg', {
      location: w.world.location,
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength: 31,
    });
    assert.match(p.ipPrefix ?? '', /^(203\.0\.113|198\.51\.100)\.\d+\/31$/);
    await rejectsWith(
      w.network.publicIPPrefixes.createOrUpdate(w.rg, 'too-big', {
        location: w.world.location,
        sku: { name: 'Standard' },
        prefixLength: 24,
      }),
      400,
      'InvalidPublicIpPrefixLength',
    );
    const mk = (name: string) =>
      w.network.publicIPAddresses.createOrUpdate(w.rg, name, {
        location: w.world.location,
        sku: { name: 'Standard', tier: 'Regional' },
        publicIPAllocationMethod: 'Static',
        publicIPPrefix: { id: p.id ?? '' },
      });
    const a = await mk('pip-a');
    const b = await mk('pip-b');
    assert.notEqual(a.ipAddress, b.ipAddress);
    await rejectsWith(mk('pip-c'), 400, 'PublicIpPrefixOutOfIpAddresses');
    const withUsers = await w.network.publicIPPrefixes.get(w.rg, 'egressgateway-cfg');
    assert.deepEqual(withUsers.publicIPAddresses?.map((x) => x.id).sort(), [a.id, b.id].sort());

    const nic = await w.network.networkInterfaces.get(w.rg, 'aks-vmgw-1-nic');
    const cfgs = [
      ...(nic.ipConfigurations ?? []),
      {
        name: 'egressgateway-cfg',
        primary: false,
        subnet: { id: subnet },
        publicIPAddress: { id: a.id ?? '' },
      },
    ];
    await w.network.networkInterfaces.createOrUpdate(w.rg, 'aks-vmgw-1-nic', {
      ...nic,
      ipConfigurations: cfgs,
    });
    assert.equal(
      (await w.network.publicIPAddresses.get(w.rg, 'pip-a')).ipConfiguration?.id,
      `${nic.id ?? ''}/ipConfigurations/egressgateway-cfg`,
    );
    await rejectsWith(
      w.network.publicIPAddresses.delete(w.rg, 'pip-a'),
      400,
      'PublicIPAddressCannotBeDeleted',
    );
    const e = await rejectsWith(
      w.network.publicIPPrefixes.delete(w.rg, 'egressgateway-cfg'),
      400,
      'InUsePublicIpPrefixCannotBeDeleted',
    );
    assert.match(e.message, /pip-a/);

    await w.network.networkInterfaces.createOrUpdate(w.rg, 'aks-vmgw-1-nic', {
      ...nic,
      ipConfigurations: nic.ipConfigurations ?? [],
    });
    await w.network.publicIPAddresses.delete(w.rg, 'pip-a');
    await w.network.publicIPAddresses.delete(w.rg, 'pip-b');
    await w.network.publicIPPrefixes.delete(w.rg, 'egressgateway-cfg');
    await rejectsWith(w.network.publicIPPrefixes.get(w.rg, 'egressgateway-cfg'), 404, 'ResourceNotFound');
    await w.network.publicIPPrefixes.delete(w.rg, 'egressgateway-cfg');
    assert.equal((await collect(w.network.publicIPPrefixes.list(w.rg))).length, 0);
  });

  it('subnets and virtual networks: get, list, missing child answers NotFound', async () => {
    const subnets = await collect(w.network.subnets.list(w.rg, 'vnet-egret'));
    assert.deepEqual(
      subnets.map((s) => s.name),
      ['aks-subnet', 'small'],
    );
    await rejectsWith(w.network.subnets.get(w.rg, 'vnet-egret', 'nope'), 404, 'NotFound');
    const vnet = await w.network.virtualNetworks.get(w.rg, 'vnet-egret');
    assert.equal(vnet.subnets?.length, 2);
  });
});
