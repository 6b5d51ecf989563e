/**
 * Observes everything core `planPool` needs for one gateway pool, with as few ARM reads as the
 * resources allow (all concurrently):
 * - the members, by the pool's provider (VMSS: model + instances + NIC views; NIC pools: NICs);
 * - the ILB (absent when 404);
 * - the configurations' prefixes: managed `egressgateway-<uid>` from ONE list of the public IP
 *   resource group (every configuration given, present or deleting, in any egress mode: a managed
 *   prefix left from an earlier public mode must be seen to be deleted), and each BYO prefix a
 *   configuration names (a GET each; absent when 404);
 * - the public IPs of the public IP resource group that come from a prefix (ONE list);
 * - then, for NIC pools, the "strays": NICs the ILB's backend pool of this pool still lists in its
 *   `backendIPConfigurations` that are not members (a deleted standalone VM's NIC): a GET each, only
 *   when there are any (core observed.ts explains why the planner needs them).
 * The snapshot is not atomic (ARM has no transactions); ETags on every write catch what moved.
 */
import type { ArmInventory, ObservedPoolWorld, PoolWorldQuery } from '../../ports/armInventory.js';
import { armIdKey, parseArmId } from '../../core/armId.js';
import type {
  LoadBalancer,
  NetworkInterface,
  ObservedPoolMembers,
  PublicIpPrefix,
} from '../../core/observed.js';
import type { PoolRef } from '../../core/pool.js';
import { standaloneVmsUniqueId, vmPoolUniqueId } from '../../core/pool.js';
import {
  DEFAULT_LOAD_BALANCER_NAME,
  MANAGED_RESOURCE_PREFIX,
  managedResourceName,
} from '../../core/wellKnown.js';

/** The observed part of the planner's input for `query.pool`. */
export async function observePoolWorld(
  query: PoolWorldQuery,
  inventory: ArmInventory,
  signal: AbortSignal,
): Promise<ObservedPoolWorld> {
  const { settings, configurations } = query;
  const managedNames = new Set(configurations.map((c) => managedResourceName(c.uid).toLowerCase()));
  const byoIds = [
    ...new Map(
      configurations
        .map((c) => c.state.egress)
        .flatMap((e) => (e?.kind === 'public' && e.prefix.kind === 'byo' ? [e.prefix.id] : []))
        .map((id) => [armIdKey(id), id] as const),
    ).values(),
  ];
  const [members, loadBalancer, managed, byo, publicIps] = await Promise.all([
    inventory.observePoolMembers(query.pool, signal),
    inventory.getLoadBalancer(
      settings.loadBalancerResourceGroup,
      settings.loadBalancerName ?? DEFAULT_LOAD_BALANCER_NAME,
      signal,
    ),
    managedNames.size === 0
      ? Promise.resolve([])
      : inventory.listPublicIpPrefixes(settings.publicIpResourceGroup, MANAGED_RESOURCE_PREFIX, signal),
    Promise.all(byoIds.map((id) => inventory.getPublicIpPrefix(id, signal))),
    inventory.listPrefixPublicIps(settings.publicIpResourceGroup, signal),
  ]);
  const prefixes = new Map<string, PublicIpPrefix>();
  for (const p of managed) if (managedNames.has(p.name.toLowerCase())) prefixes.set(armIdKey(p.id), p);
  for (const p of byo) if (p !== undefined) prefixes.set(armIdKey(p.id), p);
  return {
    members: await withStrays(query.pool, members, loadBalancer, inventory, signal),
    ...(loadBalancer === undefined ? {} : { loadBalancer }),
    prefixes: [...prefixes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p),
    publicIps,
  };
}

/** Adds the NICs the pool's backend pool still references but that are not members (NIC pools only). */
async function withStrays(
  pool: PoolRef,
  members: ObservedPoolMembers,
  loadBalancer: LoadBalancer | undefined,
  inventory: ArmInventory,
  signal: AbortSignal,
): Promise<ObservedPoolMembers> {
  if (members.kind === 'vmss' || pool.kind === 'vmss' || loadBalancer === undefined) return members;
  const uniqueId =
    pool.kind === 'aks-vm-pool'
      ? vmPoolUniqueId(pool.poolName)
      : standaloneVmsUniqueId(pool.resourceGroup, pool.vmNames);
  const backend = loadBalancer.backendAddressPools?.find(
    (b) => b.name?.toLowerCase() === uniqueId.toLowerCase(),
  );
  const memberNics = new Set(
    (members.kind === 'aks-vm-pool'
      ? members.nics
      : members.vms.flatMap((v) => (v.primaryNic === undefined ? [] : [v.primaryNic]))
    ).map((n) => armIdKey(n.id)),
  );
  const strayIds = new Map<string, string>();
  for (const ref of backend?.backendIPConfigurations ?? []) {
    const nicId = standaloneNicIdOf(ref.id);
    if (nicId !== undefined && !memberNics.has(armIdKey(nicId))) strayIds.set(armIdKey(nicId), nicId);
  }
  if (strayIds.size === 0) return members;
  const found = await Promise.all(
    [...strayIds.values()].map((id) => inventory.getNetworkInterface(id, signal)),
  );
  const strays = found.filter((n): n is NetworkInterface => n !== undefined);
  return strays.length === 0 ? members : { ...members, strays };
}

/** `…/networkInterfaces/<nic>` of a standalone NIC's ipConfiguration id (not a VMSS instance's). */
function standaloneNicIdOf(ipConfigurationId: string | undefined): string | undefined {
  if (ipConfigurationId === undefined) return undefined;
  const parsed = parseArmId(ipConfigurationId);
  if (parsed.kind !== 'ok') return undefined;
  const { types } = parsed.resource;
  if (types.length !== 2 || types[0]?.toLowerCase() !== 'networkinterfaces') return undefined;
  return ipConfigurationId.slice(0, ipConfigurationId.toLowerCase().lastIndexOf('/ipconfigurations/'));
}
