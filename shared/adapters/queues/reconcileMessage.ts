/**
 * The reconcile queue's message format, shared by the Storage adapter and the in-memory queue:
 * JSON `{ poolKey, reason, enqueuedAt }`, base64 (UTF-8) on the wire because the Functions host's
 * queue trigger decodes base64 by default (host.json `extensions.queues.messageEncoding`).
 */
import { ValidationError } from '../../core/errors.js';
import type { ReconcileRequest } from '../../ports/workQueue.js';
import { assertTableKey } from '../tables/stateTable.js';

/** The longest visibility delay Storage queues accept. */
export const MAX_DELAY_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Validates an enqueue request and builds the message.
 * @throws ValidationError naming the field.
 */
export function buildReconcileRequest(
  input: { readonly poolKey: string; readonly reason: string; readonly delayMs?: number },
  now: Date,
): ReconcileRequest {
  assertTableKey('poolKey', input.poolKey);
  const delay = input.delayMs ?? 0;
  if (!Number.isFinite(delay) || delay < 0 || delay > MAX_DELAY_MS)
    throw new ValidationError([{ field: 'delayMs', message: `must be 0 to ${MAX_DELAY_MS} milliseconds` }]);
  if (typeof input.reason !== 'string' || input.reason.length > 1024)
    throw new ValidationError([{ field: 'reason', message: 'must be a string of at most 1024 characters' }]);
  return { poolKey: input.poolKey, reason: input.reason, enqueuedAt: now.toISOString() };
}

export function encodeReconcileMessage(request: ReconcileRequest): string {
  return Buffer.from(JSON.stringify(request), 'utf8').toString('base64');
}
