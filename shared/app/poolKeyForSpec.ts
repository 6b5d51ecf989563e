/**
 * Which gateway pool a validated spec belongs to, decided without calling ARM so `relayEvents` stays
 * fast and works while ARM is unreachable:
 * - a VMSS profile names its pool: `vmss:<rg>:<name>`;
 * - a standalone-VM profile names its pool: `standalone-vms:<rg>:<names>`;
 * - a nodepool name can be a VMSS or an AKS VirtualMachines pool, which only ARM can tell. It is kept
 *   where it was resolved before when the selector did not change; otherwise it goes to the PENDING key
 *   `nodepool:<gateway rg>:<name>`. The reconcile of a pending key resolves it against ARM inventory
 *   and moves the configuration to its real pool (see reconcilePool.ts).
 * Keys are lower case and Table-safe, like shared/core/pool.ts `poolKey`.
 */
import { canonicalVmNames, poolKey } from '../core/pool.js';
import type { DesiredSpec } from '../core/staticGatewayConfiguration.js';

const PENDING_PREFIX = 'nodepool:';

/** A pending pool: a nodepool name not yet resolved to a VMSS or VirtualMachines pool. */
export interface PendingPool {
  readonly resourceGroup: string;
  readonly nodepoolName: string;
}

/** The pool key of a spec; `previous` is the stored configuration (its spec and resolved key). */
export function poolKeyForSpec(
  spec: DesiredSpec,
  options: {
    readonly gatewayResourceGroup: string;
    readonly previous?: { readonly spec?: DesiredSpec; readonly poolKey: string };
  },
): string {
  const selector = spec.pool;
  switch (selector.kind) {
    case 'vmss':
      return poolKey({
        kind: 'vmss',
        resourceGroup: selector.resourceGroup,
        vmssName: selector.vmssName,
      });
    case 'standalone-vms':
      return poolKey({
        kind: 'standalone-vms',
        resourceGroup: selector.resourceGroup,
        vmNames: canonicalVmNames(selector.vmNames),
      });
    case 'nodepool': {
      const previous = options.previous;
      const before = previous?.spec?.pool;
      if (
        previous !== undefined &&
        previous.poolKey !== '' &&
        !isPendingPoolKey(previous.poolKey) &&
        before?.kind === 'nodepool' &&
        before.nodepoolName.toLowerCase() === selector.nodepoolName.toLowerCase()
      )
        return previous.poolKey;
      return pendingPoolKey({
        resourceGroup: options.gatewayResourceGroup,
        nodepoolName: selector.nodepoolName,
      });
    }
  }
}

/** The pending key of a nodepool. */
export function pendingPoolKey(pending: PendingPool): string {
  return `${PENDING_PREFIX}${pending.resourceGroup.toLowerCase()}:${pending.nodepoolName.toLowerCase()}`;
}

/** True for a pending (unresolved nodepool) key. */
export function isPendingPoolKey(key: string): boolean {
  return key.startsWith(PENDING_PREFIX);
}
