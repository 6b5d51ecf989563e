/**
 * Seeds a world in one call: resource group, VNet + subnets, Uniform scale sets with N instances and
 * AKS tags, AKS VirtualMachines pools (pre-created NICs tagged `aks-managed-static-gateway-nic` +
 * `aks-managed-poolName`, VMs using some of them) and standalone VMs with their NICs. Everything goes
 * through the resource providers (same validation and allocation as a client write), then the
 * operations are awaited; seeding emits no Event Grid events and leaves no request-log entries.
 */
import { clone, text } from './core/json.js';
import type { JsonObject } from './core/json.js';
import { resourceGroupId } from './core/resourceId.js';
import type { ProviderContext } from './providers/context.js';
import { writeScaleSet } from './providers/compute/virtualMachineScaleSets.js';
import { instancesOf } from './providers/compute/vmssInstances.js';
import { writeVirtualMachine } from './providers/compute/virtualMachines.js';
import { NIC_TYPE, VNET_TYPE } from './providers/network/addressing.js';
import { buildNetworkInterface, renderNetworkInterface } from './providers/network/networkInterfaces.js';
import { networkPut } from './providers/network/networkWrites.js';
import { buildVirtualNetwork, renderVirtualNetwork } from './providers/network/virtualNetworks.js';
import { putResourceGroup } from './providers/resourceGroups.js';
import { platformRequest } from './platformRequest.js';
import type { Method } from './router.js';

/** AKS tag keys (upstream names; kube-egress-gateway discovers gateway pools by them). */
export const AKS_TAGS = {
  /** The agent pool a VMSS / VM / NIC belongs to. */
  poolName: 'aks-managed-poolName',
  /** `--gateway-prefix-size` of a gateway pool: the public IP prefix length per configuration. */
  gatewayPrefixSize: 'aks-managed-gatewayIPPrefixSize',
  /** Marks the NICs AKS pre-creates for a VirtualMachines gateway pool (max pool size). */
  staticGatewayNic: 'aks-managed-static-gateway-nic',
} as const;

export interface WorldSpec {
  readonly resourceGroup?: string;
  readonly location?: string;
  readonly vnet?: {
    readonly name?: string;
    readonly addressPrefix?: string;
    readonly subnets?: readonly { readonly name: string; readonly addressPrefix: string }[];
  };
  readonly scaleSets?: readonly {
    readonly name: string;
    readonly capacity: number;
    /** Tag `aks-managed-poolName`. */
    readonly poolName?: string;
    /** Tag `aks-managed-gatewayIPPrefixSize`. */
    readonly gatewayPrefixSize?: number;
    readonly tags?: Readonly<Record<string, string>>;
    readonly subnet?: string;
    readonly upgradeMode?: 'Manual' | 'Automatic' | 'Rolling';
    readonly skuName?: string;
  }[];
  readonly vmPools?: readonly {
    readonly poolName: string;
    /** NICs pre-created for the pool's maximum size. */
    readonly nicCount: number;
    /** VMs created, using the first `vmCount` NICs. */
    readonly vmCount: number;
    readonly gatewayPrefixSize?: number;
    readonly subnet?: string;
  }[];
  readonly vms?: readonly {
    readonly name: string;
    readonly subnet?: string;
    readonly tags?: Readonly<Record<string, string>>;
  }[];
}

export interface SeededWorld {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly resourceGroupId: string;
  readonly location: string;
  readonly vnetId: string;
  readonly subnetIds: Readonly<Record<string, string>>;
  readonly scaleSets: Readonly<
    Record<string, { readonly id: string; readonly instanceIds: readonly string[] }>
  >;
  readonly vmPools: Readonly<
    Record<string, { readonly nicIds: readonly string[]; readonly vmIds: readonly string[] }>
  >;
  readonly vms: Readonly<Record<string, { readonly id: string; readonly nicId: string }>>;
}

