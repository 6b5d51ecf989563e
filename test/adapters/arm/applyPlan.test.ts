/**
 * The apply policy in isolation (the stand-in runs it for real in poolLoop/poolScenarios): phases in
 * order, steps of a phase concurrently up to the bound, stop after the first phase with a failure
 * (its in-flight steps finish, later phases are `skipped`), one audit record per attempted write, and
 * each error class reported as the outcome the use case acts on. The writer here is a recording
 * ArmWriter whose steps the test releases by hand, so concurrency is observed without timing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPlan } from '../../../shared/adapters/arm/applyPlan.js';
import {
  ConflictError,
  InvariantError,
  NotFoundError,
  TransientError,
  ValidationError,
} from '../../../shared/core/errors.js';
import type { Plan, PlanPhase, PlanStep } from '../../../shared/core/plan.js';
import type { AppliedStep, ArmWriteRecord, ArmWriter } from '../../../shared/ports/armWriter.js';

const step = (phase: PlanPhase, name: string): PlanStep =>
  phase === 'delete-prefixes'
    ? { kind: 'delete-public-ip-prefix', phase, resourceId: `/p/${name}`, uids: [], reasons: [`why ${name}`] }
    : {
        kind: 'delete-public-ip',
        phase,
        resourceId: `/ip/${name}`,
        uids: [],
        reasons: [`why ${name}`],
        ifMatch: 'W/"1"',
      };

const planOf = (steps: readonly PlanStep[]): Plan => ({
  poolKey: 'vmss:rg:gw',
  steps,
  ports: [],
  outcomes: [],
});

/** A writer whose calls wait until the test settles them. */
function controlledWriter(): ArmWriter & {
  readonly started: string[];
  inFlight: number;
  maxInFlight: number;
  settle(id: string, result: 'ok' | Error): void;
  waitStarted(n: number): Promise<void>;
} {
  const pending = new Map<string, { resolve: (a: AppliedStep) => void; reject: (e: Error) => void }>();
  const waiters: (() => void)[] = [];
  const w = {
    started: [] as string[],
    inFlight: 0,
    maxInFlight: 0,
    apply(s: PlanStep): Promise<AppliedStep> {
      w.started.push(s.resourceId);
      w.inFlight += 1;
      w.maxInFlight = Math.max(w.maxInFlight, w.inFlight);
      waiters.splice(0).forEach((f) => f());
      return new Promise<AppliedStep>((resolve, reject) =>
        pending.set(s.resourceId, { resolve, reject }),
      ).finally(() => {
        w.inFlight -= 1;
      });
    },
    settle(id: string, result: 'ok' | Error) {
      const p = pending.get(id);
      assert.ok(p, `${id} was not started`);
      pending.delete(id);
      if (result === 'ok') p.resolve({ resourceId: id, etag: `etag-${id}` });
      else p.reject(result);
    },
    async waitStarted(n: number) {
      while (w.started.length < n) await new Promise<void>((r) => waiters.push(r));
    },
  };
  return w;
}

