/** Admin: ask for a reconcile of one pool now (marks it dirty, so even a clean pool is re-observed). */
import { ValidationError } from '../core/errors.js';
import { isTableSafeKey } from '../core/pool.js';
import type { PoolStore } from '../ports/stateStore.js';
import type { WorkQueue } from '../ports/workQueue.js';

/**
 * Marks the pool dirty and enqueues it.
 * @throws ValidationError for a key that cannot name a pool.
 */
export async function requestReconcile(
  deps: { readonly state: Pick<PoolStore, 'markPoolDirty'>; readonly queue: WorkQueue },
  input: { readonly poolKey: string; readonly reason: string },
  signal: AbortSignal,
): Promise<{ readonly dirtyGeneration: number }> {
  if (!isTableSafeKey(input.poolKey))
    throw new ValidationError([{ field: 'poolKey', message: 'is not a pool key (see admin/pools)' }]);
  const { dirtyGeneration } = await deps.state.markPoolDirty({ poolKey: input.poolKey }, signal);
  await deps.queue.enqueue({ poolKey: input.poolKey, reason: input.reason }, signal);
  return { dirtyGeneration };
}
