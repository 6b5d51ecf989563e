/**
 * Admin: the reconcile requests that failed `maxDequeueCount` times and were moved to the poison queue
 * (`<queue>-poison`) by the Functions host. They are kept there (never deleted by egret) so an operator
 * can read them; the resync timer keeps reconciling their pools meanwhile.
 */

/** A poison message as peeked (not dequeued: peeking leaves it in place). */
export interface PoisonMessage {
  readonly messageId: string;
  readonly insertedOn?: string;
  readonly dequeueCount: number;
  /** The decoded request (JSON `{poolKey, reason, enqueuedAt}` for egret's own), or the raw text. */
  readonly body: unknown;
}

/** Reads the poison queue (port; adapter in shared/adapters/system). */
export interface PoisonQueueReader {
  /** Up to `max` (at most 32) messages from the front of the queue; an absent queue has none. */
  peek(max: number, signal: AbortSignal): Promise<readonly PoisonMessage[]>;
}

/** Lists poison messages. */
export async function listPoisonMessages(
  deps: { readonly poison: PoisonQueueReader },
  signal: AbortSignal,
): Promise<readonly PoisonMessage[]> {
  return deps.poison.peek(32, signal);
}
