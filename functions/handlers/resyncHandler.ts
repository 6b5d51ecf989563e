/** The timer handler: marks every pool dirty and enqueues it (see shared/app/resyncPools.ts). */
import type { InvocationContext, Timer } from '@azure/functions';
import { resyncPools, type ResyncDeps } from '../../shared/app/resyncPools.js';
import { invocationLogger, invocationSignal } from './invocation.js';

/** The resync handler over the worker's dependencies. */
export function createResyncHandler(deps: () => Omit<ResyncDeps, 'logger'>) {
  return async (timer: Timer, ctx: InvocationContext): Promise<void> => {
    const logger = invocationLogger(ctx);
    if (timer.isPastDue) logger.warn('resync: running late (past due)');
    await resyncPools({ ...deps(), logger }, invocationSignal());
  };
}