export async function seedWorld(
  ctx: ProviderContext,
  baseUrl: string,
  spec: WorldSpec = {},
): Promise<SeededWorld> {
  const sub = ctx.config.subscriptionId;
  const rg = spec.resourceGroup ?? 'rg-egret';
  const location = spec.location ?? ctx.config.location;
  const rgId = resourceGroupId(sub, rg);
  const req = (method: Method, path: string, api: 'compute' | 'network', body?: JsonObject) =>
    platformRequest({
      method,
      path,
      baseUrl,
      apiVersion: ctx.config.apiVersions[api][0] ?? '',
      ...(body === undefined ? {} : { body }),
    });
  ctx.events.mute(true);
  try {
    putResourceGroup(ctx, sub, rg, { location });
    const vnetName = spec.vnet?.name ?? 'vnet-egret';
    const subnets = spec.vnet?.subnets ?? [{ name: 'aks-subnet', addressPrefix: '10.224.0.0/24' }];
    const vnetId = `${rgId}/providers/Microsoft.Network/virtualNetworks/${vnetName}`;
    const vnetBody: JsonObject = {
      location,
      properties: {
        addressSpace: { addressPrefixes: [spec.vnet?.addressPrefix ?? '10.224.0.0/12'] },
        subnets: subnets.map((s) => ({ name: s.name, properties: { addressPrefix: s.addressPrefix } })),
      },
    };
    networkPut(ctx, req('PUT', vnetId, 'network', vnetBody), {
      id: vnetId,
      type: VNET_TYPE,
      operationType: VNET_TYPE,
      build: (existing) => buildVirtualNetwork(ctx, vnetId, vnetBody, existing),
      render: (r) => renderVirtualNetwork(ctx, r),
    });
    const subnetIds = Object.fromEntries(subnets.map((s) => [s.name, `${vnetId}/subnets/${s.name}`]));
    const subnetId = (name: string | undefined) => subnetIds[name ?? subnets[0]?.name ?? ''] ?? '';

    const putNic = (name: string, subnet: string, tags: Record<string, string>) => {
      const id = `${rgId}/providers/Microsoft.Network/networkInterfaces/${name}`;
      const body: JsonObject = {
        location,
        tags,
        properties: {
          ipConfigurations: [{ name: 'ipconfig1', properties: { primary: true, subnet: { id: subnet } } }],
        },
      };
      networkPut(ctx, req('PUT', id, 'network', body), {
        id,
        type: NIC_TYPE,
        operationType: NIC_TYPE,
        build: (existing) => buildNetworkInterface(ctx, id, body, existing),
        render: (r) => renderNetworkInterface(ctx, r),
      });
      return id;
    };
    const putVm = (name: string, nicId: string, tags: Record<string, string>) => {
      const id = `${rgId}/providers/Microsoft.Compute/virtualMachines/${name}`;
      writeVirtualMachine(ctx, req('PUT', id, 'compute'), id, vmBody(location, name, nicId, tags), 'PUT');
      return id;
    };

    const scaleSets: Record<string, { id: string; instanceIds: string[] }> = {};
    for (const s of spec.scaleSets ?? []) {
      const id = `${rgId}/providers/Microsoft.Compute/virtualMachineScaleSets/${s.name}`;
      const tags: Record<string, string> = { ...s.tags };
      if (s.poolName !== undefined) tags[AKS_TAGS.poolName] = s.poolName;
      if (s.gatewayPrefixSize !== undefined) tags[AKS_TAGS.gatewayPrefixSize] = String(s.gatewayPrefixSize);
      writeScaleSet(
        ctx,
        req('PUT', id, 'compute'),
        id,
        scaleSetBody(
          location,
          s.name,
          s.capacity,
          subnetId(s.subnet),
          tags,
          s.upgradeMode ?? 'Manual',
          s.skuName,
        ),
        'PUT',
      );
      scaleSets[s.name] = { id, instanceIds: [] };
    }
    const vmPools: Record<string, { nicIds: string[]; vmIds: string[] }> = {};
    for (const p of spec.vmPools ?? []) {
      const nicIds: string[] = [];
      const vmIds: string[] = [];
      for (let i = 0; i < p.nicCount; i++)
        nicIds.push(
          putNic(`aks-${p.poolName}-${i}-nic`, subnetId(p.subnet), {
            [AKS_TAGS.staticGatewayNic]: 'true',
            [AKS_TAGS.poolName]: p.poolName,
          }),
        );
      for (let i = 0; i < p.vmCount && i < nicIds.length; i++) {
        const tags: Record<string, string> = { [AKS_TAGS.poolName]: p.poolName };
        if (p.gatewayPrefixSize !== undefined) tags[AKS_TAGS.gatewayPrefixSize] = String(p.gatewayPrefixSize);
        vmIds.push(putVm(`aks-${p.poolName}-${i}`, nicIds[i] as string, tags));
      }
      vmPools[p.poolName] = { nicIds, vmIds };
    }
    const vms: Record<string, { id: string; nicId: string }> = {};
    for (const v of spec.vms ?? []) {
      const nicId = putNic(`${v.name}-nic`, subnetId(v.subnet), {});
      vms[v.name] = { id: putVm(v.name, nicId, { ...v.tags }), nicId };
    }
    await ctx.lro.idle();
    for (const [name, s] of Object.entries(scaleSets)) {
      const vmss = ctx.store.get(s.id);
      scaleSets[name] = {
        id: s.id,
        instanceIds: vmss ? instancesOf(ctx, vmss).map((i) => text(i.body['instanceId'])) : [],
      };
    }
    return {
      subscriptionId: sub,
      resourceGroup: rg,
      resourceGroupId: rgId,
      location,
      vnetId,
      subnetIds,
      scaleSets,
      vmPools,
      vms,
    };
  } finally {
    ctx.events.mute(false);
  }
}

