/**
 * requestReconcile: the one "mark dirty, then enqueue". A pool is marked before the caller's writes
 * and before it can be taken from the queue, so a failure in between never loses the request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestReconcile } from '../../shared/app/requestReconcile.js';
import { ValidationError } from '../../shared/core/errors.js';

const signal = AbortSignal.timeout(10_000);

function recorder(options: { failEnqueue?: boolean } = {}) {
  const log: string[] = [];
  const generations = new Map<string, number>();
  return {
    log,
    generations,
    deps: {
      state: {
        markPoolDirty: ({ poolKey }: { poolKey: string }) => {
          log.push(`mark ${poolKey}`);
          const g = (generations.get(poolKey) ?? 0) + 1;
          generations.set(poolKey, g);
          return Promise.resolve({ dirtyGeneration: g });
        },
      },
      queue: {
        enqueue: ({ poolKey }: { poolKey: string }) => {
          if (options.failEnqueue === true) return Promise.reject(new Error('queue down'));
          log.push(`enqueue ${poolKey}`);
          return Promise.resolve();
        },
      },
    },
  };
}

describe('requestReconcile', () => {
  it('marks every pool, runs the caller’s writes, then enqueues every pool once, sorted', async () => {
    const r = recorder();
    const marked = await requestReconcile(
      r.deps,
      {
        poolKeys: ['vmss:rg:b', 'vmss:rg:a', 'vmss:rg:b'],
        reason: 'test',
        afterMarking: () => {
          r.log.push('write');
          return Promise.resolve();
        },
      },
      signal,
    );
    assert.deepEqual(r.log, [
      'mark vmss:rg:a',
      'mark vmss:rg:b',
      'write',
      'enqueue vmss:rg:a',
      'enqueue vmss:rg:b',
    ]);
    assert.deepEqual(marked, [
      { poolKey: 'vmss:rg:a', dirtyGeneration: 1 },
      { poolKey: 'vmss:rg:b', dirtyGeneration: 1 },
    ]);
  });

  it('when enqueueing fails the pools stay marked dirty (the resync enqueues them)', async () => {
    const r = recorder({ failEnqueue: true });
    await assert.rejects(
      requestReconcile(r.deps, { poolKeys: ['vmss:rg:a'], reason: 'x' }, signal),
      /queue down/,
    );
    assert.equal(r.generations.get('vmss:rg:a'), 1);
  });

  it('refuses a key that cannot name a pool before marking anything', async () => {
    const r = recorder();
    await assert.rejects(
      requestReconcile(r.deps, { poolKeys: ['vmss:rg:a', 'a/b'], reason: 'x' }, signal),
      (e: unknown) => e instanceof ValidationError && e.problems[0]?.field === 'poolKey',
    );
    assert.deepEqual(r.log, []);
  });
});
