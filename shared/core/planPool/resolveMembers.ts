/**
 * Members: which VMSS, instances and NICs this plan edits, in a deterministic order, and whether the
 * pool can be served at all (`problem`).
 */
import { armIdKey } from '../armId.js';
import type {
  NetworkInterface,
  ObservedPoolMembers,
  ObservedVmssInstance,
  VirtualMachineScaleSet,
  VmssNetworkConfiguration,
} from '../observed.js';
import type { Blocked } from './planContext.js';
import { cmp } from './names.js';

/** The members of the pool as the sub-planners use them. */
export interface PoolMembers {
  readonly observed: ObservedPoolMembers;
  /** NIC pools (VirtualMachines pools, standalone VMs): per-NIC public IPs; VMSS: prefix on the ipConfig. */
  readonly nicPool: boolean;
  readonly vmss: VirtualMachineScaleSet | undefined;
  /** VMSS instances sorted by id. */
  readonly instances: readonly ObservedVmssInstance[];
  /** NIC members sorted by id. */
  readonly nics: readonly NetworkInterface[];
  /** NICs outside the pool that still reference its backend pool, sorted by id (never added to). */
  readonly strays: readonly NetworkInterface[];
  /** Members and strays: every NIC whose egret ipConfigs and public IPs this plan manages. */
  readonly managedNics: readonly NetworkInterface[];
  /** Instances or NIC members (what a prefix must hold an address for). */
  readonly count: number;
  /** Set when nothing can be planned for the pool's configurations. */
  readonly problem: Blocked | undefined;
}

/** Resolves the observed members. */
export function resolveMembers(observed: ObservedPoolMembers): PoolMembers {
  switch (observed.kind) {
    case 'vmss': {
      const vmss = observed.vmss;
      const instances = sortedBy(observed.instances, (i) => i.vm.id);
      let problem: Blocked | undefined;
      if (vmss === undefined) problem = { reason: 'PoolNotFound', message: 'the gateway VMSS was not found' };
      else if (
        primaryNetworkConfig(vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations) ===
        undefined
      )
        problem = {
          reason: 'PoolNotFound',
          message: `VMSS ${vmss.name} has no primary network interface configuration`,
        };
      return {
        observed,
        nicPool: false,
        vmss,
        instances,
        nics: [],
        strays: [],
        managedNics: [],
        count: observed.instances.length,
        problem,
      };
    }
    case 'aks-vm-pool':
      return nicPool(
        observed,
        observed.nics,
        observed.strays,
        'the VirtualMachines pool has no gateway NICs',
      );
    case 'standalone-vms':
      return nicPool(
        observed,
        observed.vms.flatMap((vm) => (vm.primaryNic === undefined ? [] : [vm.primaryNic])),
        observed.strays,
        'none of the standalone VMs (or their primary NICs) was found',
      );
  }
}

function nicPool(
  observed: ObservedPoolMembers,
  members: readonly NetworkInterface[],
  strays: readonly NetworkInterface[] | undefined,
  noneFound: string,
): PoolMembers {
  const nics = sortedBy(members, (n) => n.id);
  const memberKeys = new Set(nics.map((n) => armIdKey(n.id)));
  const others = sortedBy(
    (strays ?? []).filter((n) => !memberKeys.has(armIdKey(n.id))),
    (n) => n.id,
  );
  return {
    observed,
    nicPool: true,
    vmss: undefined,
    instances: [],
    nics,
    strays: others,
    managedNics: [...nics, ...others],
    count: nics.length,
    problem: nics.length === 0 ? { reason: 'PoolNotFound', message: noneFound } : undefined,
  };
}

/** Sorted by the key of an id (stable; each key computed once). */
function sortedBy<T>(items: readonly T[], id: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, key: armIdKey(id(item)) }))
    .sort((a, b) => cmp(a.key, b.key))
    .map((x) => x.item);
}

/** Index of the primary entry: the one marked primary, else the only one. */
export function primaryIndex(list: readonly { readonly primary?: boolean }[]): number {
  const i = list.findIndex((x) => x.primary === true);
  return i >= 0 ? i : list.length === 1 ? 0 : -1;
}

export function primaryNetworkConfig(
  configs: readonly VmssNetworkConfiguration[] | undefined,
): VmssNetworkConfiguration | undefined {
  if (configs === undefined) return undefined;
  const i = primaryIndex(configs);
  return i < 0 ? undefined : configs[i];
}

/** The subnet of the primary ipConfig of the primary network configuration. */
export function primarySubnetOfVmss(configs: readonly VmssNetworkConfiguration[]): string | undefined {
  const ipcs = primaryNetworkConfig(configs)?.ipConfigurations ?? [];
  const i = primaryIndex(ipcs);
  return i < 0 ? undefined : ipcs[i]?.subnet?.id;
}

/** The subnet of a NIC's primary ipConfig. */
export function primarySubnetOfNic(nic: NetworkInterface): string | undefined {
  const ipcs = nic.ipConfigurations ?? [];
  const i = primaryIndex(ipcs);
  return i < 0 ? undefined : ipcs[i]?.subnet?.id;
}
