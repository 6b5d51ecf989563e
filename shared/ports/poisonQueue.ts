/** The poison queue, read by the admin API (shared/app/listPoisonMessages.ts; adapter in shared/adapters/system). */

/** A poison message as peeked (not dequeued: peeking leaves it in place). */
export interface PoisonMessage {
  readonly messageId: string;
  readonly insertedOn?: string;
  readonly dequeueCount: number;
  /** The decoded request (JSON `{poolKey, reason, enqueuedAt}` for egret's own), or the raw text. */
  readonly body: unknown;
}

/** Reads the poison queue (port). */
export interface PoisonQueueReader {
  /** Up to `max` (at most 32) messages from the front of the queue; an absent queue has none. */
  peek(max: number, signal: AbortSignal): Promise<readonly PoisonMessage[]>;
}
