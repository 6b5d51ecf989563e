/**
 * The queue handler: one reconcile request per message (`{poolKey, reason, enqueuedAt, attempt?}`,
 * base64 JSON parsed by the host, read by shared/adapters/queues/reconcileMessage.ts). A message that is not a reconcile request throws a ValidationError: the host
 * retries it and then keeps it in the poison queue, where admin shows it. Failed ARM writes do not
 * throw (the use case re-enqueues with a delay); anything unexpected does, for the queue's retry.
 */
import type { InvocationContext } from '@azure/functions';
import { reconcilePool, type ReconcileDeps, type ReconcileResult } from '../../shared/app/reconcilePool.js';
import { readReconcileMessage } from '../../shared/adapters/queues/reconcileMessage.js';
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
    const request = readReconcileMessage(message);
    const d = deps();
    const logger = invocationLogger(ctx).with({ poolKey: request.poolKey, reason: request.reason });
    const result: ReconcileResult = await reconcilePool(
      { ...d, logger },
      {
        poolKey: request.poolKey,
        reason: request.reason,
        ...(request.attempt === undefined ? {} : { attempt: request.attempt }),
        holderId: `${d.workerId}:${ctx.invocationId}`,
      },
      invocationSignal(),
    );
    logger.info(`reconcile: ${result.kind}`, { result });
  };
}
