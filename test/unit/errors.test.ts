import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError, TransientError, assertNever, isEgretError } from '../../shared/core/errors.js';

describe('error taxonomy', () => {
  it('a validation error names every field in its message', () => {
    const e = new ValidationError([
      { field: 'spec.excludeCidrs[0]', message: 'not a CIDR' },
      { field: 'spec.gatewayNodepoolName', message: 'exactly one pool selector is required' },
    ]);
    assert.equal(e.code, 'ValidationError');
    assert.match(e.message, /spec\.excludeCidrs\[0\]: not a CIDR/);
    assert.match(e.message, /spec\.gatewayNodepoolName/);
    assert.equal(e.name, 'ValidationError');
    assert.ok(isEgretError(e));
  });

  it('a transient error keeps the server-suggested delay', () => {
    const e = new TransientError('throttled', { retryAfterMs: 1500, detail: 'TooManyRequests' });
    assert.equal(e.retryAfterMs, 1500);
    assert.equal(e.detail, 'TooManyRequests');
    assert.ok(!isEgretError(new Error('plain')));
  });

  it('assertNever reports the unexpected value', () => {
    assert.throws(() => assertNever('bogus' as never, 'plan step'), /unexpected plan step: "bogus"/);
  });
});
