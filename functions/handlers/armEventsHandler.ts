/**
 * The Event Grid handler: one event per invocation (the host fans a delivery out). Ignored and
 * malformed events return normally (logged) so Event Grid does not retry them; a storage failure
 * throws, the host answers 500 and Event Grid redelivers (handling is idempotent by event id).
 */
import type { InvocationContext } from '@azure/functions';
import { handleArmEvent, type HandleArmEventDeps } from '../../shared/app/handleArmEvent.js';
import { invocationLogger, invocationSignal } from './invocation.js';
import { refusals } from './relayHandlers.js';

/** The armEvents handler over the worker's dependencies. */
export function createArmEventsHandler(deps: () => Omit<HandleArmEventDeps, 'logger'>) {
  return async (event: unknown, ctx: InvocationContext): Promise<void> => {
    const logger = invocationLogger(ctx);
    const result = await handleArmEvent({ ...deps(), logger }, event, invocationSignal());
    if (result.kind === 'invalid')
      refusals(logger, 'armEvents: malformed event ignored', { problems: result.problems.slice(0, 5) });
  };
}
