/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Lease leader election through the real client-node CoordinationV1Api against the Kubernetes API
 * stand-in, on a manual clock: one leader at a time, renewals keep it, a partitioned leader steps down
 * before anyone else can take over, a released lease is taken at once, a preempted leader steps down.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClientNodeLeasePort } from '../../agents/relay/clientNodeRelayCluster.js';
import { LeaseElector, type LeasePort } from '../../agents/relay/leaseElector.js';
import { createLogger } from '../../agents/common/logger.js';
import { TransientError } from '../../shared/core/errors.js';
import { EGRET_NAMESPACE, startEgretKube, type EgretKube } from '../k8s/support/egretKube.js';
import { ManualClock } from './support/manualClock.js';

const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

describe('LeaseElector on the API stand-in', () => {
  let world: EgretKube;
  before(async () => {
    world = await startEgretKube();
  });
  after(async () => world.stop());

  interface Candidate {
    readonly identity: string;
    readonly elector: LeaseElector;
    readonly terms: { start: number; end?: number }[];
    partition(): void;
    stop(): Promise<void>;
  }

  function setup(leaseName: string) {
    const clock = new ManualClock();
    const candidates: Candidate[] = [];
    let running = 0;
    function candidate(identity: string): Candidate {
      const real = createClientNodeLeasePort({
        kubeConfig: world.kc,
        namespace: EGRET_NAMESPACE,
        name: leaseName,
      });
      let partitioned = false;
      const fail = () => Promise.reject(new TransientError('partitioned'));
      const leases: LeasePort = {
        get: (s) => (partitioned ? fail() : real.get(s)),
        create: (r, s) => (partitioned ? fail() : real.create(r, s)),
        update: (r, v, s) => (partitioned ? fail() : real.update(r, v, s)),
      };
      const terms: { start: number; end?: number }[] = [];
      const elector = new LeaseElector({
        leases,
        identity,
        ...TIMING,
        clock,
        log: createLogger(identity, { level: 'error', write: () => undefined }),
        onStartedLeading: () => terms.push({ start: clock.nowMs() }),
        onStoppedLeading: () => {
          terms[terms.length - 1]!.end = clock.nowMs();
        },
      });
      const stop = new AbortController();
      const done = elector.run(stop.signal);
      const c: Candidate = {
        identity,
        elector,
        terms,
        partition: () => {
          partitioned = true;
        },
        stop: async () => {
          if (!stop.signal.aborted) running--;
          stop.abort();
          await done;
        },
      };
      running++;
      candidates.push(c);
      return c;
    }
    /**
     * Moves the clock only while every running candidate is asleep on it (no request in flight), so
     * a slow machine cannot make time jump past a renewal that is still on its way.
     */
    async function advanceUntil(check: () => boolean, what: string, stepMs = 500): Promise<void> {
      for (let i = 0; i < 1000; i++) {
        for (let wait = 0; clock.pending < running; wait++) {
          if (wait > 3000) assert.fail(`candidates never went idle while waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 2));
        }
        if (check()) return;
        clock.advance(stepMs);
      }
      assert.fail(`timed out waiting for ${what}`);
    }
    async function advanceFor(ms: number, stepMs = 500): Promise<void> {
      const until = clock.nowMs() + ms;
      await advanceUntil(() => clock.nowMs() >= until, `${ms} ms`, stepMs);
    }
    const readLease = async () =>
      (await world.objects.read({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: leaseName, namespace: EGRET_NAMESPACE },
      })) as {
        spec: { holderIdentity?: string; leaseTransitions?: number; renewTime?: string };
      };
    const stopAll = () => Promise.all(candidates.map((c) => c.stop()));
    return { clock, candidate, advanceUntil, advanceFor, readLease, stopAll };
  }

  it('two candidates racing for a new lease: exactly one leads, and keeps leading while it renews', async () => {
    const t = setup('race');
    const a = t.candidate('a');
    const b = t.candidate('b');
    await t.advanceUntil(() => a.elector.isLeader() || b.elector.isLeader(), 'a leader');
    await t.advanceFor(60_000);
    const leaders = [a, b].filter((c) => c.elector.isLeader());
    assert.equal(leaders.length, 1);
    assert.deepEqual([a, b].map((c) => c.terms.length).sort(), [0, 1], 'one term, no flapping');
    const lease = await t.readLease();
    assert.equal(lease.spec.holderIdentity, leaders[0]!.identity);
    assert.equal(lease.spec.leaseTransitions, 0);
    assert.ok(
      Date.parse(lease.spec.renewTime!) >= t.clock.nowMs() - TIMING.retryPeriodMs - 500,
      'renewed recently',
    );
    await t.stopAll();
  });

  it('a partitioned leader steps down before the standby may take over', async () => {
    const t = setup('partition');
    const a = t.candidate('a');
    await t.advanceUntil(() => a.elector.isLeader(), 'a to lead');
    const b = t.candidate('b');
    await t.advanceFor(10_000);
    a.partition();
    const partitionedAt = t.clock.nowMs();
    await t.advanceUntil(() => b.elector.isLeader(), 'b to take over');
    assert.equal(a.elector.isLeader(), false);
    const aEnd = a.terms[0]!.end!;
    const bStart = b.terms[0]!.start;
    assert.ok(
      aEnd < bStart,
      `a stopped at ${aEnd - partitionedAt}, b started at ${bStart - partitionedAt}: overlap`,
    );
    assert.ok(
      aEnd - partitionedAt <= TIMING.renewDeadlineMs + TIMING.retryPeriodMs,
      'a gave up within its renew deadline',
    );
    assert.ok(
      bStart - partitionedAt >= TIMING.leaseDurationMs - TIMING.retryPeriodMs,
      'b waited for the lease to expire',
    );
    const lease = await t.readLease();
    assert.equal(lease.spec.holderIdentity, 'b');
    assert.equal(lease.spec.leaseTransitions, 1);
    await t.stopAll();
  });

  it('a leader that stops releases the lease and the standby takes it at its next retry', async () => {
    const t = setup('release');
    const a = t.candidate('a');
    await t.advanceUntil(() => a.elector.isLeader(), 'a to lead');
    const b = t.candidate('b');
    await t.advanceFor(4_000);
    await a.stop();
    assert.equal((await t.readLease()).spec.holderIdentity, undefined);
    const releasedAt = t.clock.nowMs();
    await t.advanceUntil(() => b.elector.isLeader(), 'b to lead');
    assert.ok(t.clock.nowMs() - releasedAt <= TIMING.retryPeriodMs + 500);
    await t.stopAll();
  });

  it('a leader whose lease was taken by someone else steps down at its next renewal', async () => {
    const t = setup('preempt');
    const a = t.candidate('a');
    await t.advanceUntil(() => a.elector.isLeader(), 'a to lead');
    const lease = await world.objects.read({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'preempt', namespace: EGRET_NAMESPACE },
    });
    await world.objects.replace({
      ...lease,
      spec: {
        ...(lease as any).spec,
        holderIdentity: 'intruder',
        renewTime: new Date(t.clock.nowMs()).toISOString().replace('Z', '000Z'),
      },
    } as any);
    const takenAt = t.clock.nowMs();
    await t.advanceUntil(() => !a.elector.isLeader(), 'a to step down');
    assert.ok(
      t.clock.nowMs() - takenAt <= TIMING.retryPeriodMs + 500,
      'stepped down at the next renewal, not at the deadline',
    );
    await t.stopAll();
  });
});
