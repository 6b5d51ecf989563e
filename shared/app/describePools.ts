/**
 * Admin view of gateway pools: dirty and reconciled generations, the lease, the last reconcile and its
 * outcome, and the members the last successful reconcile saw.
 */
import type { PoolStore } from '../ports/stateStore.js';
import { isPendingPoolKey } from './poolKeyForSpec.js';
import { readPoolSummary, type PoolMemberSummary } from './poolSummary.js';

/** One pool as admin shows it. */
export interface PoolView {
  readonly poolKey: string;
  readonly kind?: string;
  readonly uniqueId?: string;
  readonly dirtyGeneration: number;
  readonly reconciledGeneration: number;
  /** True while a dirty mark is not yet covered by a successful reconcile. */
  readonly dirty: boolean;
  readonly lease?: { readonly holderId: string; readonly expiresAt: string };
  readonly lastReconcile?: {
    readonly at: string;
    readonly outcome: 'succeeded' | 'failed';
    readonly generation: number;
    readonly error?: string;
  };
  readonly members: readonly PoolMemberSummary[];
  readonly configurations?: number;
}

/** Lists every pool, sorted by key. */
export async function describePools(
  deps: { readonly state: Pick<PoolStore, 'listPools'> },
  signal: AbortSignal,
): Promise<readonly PoolView[]> {
  return (await deps.state.listPools(signal)).map((p) => {
    const summary = readPoolSummary(p);
    const last = p.lastReconcile;
    return {
      poolKey: p.poolKey,
      ...(summary === undefined
        ? isPendingPoolKey(p.poolKey)
          ? { kind: 'pending nodepool resolution' }
          : {}
        : { kind: summary.ref.kind, uniqueId: summary.uniqueId }),
      dirtyGeneration: p.dirtyGeneration,
      reconciledGeneration: p.reconciledGeneration,
      dirty: p.dirtyGeneration > p.reconciledGeneration,
      ...(p.lease === undefined
        ? {}
        : { lease: { holderId: p.lease.holderId, expiresAt: p.lease.expiresAt.toISOString() } }),
      ...(last === undefined
        ? {}
        : {
            lastReconcile: {
              at: last.at.toISOString(),
              outcome: last.outcome,
              generation: last.generation,
              ...(last.error === undefined || last.error === '' ? {} : { error: last.error }),
            },
          }),
      members: summary?.members ?? [],
      ...(summary === undefined ? {} : { configurations: summary.configurations }),
    };
  });
}
