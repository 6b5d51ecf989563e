/**
 * Admin: the reconcile requests that failed `maxDequeueCount` times and were moved to the poison queue
 * (`<queue>-poison`) by the Functions host. They are kept there (never deleted by egret) so an operator
 * can read them; the resync timer keeps reconciling their pools meanwhile.
 */

import type { PoisonMessage, PoisonQueueReader } from '../ports/poisonQueue.js';

export type { PoisonMessage, PoisonQueueReader } from '../ports/poisonQueue.js';

/** Lists poison messages. */
export async function listPoisonMessages(
  deps: { readonly poison: PoisonQueueReader },
  signal: AbortSignal,
): Promise<readonly PoisonMessage[]> {
  return deps.poison.peek(32, signal);
}
