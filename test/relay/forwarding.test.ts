/** The forwarding queue, event building and backoff (pure). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../agents/relay/backoff.js';
import { ForwardQueue } from '../../agents/relay/forwardQueue.js';
import { forwardedObject, forwardFingerprint, syncRequests } from '../../agents/relay/relayEvents.js';
import { MAX_RELAY_EVENTS, parseRelayEventsRequest } from '../../shared/core/relayContract.js';
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';

function sgc(
  name: string,
  extra: { rv?: string; generation?: number; namespace?: string; spec?: object; status?: object } = {},
): StaticGatewayConfiguration {
  return {
    apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
    kind: 'StaticGatewayConfiguration',
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      uid: `uid-${extra.namespace ?? 'default'}-${name}`,
      resourceVersion: extra.rv ?? '1',
      generation: extra.generation ?? 1,
    },
    spec: extra.spec ?? { gatewayNodepoolName: 'gw' },
    ...(extra.status === undefined ? {} : { status: extra.status }),
  };
}

describe('ForwardQueue', () => {
  it('coalesces per uid: the latest state wins, an unsent ADDED stays ADDED', () => {
    const q = new ForwardQueue();
    q.offer('ADDED', sgc('a', { rv: '1' }));
    q.offer('MODIFIED', sgc('a', { rv: '2' }));
    q.offer('MODIFIED', sgc('b', { rv: '3' }));
    q.offer('DELETED', sgc('b', { rv: '4' }));
    const batch = q.take(10);
    assert.deepEqual(
      batch.map((b) => [b.event.type, b.event.object.metadata.resourceVersion]),
      [
        ['ADDED', '2'],
        ['DELETED', '4'],
      ],
    );
  });

  it('keeps an event that was replaced while its batch was in flight', () => {
    const q = new ForwardQueue();
    q.offer('MODIFIED', sgc('a', { rv: '1' }));
    q.offer('MODIFIED', sgc('b', { rv: '1' }));
    const batch = q.take(10);
    q.offer('MODIFIED', sgc('a', { rv: '2' }));
    q.acknowledge(batch);
    assert.deepEqual(
      q.take(10).map((b) => b.event.object.metadata.resourceVersion),
      ['2'],
    );
  });

  it('takes oldest first, at most max, and a SYNC acknowledges everything queued before it', () => {
    const q = new ForwardQueue();
    for (const n of ['a', 'b', 'c']) q.offer('MODIFIED', sgc(n));
    assert.deepEqual(
      q.take(2).map((b) => b.event.object.metadata.name),
      ['a', 'b'],
    );
    const seq = q.lastSeq;
    q.offer('MODIFIED', sgc('d'));
    q.acknowledgeUpTo(seq);
    assert.deepEqual(
      q.take(10).map((b) => b.event.object.metadata.name),
      ['d'],
    );
    assert.equal(q.size, 1);
  });
});

describe('relay events', () => {
  it('the fingerprint ignores status, finalizers and resourceVersion but sees spec, generation and deletion', () => {
    const base = sgc('a');
    const same = [
      { ...base, status: { egressIpPrefix: 'x' } },
      { ...base, metadata: { ...base.metadata, finalizers: ['f'], resourceVersion: '9' } },
    ];
    for (const o of same) assert.equal(forwardFingerprint(o), forwardFingerprint(base));
    const different = [
      { ...base, spec: { gatewayNodepoolName: 'other' } },
      { ...base, metadata: { ...base.metadata, generation: 2 } },
      { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } },
    ];
    for (const o of different) assert.notEqual(forwardFingerprint(o), forwardFingerprint(base));
  });

  it('forwards the object without managedFields', () => {
    const o = sgc('a');
    const withManaged = {
      ...o,
      metadata: { ...o.metadata, managedFields: [{ manager: 'kubectl' }] },
    } as StaticGatewayConfiguration;
    assert.deepEqual(forwardedObject(withManaged), o);
  });

  it('a SYNC is one request, sorted, marked fullSync, that the contract parser accepts', () => {
    const plan = syncRequests('c1', [sgc('b'), sgc('a', { namespace: 'z' }), sgc('a')]);
    assert.equal(plan.kind, 'sync');
    if (plan.kind !== 'sync') return;
    assert.equal(plan.request.fullSync, true);
    assert.deepEqual(
      plan.request.events.map((e) => `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}`),
      ['SYNC default/a', 'SYNC default/b', 'SYNC z/a'],
    );
    assert.equal(parseRelayEventsRequest(JSON.parse(JSON.stringify(plan.request))).kind, 'ok');
  });

  it('an empty cluster sends the explicit empty SYNC', () => {
    const plan = syncRequests('c1', []);
    assert.deepEqual(plan, { kind: 'sync', request: { clusterId: 'c1', fullSync: true, events: [] } });
    assert.equal(parseRelayEventsRequest(plan.kind === 'sync' ? plan.request : undefined).kind, 'ok');
  });

  it('more configurations than one request may carry become MODIFIED batches, never a partial SYNC', () => {
    const objects = Array.from({ length: MAX_RELAY_EVENTS + 3 }, (_, i) =>
      sgc(`c${String(i).padStart(4, '0')}`),
    );
    const plan = syncRequests('c1', objects);
    assert.equal(plan.kind, 'too-large');
    if (plan.kind !== 'too-large') return;
    assert.deepEqual(
      plan.requests.map((r) => r.events.length),
      [MAX_RELAY_EVENTS, 3],
    );
    for (const r of plan.requests) {
      assert.equal(r.fullSync, undefined);
      assert.ok(r.events.every((e) => e.type === 'MODIFIED'));
      assert.equal(parseRelayEventsRequest(JSON.parse(JSON.stringify(r))).kind, 'ok');
    }
  });
});

describe('backoffDelay', () => {
  const policy = { initialMs: 1000, maxMs: 30_000 };
  it('doubles from the initial delay and stops at the maximum', () => {
    const mid = (n: number) => backoffDelay(n, policy, { random: () => 0.5 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 50].map(mid),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
    );
  });

  it('spreads by ±20% but never beyond the maximum', () => {
    assert.equal(backoffDelay(1, policy, { random: () => 0 }), 800);
    assert.equal(backoffDelay(1, policy, { random: () => 0.999999 }), 1200);
    assert.equal(backoffDelay(10, policy, { random: () => 0.999999 }), 30_000);
  });

  it('honours a longer Retry-After', () => {
    assert.equal(backoffDelay(1, policy, { random: () => 0.5, retryAfterMs: 45_000 }), 45_000);
    assert.equal(backoffDelay(3, policy, { random: () => 0.5, retryAfterMs: 10 }), 4000);
  });
});
