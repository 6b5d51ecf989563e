/**
 * The reconcile queue message: the retry attempt travels as a typed field; messages queued before the
 * field existed (the count only in the reason text) are still read, as fresh requests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildReconcileRequest,
  encodeReconcileMessage,
  readReconcileMessage,
} from '../../shared/adapters/queues/reconcileMessage.js';
import { ValidationError } from '../../shared/core/errors.js';

const now = new Date('2026-01-01T00:00:00Z');
const decode = (text: string): unknown => JSON.parse(Buffer.from(text, 'base64').toString('utf8'));

describe('reconcile message', () => {
  it('carries the attempt through encode and read', () => {
    const request = buildReconcileRequest(
      { poolKey: 'vmss:rg:gw', reason: 'retry: throttled', attempt: 3 },
      now,
    );
    assert.deepEqual(readReconcileMessage(decode(encodeReconcileMessage(request))), {
      poolKey: 'vmss:rg:gw',
      reason: 'retry: throttled',
      enqueuedAt: '2026-01-01T00:00:00.000Z',
      attempt: 3,
    });
  });

  it('a fresh request has no attempt field', () => {
    const request = buildReconcileRequest({ poolKey: 'vmss:rg:gw', reason: 'resync', attempt: 0 }, now);
    assert.equal('attempt' in request, false);
  });

  it('reads a message in the old format as a fresh request, without parsing its reason', () => {
    const old = {
      poolKey: 'vmss:rg:gw',
      reason: 'retry 4: put-vmss gw: throttled',
      enqueuedAt: now.toISOString(),
    };
    assert.equal(readReconcileMessage(old).attempt, undefined);
    assert.equal(readReconcileMessage(old).reason, old.reason);
  });

  it('an unreadable attempt is ignored on read and refused on enqueue, naming the field', () => {
    for (const attempt of [-1, 1.5, '3', null])
      assert.equal(readReconcileMessage({ poolKey: 'vmss:rg:gw', reason: 'x', attempt }).attempt, undefined);
    for (const attempt of [-1, 1.5, Number.NaN])
      assert.throws(
        () => buildReconcileRequest({ poolKey: 'vmss:rg:gw', reason: 'x', attempt }, now),
        (e: unknown) => e instanceof ValidationError && e.problems[0]?.field === 'attempt',
      );
  });

  it('a message without a pool key is refused (the host retries it, then poisons it)', () => {
    for (const message of [{}, { poolKey: 'a/b' }, 'text', null])
      assert.throws(
        () => readReconcileMessage(message),
        (e: unknown) => e instanceof ValidationError && e.problems[0]?.field === 'poolKey',
      );
  });
});