/** The AKS node image and Linux admin settings every seeded VM and scale set model carries. */
const AKS_NODE_IMAGE: JsonObject = {
  publisher: 'microsoft-aks',
  offer: 'aks',
  sku: 'aks-ubuntu-2204-gen2',
  version: 'latest',
};
const LINUX_ADMIN: JsonObject = {
  adminUsername: 'azureuser',
  linuxConfiguration: { disablePasswordAuthentication: true },
};

export function scaleSetBody(
  location: string,
  name: string,
  capacity: number,
  subnetId: string,
  tags: Record<string, string>,
  upgradeMode: string,
  skuName = 'Standard_D2s_v3',
): JsonObject {
  return {
    location,
    tags,
    sku: { name: skuName, tier: 'Standard', capacity },
    properties: {
      upgradePolicy: { mode: upgradeMode },
      virtualMachineProfile: {
        osProfile: { computerNamePrefix: name, ...clone(LINUX_ADMIN) },
        storageProfile: {
          imageReference: clone(AKS_NODE_IMAGE),
          osDisk: {
            createOption: 'FromImage',
            caching: 'ReadOnly',
            managedDisk: { storageAccountType: 'Premium_LRS' },
          },
        },
        networkProfile: {
          networkInterfaceConfigurations: [
            {
              name,
              properties: {
                primary: true,
                enableIPForwarding: true,
                ipConfigurations: [
                  { name: 'ipconfig1', properties: { primary: true, subnet: { id: subnetId } } },
                ],
              },
            },
          ],
        },
      },
    },
  };
}

export function vmBody(
  location: string,
  name: string,
  nicId: string,
  tags: Record<string, string>,
): JsonObject {
  return {
    location,
    tags,
    properties: {
      hardwareProfile: { vmSize: 'Standard_D2s_v3' },
      osProfile: { computerName: name, ...clone(LINUX_ADMIN) },
      storageProfile: {
        imageReference: clone(AKS_NODE_IMAGE),
        osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' } },
      },
      networkProfile: { networkInterfaces: [{ id: nicId, properties: { primary: true } }] },
    },
  };
}
