/**
 * The ArmInventory port over the real SDK clients: pool discovery, the ILB, prefixes, public IPs,
 * NICs and the frontend subnet; a pool's members are read by its provider. See
 * shared/ports/armInventory.ts.
 */
import type {
  ArmInventory,
  GatewayPoolProvider,
  GatewayPools,
  InventoryScope,
} from '../../ports/armInventory.js';
import { armIdKey } from '../../core/armId.js';
import type { LoadBalancer, NetworkInterface, PublicIpAddress, PublicIpPrefix } from '../../core/observed.js';
import type { PoolInventory, PoolRef, ScaleSetSummary, TaggedResourceSummary } from '../../core/pool.js';
import { AKS_POOL_NAME_TAG } from '../../core/wellKnown.js';
import type { ArmSdkClients } from './createArmClientsFromConfig.js';
import { armGet, armList, asObserved, requireArmId } from './armCalls.js';

/** Options of {@link createArmInventory}. */
export interface CreateArmInventoryOptions {
  readonly clients: ArmSdkClients;
  /** Reads a pool's members (`observePoolMembers`). */
  readonly provider: (kind: PoolRef['kind']) => GatewayPoolProvider;
}

/** Builds the inventory reader. */
export function createArmInventory(
  options: CreateArmInventoryOptions,
): ArmInventory & Pick<GatewayPools, 'getSubnetId'> {
  const { compute, network } = options.clients;
  return {
    observePoolMembers: (pool, signal) => options.provider(pool.kind).observe(pool, signal),

    async listPoolInventory(scope: InventoryScope, signal: AbortSignal): Promise<PoolInventory> {
      const rg = scope.gatewayResourceGroup;
      const [scaleSets, nics, vms] = await Promise.all([
        armList(() => compute.virtualMachineScaleSets.list(rg, { abortSignal: signal }), {
          action: 'list scale sets in',
          resourceId: rg,
        }),
        armList(() => network.networkInterfaces.list(rg, { abortSignal: signal }), {
          action: 'list network interfaces in',
          resourceId: rg,
        }),
        armList(() => compute.virtualMachines.list(rg, { abortSignal: signal }), {
          action: 'list virtual machines in',
          resourceId: rg,
        }),
      ]);
      const summaries = new Map<string, ScaleSetSummary>();
      for (const s of scaleSets) {
        const summary = scaleSetSummary(s);
        summaries.set(`${summary.resourceGroup}/${summary.name}`.toLowerCase(), summary);
      }
      const missing = scope.profileScaleSets.filter(
        (p) => !summaries.has(`${p.resourceGroup}/${p.name}`.toLowerCase()),
      );
      const named = await Promise.all(
        missing.map((p) =>
          armGet(
            () => compute.virtualMachineScaleSets.get(p.resourceGroup, p.name, { abortSignal: signal }),
            {
              action: 'GET scale set',
              resourceId: `${p.resourceGroup}/${p.name}`,
            },
          ),
        ),
      );
      for (const s of named) {
        if (s === undefined) continue;
        const summary = scaleSetSummary(s);
        summaries.set(`${summary.resourceGroup}/${summary.name}`.toLowerCase(), summary);
      }
      return {
        gatewayResourceGroup: rg,
        scaleSets: [...summaries.values()],
        nics: nics.map(taggedSummary).filter((n) => n.tags?.[AKS_POOL_NAME_TAG] !== undefined),
        vms: vms.map(taggedSummary).filter((v) => v.tags?.[AKS_POOL_NAME_TAG] !== undefined),
      };
    },

    async getLoadBalancer(resourceGroup, name, signal): Promise<LoadBalancer | undefined> {
      const lb = await armGet(() => network.loadBalancers.get(resourceGroup, name, { abortSignal: signal }), {
        action: 'GET load balancer',
        resourceId: `${resourceGroup}/${name}`,
      });
      return lb === undefined ? undefined : asObserved<LoadBalancer>(lb, 'load balancer');
    },

    async getPublicIpPrefix(id, signal): Promise<PublicIpPrefix | undefined> {
      const at = requireArmId(id);
      const prefix = await armGet(
        () => network.publicIPPrefixes.get(at.resourceGroup, at.name, { abortSignal: signal }),
        { action: 'GET', resourceId: id },
      );
      return prefix === undefined ? undefined : asObserved<PublicIpPrefix>(prefix, 'public IP prefix');
    },

    async listPublicIpPrefixes(resourceGroup, namePrefix, signal): Promise<readonly PublicIpPrefix[]> {
      const all = await armList(() => network.publicIPPrefixes.list(resourceGroup, { abortSignal: signal }), {
        action: 'list public IP prefixes in',
        resourceId: resourceGroup,
      });
      const prefix = namePrefix.toLowerCase();
      return all
        .map((p) => asObserved<PublicIpPrefix>(p, 'public IP prefix'))
        .filter((p) => p.name.toLowerCase().startsWith(prefix))
        .sort((a, b) => compare(armIdKey(a.id), armIdKey(b.id)));
    },

    async listPrefixPublicIps(resourceGroup, signal): Promise<readonly PublicIpAddress[]> {
      const all = await armList(
        () => network.publicIPAddresses.list(resourceGroup, { abortSignal: signal }),
        { action: 'list public IP addresses in', resourceId: resourceGroup },
      );
      return all
        .map((p) => asObserved<PublicIpAddress>(p, 'public IP address'))
        .filter((p) => p.publicIPPrefix?.id !== undefined)
        .sort((a, b) => compare(armIdKey(a.id), armIdKey(b.id)));
    },

    async getNetworkInterface(id, signal): Promise<NetworkInterface | undefined> {
      const at = requireArmId(id);
      // A VMSS instance's NIC view lives under the scale set (Network RP, read-only route).
      const nic =
        at.types.length === 3 && at.types[0]?.toLowerCase() === 'virtualmachinescalesets'
          ? await armGet(
              () =>
                network.networkInterfaces.getVirtualMachineScaleSetNetworkInterface(
                  at.resourceGroup,
                  at.names[0] as string,
                  at.names[1] as string,
                  at.name,
                  { abortSignal: signal },
                ),
              { action: 'GET', resourceId: id },
            )
          : await armGet(
              () => network.networkInterfaces.get(at.resourceGroup, at.name, { abortSignal: signal }),
              { action: 'GET', resourceId: id },
            );
      return nic === undefined ? undefined : asObserved<NetworkInterface>(nic, 'network interface');
    },

    async getSubnetId(input, signal): Promise<string | undefined> {
      const subnet = await armGet(
        () =>
          network.subnets.get(input.resourceGroup, input.vnetName, input.subnetName, { abortSignal: signal }),
        {
          action: 'GET subnet',
          resourceId: `${input.resourceGroup}/${input.vnetName}/${input.subnetName}`,
        },
      );
      return subnet?.id;
    },
  };
}

function scaleSetSummary(s: {
  readonly id?: string;
  readonly name?: string;
  readonly uniqueId?: string;
  readonly tags?: Record<string, string>;
}): ScaleSetSummary {
  const at = requireArmId(asObserved<{ id: string }>(s, 'scale set').id);
  return {
    resourceGroup: at.resourceGroup,
    name: at.name,
    ...(s.uniqueId === undefined ? {} : { uniqueId: s.uniqueId }),
    ...(s.tags === undefined ? {} : { tags: s.tags }),
  };
}

function taggedSummary(r: {
  readonly id?: string;
  readonly tags?: Record<string, string>;
}): TaggedResourceSummary {
  const at = requireArmId(asObserved<{ id: string }>(r, 'resource', { name: false }).id);
  return {
    resourceGroup: at.resourceGroup,
    name: at.name,
    ...(r.tags === undefined ? {} : { tags: r.tags }),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
