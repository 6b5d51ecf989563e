/**
 * The reconcile work queue: a request names a gateway pool; the queue-triggered `reconcile`
 * function takes it. Delivery is at-least-once and unordered, and the same pool may be enqueued many
 * times: that is harmless because reconcile is idempotent and one worker per pool holds the lease
 * (others mark the pool dirty and return). So there is no dedupe here, only a visibility delay for
 * backoff and debounce.
 */

/** What a queue message carries (JSON; base64-encoded on the wire, as the Functions host expects). */
export interface ReconcileRequest {
  /** The pool to reconcile (`shared/core/pool.ts` `poolKey`). */
  readonly poolKey: string;
  /** Why, for logs: e.g. `arm-event Microsoft.Compute/virtualMachineScaleSets/write`, `relay`, `resync`. */
  readonly reason: string;
  /** When it was enqueued (ISO 8601), from the enqueuer's clock. */
  readonly enqueuedAt: string;
  /**
   * Failed reconcile rounds of this pool before this request, for the retry backoff; absent for a fresh
   * request (a message queued before the field existed reads as a fresh one).
   */
  readonly attempt?: number;
}

/** What an enqueuer gives. */
export interface EnqueueInput {
  readonly poolKey: string;
  readonly reason: string;
  /** Invisible for this long (default 0; at most 7 days). */
  readonly delayMs?: number;
  /** See {@link ReconcileRequest.attempt}: a non-negative integer. */
  readonly attempt?: number;
}

export interface WorkQueue {
  /**
   * Enqueues a reconcile request, invisible for `delayMs` (default 0; at most 7 days).
   * @throws ValidationError for a pool key that is not a valid state key, a bad delay or attempt.
   * @throws TransientError when the queue service is unavailable.
   */
  enqueue(input: EnqueueInput, signal: AbortSignal): Promise<void>;
}
