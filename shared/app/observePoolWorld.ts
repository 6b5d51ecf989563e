/**
 * Observing everything the planner looks at for one gateway pool (shared/core/planPool.ts
 * `PlanPoolInput`), through the ArmInventory port: the members, the ILB, the prefixes of the pool's
 * configurations that exist (managed `egressgateway-<uid>` in the gateway resource group, plus every
 * bring-your-own prefix they name) and the public IPs of the gateway resource group that come from a
 * prefix. Reads only; the calls run concurrently.
 */
import { armIdKey, publicIpPrefixId } from '../core/armId.js';
import type { LoadBalancer, ObservedPoolMembers, PublicIpAddress, PublicIpPrefix } from '../core/observed.js';
import type { ResolvedPool } from '../core/pool.js';
import type { EgressSpec } from '../core/staticGatewayConfiguration.js';
import { MANAGED_RESOURCE_PREFIX, managedResourceName } from '../core/wellKnown.js';
import type { ArmInventory } from '../ports/armInventory.js';
import type { ControlPlaneSettings } from './controlPlaneSettings.js';

/** One observation of a pool. */
export interface PoolWorld {
  readonly members: ObservedPoolMembers;
  readonly loadBalancer?: LoadBalancer;
  readonly prefixes: readonly PublicIpPrefix[];
  readonly publicIps: readonly PublicIpAddress[];
}

/** The configurations whose prefixes matter: uid and (last known) egress. */
export interface PrefixOwner {
  readonly uid: string;
  readonly egress?: EgressSpec;
}

/** Observes one pool. */
export async function observePoolWorld(
  arm: ArmInventory,
  input: {
    readonly pool: ResolvedPool;
    readonly configurations: readonly PrefixOwner[];
    readonly settings: ControlPlaneSettings;
  },
  signal: AbortSignal,
): Promise<PoolWorld> {
  const { settings } = input;
  const rg = settings.gatewayResourceGroup;
  const wantedManaged = new Set(
    input.configurations.map((c) =>
      armIdKey(
        publicIpPrefixId(
          { subscriptionId: settings.subscriptionId, resourceGroup: rg },
          managedResourceName(c.uid),
        ),
      ),
    ),
  );
  const byoIds = [
    ...new Set(
      input.configurations.flatMap((c) =>
        c.egress?.kind === 'public' && c.egress.prefix.kind === 'byo' ? [c.egress.prefix.id] : [],
      ),
    ),
  ].sort();
  const [members, loadBalancer, managed, byo, publicIps] = await Promise.all([
    arm.observePoolMembers(input.pool.ref, signal),
    arm.getLoadBalancer(settings.loadBalancer.resourceGroup, settings.loadBalancer.name, signal),
    input.configurations.length === 0
      ? Promise.resolve([] as readonly PublicIpPrefix[])
      : arm.listPublicIpPrefixes(rg, MANAGED_RESOURCE_PREFIX, signal),
    Promise.all(byoIds.map((id) => arm.getPublicIpPrefix(id, signal))),
    arm.listPrefixPublicIps(rg, signal),
  ]);
  const prefixes = new Map<string, PublicIpPrefix>();
  for (const p of managed) if (wantedManaged.has(armIdKey(p.id))) prefixes.set(armIdKey(p.id), p);
  for (const p of byo) if (p !== undefined) prefixes.set(armIdKey(p.id), p);
  return {
    members,
    ...(loadBalancer === undefined ? {} : { loadBalancer }),
    prefixes: [...prefixes.values()].sort((a, b) => cmp(armIdKey(a.id), armIdKey(b.id))),
    publicIps: [...publicIps].sort((a, b) => cmp(armIdKey(a.id), armIdKey(b.id))),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
