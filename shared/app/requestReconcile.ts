/**
 * Asking for a reconcile: every use case that wants pools reconciled (relay events, ARM events, the
 * resync timer, admin, a reconcile that moved configurations to another pool) goes through
 * {@link requestReconcile}, the one place that marks pools dirty and then enqueues them.
 *
 * The order is the contract: a reconcile round covers the dirty generation it saw when it started
 * (reconcilePool.ts), so the mark must be recorded before the message can be taken; and when the
 * caller's own writes are what make the pools dirty (`afterMarking`), they happen between the two —
 * if they or the enqueue fail, the mark stays and the next resync (or the caller's retry) finds the
 * pool dirty. A message without a newer mark is harmless: a clean pool's reconcile returns at once.
 */
import { ValidationError } from '../core/errors.js';
import { isTableSafeKey } from '../core/pool.js';
import type { PoolStore } from '../ports/stateStore.js';
import type { WorkQueue } from '../ports/workQueue.js';

/** What requesting a reconcile needs. */
export interface ReconcileRequester {
  readonly state: Pick<PoolStore, 'markPoolDirty'>;
  readonly queue: WorkQueue;
}

/** A pool marked dirty by a request. */
export interface RequestedReconcile {
  readonly poolKey: string;
  /** The pool's dirty generation after the mark. */
  readonly dirtyGeneration: number;
}

/**
 * Marks each pool dirty, runs `afterMarking` (when given), then enqueues each pool. Pool keys are
 * deduplicated and taken in sorted order.
 * @throws ValidationError for a key that cannot name a pool (nothing is marked then).
 */
export async function requestReconcile(
  deps: ReconcileRequester,
  input: {
    readonly poolKeys: readonly string[];
    /** Why (logs; the queue message's `reason`). */
    readonly reason: string;
    /** The caller's writes that make the pools dirty, made once every pool is marked. */
    readonly afterMarking?: () => Promise<void>;
  },
  signal: AbortSignal,
): Promise<readonly RequestedReconcile[]> {
  const poolKeys = [...new Set(input.poolKeys)].sort();
  for (const poolKey of poolKeys)
    if (!isTableSafeKey(poolKey))
      throw new ValidationError([
        { field: 'poolKey', message: `${JSON.stringify(poolKey)} is not a pool key (see admin/pools)` },
      ]);
  const marked: RequestedReconcile[] = [];
  for (const poolKey of poolKeys) {
    const { dirtyGeneration } = await deps.state.markPoolDirty({ poolKey }, signal);
    marked.push({ poolKey, dirtyGeneration });
  }
  await input.afterMarking?.();
  for (const poolKey of poolKeys) await deps.queue.enqueue({ poolKey, reason: input.reason }, signal);
  return marked;
}
