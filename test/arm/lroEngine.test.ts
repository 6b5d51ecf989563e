/**
 * The LRO engine's held poll: answered when the operation ends, and it leaves no timer behind (a
 * pending hold timer per poll used to keep every process that talked to the stand-in alive for up to
 * `maxPollHoldMs` after its last request).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventGridEmitter } from '../../infra/local/arm/engines/eventGridEmitter.js';
import { LroEngine } from '../../infra/local/arm/engines/lroEngine.js';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('LroEngine held polls', () => {
  it('a poll held for a running operation is answered when it ends and clears its hold timer', async () => {
    const events = new EventGridEmitter();
    const engine = new LroEngine(
      events,
      { 'Microsoft.Compute': 'c', 'Microsoft.Network': 'n', 'Microsoft.Resources': 'r' },
      { maxPollHoldMs: 20_000 },
    );
    const baseline = timers();
    let succeeded = false;
    const op = engine.begin({
      provider: 'Microsoft.Network',
      location: 'westeurope',
      durationMs: 5,
      locks: [],
      onSucceeded: () => {
        succeeded = true;
      },
      onFailed: () => undefined,
    });
    const answer = await engine.serveStatus(op.id, 'status');
    assert.ok(succeeded);
    assert.deepEqual(answer, { status: 200, body: { status: 'Succeeded' } });
    assert.equal(timers(), baseline, 'no hold timer (20 s) is left pending');
    events.stop();
  });
});
