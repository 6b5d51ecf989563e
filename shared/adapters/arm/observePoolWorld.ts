/**
 * Observes everything core `planPool` needs for one gateway pool, with as few ARM reads as the
 * resources allow (all concurrently):
 * - the members, by the pool's provider (VMSS: model + instances + NIC views; NIC pools: NICs);
 * - the ILB (absent when 404);
 * - the configurations' prefixes: managed `egressgateway-<uid>` from ONE list of the public IP
 *   resource group (every configuration given, present or deleting, in any egress mode: a managed
 *   prefix left from an earlier public mode must be seen to be deleted), and each BYO prefix a
 *   configuration names (a GET each; absent when 404);
 * - the public IPs of the public IP resource group that come from a prefix (ONE list).
 * The snapshot is not atomic (ARM has no transactions); ETags on every write catch what moved.
 */
import type { ArmInventory, ObservedPoolWorld, PoolWorldQuery } from '../../ports/armInventory.js';
import { armIdKey } from '../../core/armId.js';
import type { PublicIpPrefix } from '../../core/observed.js';
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
    members,
    ...(loadBalancer === undefined ? {} : { loadBalancer }),
    prefixes: [...prefixes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p),
    publicIps,
  };
}
