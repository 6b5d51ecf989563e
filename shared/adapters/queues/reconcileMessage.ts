/**
 * The reconcile queue's message format, shared by the Storage adapter, the in-memory queue and the
 * queue trigger's handler: JSON `{ poolKey, reason, enqueuedAt, attempt? }`, base64 (UTF-8) on the
 * wire because the Functions host's queue trigger decodes base64 by default (host.json
 * `extensions.queues.messageEncoding`).
 *
 * `attempt` (failed rounds so far, for the retry backoff) is a typed field. Messages written before it
 * existed carried the count only in the reason text (`retry <n>: …`); they are still read, as fresh
 * requests (attempt 0): the reason is never parsed, and the cost is one backoff that restarts from
 * its first delay for a message in flight during the upgrade.
 */
import { ValidationError } from '../../core/errors.js';
import { isTableSafeKey } from '../../core/pool.js';
import type { EnqueueInput, ReconcileRequest } from '../../ports/workQueue.js';
import { assertTableKey } from '../tables/stateTable.js';

/** The longest visibility delay Storage queues accept. */
export const MAX_DELAY_MS = 7 * 24 * 60 * 60 * 1000;

/** A bound on `attempt` far beyond any backoff cap (the delay stops growing long before). */
export const MAX_ATTEMPT = 1_000_000;

/**
 * Validates an enqueue request and builds the message.
 * @throws ValidationError naming the field.
 */
export function buildReconcileRequest(input: EnqueueInput, now: Date): ReconcileRequest {
  assertTableKey('poolKey', input.poolKey);
  const delay = input.delayMs ?? 0;
  if (!Number.isFinite(delay) || delay < 0 || delay > MAX_DELAY_MS)
    throw new ValidationError([{ field: 'delayMs', message: `must be 0 to ${MAX_DELAY_MS} milliseconds` }]);
  if (typeof input.reason !== 'string' || input.reason.length > 1024)
    throw new ValidationError([{ field: 'reason', message: 'must be a string of at most 1024 characters' }]);
  if (input.attempt !== undefined && !isAttempt(input.attempt))
    throw new ValidationError([{ field: 'attempt', message: `must be an integer from 0 to ${MAX_ATTEMPT}` }]);
  return {
    poolKey: input.poolKey,
    reason: input.reason,
    enqueuedAt: now.toISOString(),
    ...(input.attempt === undefined || input.attempt === 0 ? {} : { attempt: input.attempt }),
  };
}

export function encodeReconcileMessage(request: ReconcileRequest): string {
  return Buffer.from(JSON.stringify(request), 'utf8').toString('base64');
}

/**
 * Reads a message as the queue trigger delivers it (the host has decoded base64 and parsed the JSON).
 * A missing or unreadable `reason` reads as `unknown` and an unreadable `attempt` as absent: neither
 * should poison a request for a pool that can be reconciled.
 * @throws ValidationError when the message names no pool key.
 */
export function readReconcileMessage(message: unknown): Omit<ReconcileRequest, 'enqueuedAt'> & {
  readonly enqueuedAt?: string;
} {
  const m = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
  const { poolKey, reason, enqueuedAt, attempt } = m;
  if (typeof poolKey !== 'string' || !isTableSafeKey(poolKey))
    throw new ValidationError([
      { field: 'poolKey', message: `is not a pool key in reconcile message ${JSON.stringify(message)}` },
    ]);
  return {
    poolKey,
    reason: typeof reason === 'string' ? reason : 'unknown',
    ...(typeof enqueuedAt === 'string' ? { enqueuedAt } : {}),
    ...(isAttempt(attempt) && attempt > 0 ? { attempt } : {}),
  };
}

function isAttempt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ATTEMPT;
}