describe('applyPlan', () => {
  it('runs phases in order, the steps of a phase concurrently up to maxConcurrency', async () => {
    const writer = controlledWriter();
    const steps = [
      ...['a', 'b', 'c'].map((n) => step('create-public-ips', n)),
      ...['d', 'e'].map((n) => step('delete-public-ips', n)),
      step('delete-prefixes', 'f'),
    ];
    const done = applyPlan(planOf(steps), {
      writer,
      maxConcurrency: 2,
      signal: new AbortController().signal,
    });
    await writer.waitStarted(2);
    assert.deepEqual(writer.started, ['/ip/a', '/ip/b'], 'two at once, the third waits for a free slot');
    writer.settle('/ip/b', 'ok');
    await writer.waitStarted(3);
    assert.deepEqual(writer.started, ['/ip/a', '/ip/b', '/ip/c']);
    writer.settle('/ip/a', 'ok');
    writer.settle('/ip/c', 'ok');
    await writer.waitStarted(5);
    assert.deepEqual(
      writer.started.slice(3),
      ['/ip/d', '/ip/e'],
      'the next phase only after the whole phase',
    );
    writer.settle('/ip/d', 'ok');
    writer.settle('/ip/e', 'ok');
    await writer.waitStarted(6);
    writer.settle('/p/f', 'ok');
    const report = await done;
    assert.equal(report.completed, true);
    assert.equal(writer.maxInFlight, 2);
    assert.deepEqual(
      report.steps.map((s) => [s.resourceId, s.outcome]),
      steps.map((s) => [s.resourceId, { kind: 'ok', etag: `etag-${s.resourceId}` }]),
    );
  });

  it('stops after the first phase with a failure: its other steps finish, later phases are skipped', async () => {
    const writer = controlledWriter();
    const steps = [
      step('create-public-ips', 'a'),
      step('create-public-ips', 'b'),
      step('delete-prefixes', 'c'),
    ];
    const audit: ArmWriteRecord[] = [];
    const done = applyPlan(planOf(steps), {
      writer,
      onWrite: (r) => {
        audit.push(r);
      },
      signal: new AbortController().signal,
    });
    await writer.waitStarted(2);
    writer.settle(
      '/ip/a',
      new ConflictError('PUT /ip/a: PreconditionFailed', { detail: 'PreconditionFailed' }),
    );
    writer.settle('/ip/b', 'ok');
    const report = await done;
    assert.equal(report.completed, false);
    assert.equal(report.stoppedAt, 'create-public-ips');
    assert.deepEqual(
      report.steps.map((s) => s.outcome.kind),
      ['conflict', 'ok', 'skipped'],
    );
    assert.deepEqual(writer.started, ['/ip/a', '/ip/b']);
    assert.deepEqual(
      audit.map((r) => [r.resourceId, r.method, r.outcome, r.error]),
      [
        ['/ip/a', 'DELETE', 'failed', 'ConflictError/PreconditionFailed: PUT /ip/a: PreconditionFailed'],
        ['/ip/b', 'DELETE', 'succeeded', undefined],
      ],
    );
    assert.equal(audit[0]?.reason, 'delete-public-ip: why a');
  });

  it('reports each error class as the outcome the caller acts on', async () => {
    const errors: Record<string, Error> = {
      '/ip/conflict': new ConflictError('c', { detail: 'Conflict' }),
      '/ip/transient': new TransientError('t', { detail: 'ServerBusy', retryAfterMs: 5000 }),
      '/ip/refused': new ValidationError(
        [{ field: 'PUT x', message: 'Azure refused (SubnetIsFull): full' }],
        { detail: 'SubnetIsFull' },
      ),
      '/ip/missing': new NotFoundError('n', { detail: 'ResourceGroupNotFound' }),
      '/ip/bug': new InvariantError('i', { detail: 'RulesUseSameBackendPortProtocolAndPool' }),
    };
    const writer: ArmWriter = {
      apply: (s) => Promise.reject(errors[s.resourceId] ?? new Error('unexpected')),
    };
    const steps = Object.keys(errors).map((id) => step('create-public-ips', id.slice(4)));
    const report = await applyPlan(planOf(steps), { writer, signal: new AbortController().signal });
    assert.deepEqual(
      report.steps.map((s) => s.outcome),
      [
        { kind: 'conflict', message: 'c', code: 'Conflict' },
        { kind: 'transient', message: 't', code: 'ServerBusy', retryAfterMs: 5000 },
        { kind: 'refused', message: 'PUT x: Azure refused (SubnetIsFull): full', code: 'SubnetIsFull' },
        { kind: 'failed', errorCode: 'NotFoundError', message: 'n', code: 'ResourceGroupNotFound' },
        {
          kind: 'failed',
          errorCode: 'InvariantError',
          message: 'i',
          code: 'RulesUseSameBackendPortProtocolAndPool',
        },
      ],
    );
  });

  it('an audit failure is not swallowed (rethrown after the phase); an abort stops the apply', async () => {
    const ok: ArmWriter = { apply: (s) => Promise.resolve({ resourceId: s.resourceId }) };
    await assert.rejects(
      applyPlan(planOf([step('create-public-ips', 'a'), step('delete-prefixes', 'b')]), {
        writer: ok,
        onWrite: () => Promise.reject(new Error('audit table down')),
        signal: new AbortController().signal,
      }),
      /audit table down/,
    );
    const controller = new AbortController();
    controller.abort(new Error('function timeout'));
    await assert.rejects(
      applyPlan(planOf([step('create-public-ips', 'a')]), { writer: ok, signal: controller.signal }),
      /function timeout/,
    );
  });

  it('an empty plan is complete and writes nothing', async () => {
    const report = await applyPlan(planOf([]), {
      writer: { apply: () => Promise.reject(new Error('must not write')) },
      signal: new AbortController().signal,
    });
    assert.deepEqual(report, { completed: true, steps: [] });
  });
});
