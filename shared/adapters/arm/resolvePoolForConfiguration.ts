/**
 * Resolves a validated spec to its gateway pool: core `resolvePool` (which decides) over the inventory
 * it needs (which this lists), so the decision is made in ONE place for every caller:
 * - `gatewayNodepoolName`: the scale sets, NICs and VMs of the gateway resource group (a VMSS tagged
 *   `aks-managed-poolName` wins, else the VirtualMachines-pool NICs; prefix length from the tag
 *   `aks-managed-gatewayIPPrefixSize`);
 * - a VMSS profile: that scale set only (a GET, wherever its resource group is);
 * - standalone VMs: nothing to list (the pool is the named set).
 */
import type { ArmInventory } from '../../ports/armInventory.js';
import type { PoolInventory, PoolResolution } from '../../core/pool.js';
import { resolvePool } from '../../core/pool.js';
import type { DesiredSpec } from '../../core/staticGatewayConfiguration.js';

/** Options of {@link resolvePoolForConfiguration}. */
export interface ResolvePoolOptions {
  readonly inventory: ArmInventory;
  /** Where AKS nodepools live (the node resource group): `EgretConfig.gatewayResourceGroup`. */
  readonly gatewayResourceGroup: string;
}

/** The pool of one validated spec (`not-found` / `invalid` are answers, not errors). */
export async function resolvePoolForConfiguration(
  spec: DesiredSpec,
  options: ResolvePoolOptions,
  signal: AbortSignal,
): Promise<PoolResolution> {
  const selector = spec.pool;
  const empty: PoolInventory = {
    gatewayResourceGroup: options.gatewayResourceGroup,
    scaleSets: [],
    nics: [],
    vms: [],
  };
  switch (selector.kind) {
    case 'standalone-vms':
      return resolvePool(spec, empty);
    case 'vmss': {
      // Only the named scale set: list nothing in the gateway resource group.
      const listed = await options.inventory.listPoolInventory(
        {
          gatewayResourceGroup: options.gatewayResourceGroup,
          profileScaleSets: [{ resourceGroup: selector.resourceGroup, name: selector.vmssName }],
        },
        signal,
      );
      return resolvePool(spec, { ...empty, scaleSets: listed.scaleSets });
    }
    case 'nodepool':
      return resolvePool(
        spec,
        await options.inventory.listPoolInventory(
          { gatewayResourceGroup: options.gatewayResourceGroup, profileScaleSets: [] },
          signal,
        ),
      );
  }
}
