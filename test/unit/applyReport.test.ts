/**
 * applyReport: what a reconcile round does after applying a plan (go on, re-observe, or fail and
 * retry later), what a configuration's status then says, and how long the retry waits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  assessApplyReport,
  notConverged,
  retryDelayMs,
  statusProblemOf,
  type ApplyPlanReport,
  type StepOutcome,
  type StepReport,
} from '../../shared/core/applyReport.js';

const step = (outcome: StepOutcome, name = 'nic-0'): StepReport => ({
  phase: 'members',
  kind: 'put-network-interface',
  resourceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/${name}`,
  uids: ['u1'],
  outcome,
});
const report = (steps: readonly StepReport[]): ApplyPlanReport => ({
  completed: steps.every((s) => s.outcome.kind === 'ok'),
  ...(steps.every((s) => s.outcome.kind === 'ok') ? {} : { stoppedAt: 'members' as const }),
  steps,
});

describe('assessApplyReport', () => {
  const conflict = step({ kind: 'conflict', code: 'PreconditionFailed', message: 'stale etag' }, 'a');
  const throttled = step(
    { kind: 'transient', code: 'TooManyRequests', message: 'slow down', retryAfterMs: 7000 },
    'b',
  );
  const full = step({ kind: 'refused', code: 'SubnetIsFull', message: 'no room' }, 'c');
  const bug = step(
    { kind: 'failed', errorCode: 'InvariantError', code: 'InvalidParameter', message: 'bad body' },
    'd',
  );
  const cases: [string, readonly StepReport[], unknown][] = [
    ['every step ok', [step({ kind: 'ok' })], { kind: 'completed' }],
    [
      'only a conflict: re-observe at once',
      [conflict, step({ kind: 'skipped' })],
      { kind: 'conflict', step: conflict },
    ],
    [
      'a throttled write keeps Retry-After, even after a conflict',
      [conflict, throttled],
      {
        kind: 'failed',
        failure: {
          reason: 'AzureError',
          uids: ['u1'],
          message: `put-network-interface ${throttled.resourceId}: TooManyRequests: slow down`,
          retryAfterMs: 7000,
        },
      },
    ],
    [
      'a refused write waits 15 × the base delay',
      [full],
      {
        kind: 'failed',
        failure: {
          reason: 'AzureError',
          uids: ['u1'],
          message: `put-network-interface ${full.resourceId}: SubnetIsFull: no room`,
          minDelayMs: 30_000,
        },
      },
    ],
    [
      'a failed write names its error code and Azure code',
      [bug],
      {
        kind: 'failed',
        failure: {
          reason: 'AzureError',
          uids: ['u1'],
          message: `put-network-interface ${bug.resourceId}: InvariantError (InvalidParameter): bad body`,
          minDelayMs: 30_000,
        },
      },
    ],
  ];
  for (const [name, steps, expected] of cases)
    it(name, () =>
      assert.deepEqual(
        assessApplyReport(report(steps), { retryBaseMs: 2000, configurations: ['u1', 'u2'] }),
        expected,
      ),
    );
});

describe('statusProblemOf', () => {
  const failure = { reason: 'AzureError' as const, message: 'put-vmss gw: SubnetIsFull: no room' };
  const own = { reason: 'InvalidSpec' as const, message: 'spec: bad' };
  const uid = 'u1';
  const cases: [string, Parameters<typeof statusProblemOf>[0], unknown][] = [
    ['nothing pending', { uid }, undefined],
    ['nothing pending after a failure: not this configuration’s', { uid, failure }, undefined],
    [
      'writes pending',
      { uid, waitingFor: 'put-vmss gw' },
      { reason: 'Reconciling', message: 'waiting for Azure: put-vmss gw' },
    ],
    ['writes pending after a failure', { uid, waitingFor: 'put-vmss gw', failure }, failure],
    [
      'writes pending after another configuration’s failure: still Reconciling',
      { uid, waitingFor: 'put-vmss gw', failure: { ...failure, uids: ['u2'] } },
      { reason: 'Reconciling', message: 'waiting for Azure: put-vmss gw' },
    ],
    ['its own problem wins', { uid, problem: own, waitingFor: 'put-vmss gw', failure }, own],
    [
      'not converged',
      { uid, waitingFor: 'x', failure: notConverged({ passes: 5, stepsLeft: 2 }) },
      {
        reason: 'Reconciling',
        message: 'not converged after 5 passes; 2 writes still planned',
      },
    ],
  ];
  for (const [name, input, expected] of cases)
    it(name, () => assert.deepEqual(statusProblemOf(input), expected));
});

describe('retryDelayMs', () => {
  const base = { baseMs: 2000, maxMs: 300_000 };
  const cases: [string, Parameters<typeof retryDelayMs>[0], number][] = [
    ['first retry waits the base delay', { ...base, attempt: 1 }, 2000],
    ['doubles per attempt', { ...base, attempt: 4 }, 16_000],
    ['Retry-After when longer', { ...base, attempt: 1, retryAfterMs: 7000 }, 7000],
    ['exponential when longer than Retry-After', { ...base, attempt: 5, retryAfterMs: 7000 }, 32_000],
    ['capped', { ...base, attempt: 40 }, 300_000],
    ['Retry-After capped too', { ...base, attempt: 1, retryAfterMs: 900_000 }, 300_000],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(retryDelayMs(input), expected));

  it('never shrinks from one attempt to the next, and stays within the base and the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.option(fc.nat({ max: 1_000_000 }), { nil: undefined }),
        (attempt, retryAfterMs) => {
          const at = (n: number) =>
            retryDelayMs({ ...base, attempt: n, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
          assert.ok(at(attempt + 1) >= at(attempt));
          assert.ok(at(attempt) >= base.baseMs && at(attempt) <= base.maxMs);
        },
      ),
    );
  });
});
