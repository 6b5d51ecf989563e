/**
 * The queue handler: one reconcile request per message (`{poolKey, reason, enqueuedAt}`, base64 JSON,
 * parsed by the host). A message that is not a reconcile request throws a ValidationError: the host
 * retries it and then keeps it in the poison queue, where admin shows it. Failed ARM writes do not
 * throw (the use case re-enqueues with a delay); anything unexpected does, for the queue's retry.
 */
import type { InvocationContext } from '@azure/functions';
import { reconcilePool, type ReconcileDeps, type ReconcileResult } from '../../shared/app/reconcilePool.js';
import { ValidationError } from '../../shared/core/errors.js';
import { isTableSafeKey } from '../../shared/core/pool.js';
import { invocationLogger, invocationSignal } from './invocation.js';

/** The storage queue `reconcile` is triggered by (`<name>-poison` holds the poisoned requests). */
export const RECONCILE_QUEUE = 'egret-reconcile';

/** The app setting naming the storage connection of the reconcile queue trigger. */
export const STORAGE_CONNECTION = 'AzureWebJobsStorage';

/** The reconcile handler over the worker's dependencies. */
export function createReconcileHandler(
  deps: () => Omit<ReconcileDeps, 'logger'> & { readonly workerId: string },
) {
  return async (message: unknown, ctx: InvocationContext): Promise<void> => {
    const request = readRequest(message);
    const d = deps();
    const logger = invocationLogger(ctx).with({ poolKey: request.poolKey, reason: request.reason });
    const result: ReconcileResult = await reconcilePool(
      { ...d, logger },
      { ...request, holderId: `${d.workerId}:${ctx.invocationId}` },
      invocationSignal(),
    );
    logger.info(`reconcile: ${result.kind}`, { result });
  };
}

function readRequest(message: unknown): { poolKey: string; reason: string } {
  const m = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
  const poolKey = m['poolKey'];
  if (typeof poolKey !== 'string' || !isTableSafeKey(poolKey))
    throw new ValidationError([
      { field: 'poolKey', message: `is not a pool key in reconcile message ${JSON.stringify(message)}` },
    ]);
  return { poolKey, reason: typeof m['reason'] === 'string' ? m['reason'] : 'unknown' };
}
