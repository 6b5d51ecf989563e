/** Builders of gateway-pool worlds for the planner's tests. */
import { loadBalancerChildId, loadBalancerId } from '../../../shared/core/armId.js';
import type { LoadBalancer, ObservedPoolMembers, PublicIpPrefix } from '../../../shared/core/observed.js';
import type {
  PlanPoolInput,
  PlanSettings,
  PlannedConfiguration,
  PortClaim,
} from '../../../shared/core/planPool.js';
import type { ResolvedPool } from '../../../shared/core/pool.js';
import { poolKey, standaloneVmsUniqueId, vmPoolUniqueId } from '../../../shared/core/pool.js';
import type { World } from './armModel.js';

export const SUB = '00000000-0000-0000-0000-00000000aaaa';
export const GW_RG = 'rg-gw';
export const SUBNET = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/gateways`;
export const LB_ID = loadBalancerId(
  { subscriptionId: SUB, resourceGroup: 'rg-net' },
  'kubeegressgateway-ilb',
);
/** The cluster's outbound pool on another load balancer: must survive every write untouched. */
export const OUTBOUND_POOL = `/subscriptions/${SUB}/resourceGroups/${GW_RG}/providers/Microsoft.Network/loadBalancers/kubernetes/backendAddressPools/kubernetes`;
export const BYO_PREFIX_ID = `/subscriptions/${SUB}/resourceGroups/rg-byo/providers/Microsoft.Network/publicIPPrefixes/byo-prefix`;
/** A second bring-your-own prefix (prefix hand-over chains). */
export const BYO2_PREFIX_ID = `/subscriptions/${SUB}/resourceGroups/rg-byo/providers/Microsoft.Network/publicIPPrefixes/byo-prefix-2`;

export const SETTINGS: Omit<PlanSettings, 'orphans'> = {
  subscriptionId: SUB,
  location: 'westeurope',
  loadBalancerResourceGroup: 'rg-net',
  frontendSubnetId: SUBNET,
  publicIpResourceGroup: GW_RG,
};

export type PoolKind = ObservedPoolMembers['kind'];

/** A pool of `count` members with a primary ipConfig each, plus fields egret must carry through. */
export function poolWorld(
  kind: PoolKind,
  count: number,
  options: { failed?: readonly boolean[] } = {},
): ObservedPoolMembers {
  const state = (i: number): string => (options.failed?.[i] === true ? 'Failed' : 'Succeeded');
  const primaryIpc = (i: number) => ({
    name: 'ipconfig1',
    primary: true,
    privateIPAddress: `10.0.0.${i + 4}`,
    subnet: { id: SUBNET },
    loadBalancerBackendAddressPools: [{ id: OUTBOUND_POOL }],
  });
  switch (kind) {
    case 'vmss': {
      const vmssId = `/subscriptions/${SUB}/resourceGroups/${GW_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/gw`;
      const nicConfig = {
        name: 'gw-nic',
        primary: true,
        enableAcceleratedNetworking: true,
        ipConfigurations: [
          {
            name: 'ipconfig1',
            primary: true,
            subnet: { id: SUBNET },
            loadBalancerBackendAddressPools: [{ id: OUTBOUND_POOL }],
          },
        ],
      };
      return {
        kind,
        vmss: {
          id: vmssId,
          name: 'gw',
          location: 'westeurope',
          etag: '"1"',
          uniqueId: '5e0cbd5c-0a6e-4a5e-9ddd-000000000001',
          sku: { name: 'Standard_D2_v3', capacity: count },
          virtualMachineProfile: { networkProfile: { networkInterfaceConfigurations: [nicConfig] } },
        },
        instances: Array.from({ length: count }, (_, i) => ({
          vm: {
            id: `${vmssId}/virtualMachines/${i}`,
            instanceId: String(i),
            etag: `"i${i}"`,
            provisioningState: state(i),
            osProfile: { computerName: `gw00000${i}` },
            networkProfileConfiguration: { networkInterfaceConfigurations: [nicConfig] },
          },
          primaryNic: {
            id: `${vmssId}/virtualMachines/${i}/networkInterfaces/gw-nic`,
            name: 'gw-nic',
            ipConfigurations: [primaryIpc(i)],
          },
        })),
      };
    }
    case 'aks-vm-pool':
      return {
        kind,
        nics: Array.from({ length: count }, (_, i) => ({
          id: `/subscriptions/${SUB}/resourceGroups/${GW_RG}/providers/Microsoft.Network/networkInterfaces/aks-gwpool-${i}-nic`,
          name: `aks-gwpool-${i}-nic`,
          etag: `W/"n${i}"`,
          provisioningState: state(i),
          tags: { 'aks-managed-poolName': 'gwpool', 'aks-managed-static-gateway-nic': 'true' },
          dnsSettings: { dnsServers: [] },
          ipConfigurations: [primaryIpc(i)],
        })),
      };
    case 'standalone-vms':
      return {
        kind,
        vms: Array.from({ length: count }, (_, i) => ({
          name: `vm-${i}`,
          vm: {
            id: `/subscriptions/${SUB}/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines/vm-${i}`,
            name: `vm-${i}`,
            osProfile: { computerName: `vm-${i}` },
          },
          primaryNic: {
            id: `/subscriptions/${SUB}/resourceGroups/rg-vms/providers/Microsoft.Network/networkInterfaces/vm-${i}-nic`,
            name: `vm-${i}-nic`,
            etag: `W/"s${i}"`,
            provisioningState: state(i),
            networkSecurityGroup: { id: 'nsg' },
            ipConfigurations: [primaryIpc(i)],
          },
        })),
      };
  }
}

/** The resolved pool of a world. */
export function resolvedPool(kind: PoolKind, prefixLength: number | undefined, count: number): ResolvedPool {
  const extra = prefixLength === undefined ? {} : { prefixLength };
  switch (kind) {
    case 'vmss': {
      const ref = { kind, resourceGroup: GW_RG, vmssName: 'gw' } as const;
      return { ref, key: poolKey(ref), uniqueId: '5e0cbd5c-0a6e-4a5e-9ddd-000000000001', ...extra };
    }
    case 'aks-vm-pool': {
      const ref = { kind, resourceGroup: GW_RG, poolName: 'gwpool' } as const;
      return { ref, key: poolKey(ref), uniqueId: vmPoolUniqueId('gwpool'), ...extra };
    }
    case 'standalone-vms': {
      const names = Array.from({ length: count }, (_, i) => `vm-${i}`);
      const ref = { kind, resourceGroup: 'rg-vms', vmNames: names } as const;
      return { ref, key: poolKey(ref), uniqueId: standaloneVmsUniqueId('rg-vms', names), ...extra };
    }
  }
}

/** An ILB already serving another gateway pool (must be left alone). */
export function foreignLoadBalancer(): LoadBalancer {
  const fe = loadBalancerChildId(LB_ID, 'frontendIPConfigurations', 'other-pool');
  const be = loadBalancerChildId(LB_ID, 'backendAddressPools', 'other-pool');
  const probe = loadBalancerChildId(LB_ID, 'probes', 'other-config');
  return {
    id: LB_ID,
    name: 'kubeegressgateway-ilb',
    location: 'westeurope',
    etag: 'W/"lb0"',
    sku: { name: 'Standard', tier: 'Regional' },
    frontendIPConfigurations: [
      { id: fe, name: 'other-pool', privateIPAddress: '10.2.0.200', subnet: { id: SUBNET } },
    ],
    backendAddressPools: [{ id: be, name: 'other-pool' }],
    loadBalancingRules: [
      {
        id: loadBalancerChildId(LB_ID, 'loadBalancingRules', 'other-config'),
        name: 'other-config',
        frontendIPConfiguration: { id: fe },
        backendAddressPool: { id: be },
        probe: { id: probe },
        protocol: 'Udp',
        frontendPort: 6000,
        backendPort: 6000,
        enableFloatingIP: true,
      },
    ],
    probes: [
      {
        id: probe,
        name: 'other-config',
        protocol: 'Http',
        port: 8082,
        requestPath: '/gw/other-config',
        intervalInSeconds: 5,
        probeThreshold: 1,
      },
    ],
  };
}

/** A bring-your-own prefix (`byo-prefix`, or `byo-prefix-2` for the second). */
export function byoPrefix(prefixLength: number, which: 'byo' | 'byo2' = 'byo'): PublicIpPrefix {
  const name = which === 'byo' ? 'byo-prefix' : 'byo-prefix-2';
  return {
    id: which === 'byo' ? BYO_PREFIX_ID : BYO2_PREFIX_ID,
    name,
    etag: `W/"${name}"`,
    prefixLength,
    ipPrefix: `52.1.${which === 'byo' ? 1 : 2}.0/${prefixLength}`,
    publicIPAddresses: [],
  };
}

/** A fresh world. */
export function world(
  members: ObservedPoolMembers,
  options: { lb?: LoadBalancer; prefixes?: readonly PublicIpPrefix[] } = {},
): World {
  return {
    members,
    ...(options.lb === undefined ? {} : { loadBalancer: options.lb }),
    prefixes: options.prefixes ?? [],
    publicIps: [],
    counter: 0,
  };
}

/** The planner's input for a world. */
export function inputFor(
  w: World,
  pool: ResolvedPool,
  configurations: readonly PlannedConfiguration[],
  options: { claims?: readonly PortClaim[]; orphans?: 'keep' | 'delete' } = {},
): PlanPoolInput {
  return {
    pool,
    configurations,
    members: w.members,
    ...(w.loadBalancer === undefined ? {} : { loadBalancer: w.loadBalancer }),
    prefixes: w.prefixes,
    publicIps: w.publicIps,
    portClaims: options.claims ?? [],
    settings: { ...SETTINGS, orphans: options.orphans ?? 'delete' },
  };
}

/** How a test configuration egresses: managed prefix, one of two BYO prefixes, or private IPs. */
export type Egress = 'managed' | 'byo' | 'byo2' | 'private';

/** A present configuration. */
export function present(uid: string, egress: Egress): PlannedConfiguration {
  return {
    uid,
    namespace: 'ns',
    name: `sgc-${uid.slice(0, 4)}`,
    state: {
      kind: 'present',
      egress:
        egress === 'private'
          ? { kind: 'private' }
          : {
              kind: 'public',
              prefix:
                egress === 'managed'
                  ? { kind: 'managed' }
                  : { kind: 'byo', id: egress === 'byo' ? BYO_PREFIX_ID : BYO2_PREFIX_ID },
            },
    },
  };
}

/** A configuration being deleted. */
export function deleting(uid: string, egress?: Egress): PlannedConfiguration {
  const p = present(uid, egress ?? 'managed');
  return {
    ...p,
    state:
      egress === undefined || p.state.kind !== 'present'
        ? { kind: 'deleting' }
        : { kind: 'deleting', egress: p.state.egress },
  };
}
