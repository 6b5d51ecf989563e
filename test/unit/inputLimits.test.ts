// Regression tests for issue 12 item 4: hostile values are refused at the boundary, naming the field,
// before anything reaches Table Storage, the queue or Azure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeArmEvent } from '../../shared/core/normalizeArmEvent.js';
import { parseRelayEventsRequest } from '../../shared/core/relayContract.js';
import { escapedKeyLength, isWellFormedText, truncateText } from '../../shared/core/inputLimits.js';
import { eventKey } from '../../shared/adapters/tables/createTableStateStore.js';

const object = (metadata: Record<string, unknown>, spec: unknown = { gatewayNodepoolName: 'gw' }) => ({
  apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
  kind: 'StaticGatewayConfiguration',
  metadata: { name: 'gw', namespace: 'ns', uid: 'u1', generation: 1, ...metadata },
  spec,
});
const problemsOf = (body: unknown) => {
  const r = parseRelayEventsRequest(body);
  return r.kind === 'invalid' ? r.problems.map((p) => p.field) : [];
};
const one = (metadata: Record<string, unknown>, spec?: unknown) => ({
  clusterId: 'aks-1',
  events: [{ type: 'ADDED', object: object(metadata, spec) }],
});

describe('relayEvents limits', () => {
  it('refuses a uid whose port-claim RowKey config-<uid> or Azure name would not fit (506..512 chars)', () => {
    for (const n of [67, 506, 512])
      assert.deepEqual(problemsOf(one({ uid: 'a'.repeat(n) })), ['events[0].object.metadata.uid'], `${n}`);
    assert.deepEqual(problemsOf(one({ uid: '6f1c0d1e-1b2a-4c3d-9e8f-0123456789ab' })), []);
  });

  it('refuses lone surrogates in clusterId, uid, name and namespace (never a retried 503)', () => {
    assert.deepEqual(problemsOf({ ...one({}), clusterId: 'aks\ud800' }), ['clusterId']);
    assert.deepEqual(problemsOf(one({ uid: 'u\udc00' })), ['events[0].object.metadata.uid']);
    assert.deepEqual(problemsOf(one({ name: 'g\ud800w' })), ['events[0].object.metadata.name']);
    assert.deepEqual(problemsOf(one({ namespace: '\udfff' })), ['events[0].object.metadata.namespace']);
  });

  it('refuses names Kubernetes would not have accepted', () => {
    assert.deepEqual(problemsOf(one({ name: 'x'.repeat(254) })), ['events[0].object.metadata.name']);
    assert.deepEqual(problemsOf(one({ namespace: 'n'.repeat(64) })), ['events[0].object.metadata.namespace']);
    assert.deepEqual(problemsOf(one({ name: 'Has Spaces' })), ['events[0].object.metadata.name']);
    assert.deepEqual(problemsOf({ ...one({}), clusterId: 'c'.repeat(254) }), ['clusterId']);
  });

  it('refuses a spec nested 5,000 deep without overflowing the stack', () => {
    let deep: unknown = {};
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    assert.deepEqual(problemsOf(one({}, deep)), ['events[0].object.spec']);
    let wide: unknown = [];
    for (let i = 0; i < 100_000; i++) wide = [wide];
    assert.deepEqual(problemsOf(one({}, { excludeCidrs: wide })), ['events[0].object.spec']);
  });

  it('refuses a spec too large to store, and a lone surrogate inside it', () => {
    assert.deepEqual(problemsOf(one({}, { excludeCidrs: ['x'.repeat(300_000)] })), ['events[0].object.spec']);
    assert.deepEqual(problemsOf(one({}, { gatewayNodepoolName: 'a\ud800' })), ['events[0].object.spec']);
  });

  it('refuses over-long resourceVersion and deletionTimestamp', () => {
    assert.deepEqual(problemsOf(one({ resourceVersion: '9'.repeat(200) })), [
      'events[0].object.metadata.resourceVersion',
    ]);
    assert.deepEqual(problemsOf(one({ deletionTimestamp: 'x\ud800' })), [
      'events[0].object.metadata.deletionTimestamp',
    ]);
  });
});

describe('Event Grid limits', () => {
  const vmss =
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/';
  const event = (over: Record<string, unknown>, uri = `${vmss}gw`) => ({
    id: 'e1',
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    subject: uri,
    eventTime: '2026-01-01T00:00:00Z',
    dataVersion: '',
    data: { operationName: 'Microsoft.Compute/virtualMachineScaleSets/write', resourceUri: uri },
    ...over,
  });
  const fields = (e: unknown) => {
    const n = normalizeArmEvent(e);
    return n.kind === 'invalid' ? n.problems.map((p) => p.field) : n.kind;
  };

  it('refuses an event id holding a lone surrogate, or over 512 characters once escaped', () => {
    assert.deepEqual(fields(event({ id: 'a\ud800' })), ['id']);
    assert.deepEqual(fields(event({ id: '#'.repeat(171) })), ['id']);
    assert.equal(fields(event({ id: '#'.repeat(170) })), 'pool-hint');
    assert.equal(escapedKeyLength('#'.repeat(170)), 510);
  });

  it('escapedKeyLength agrees with the dedupe table key', () => {
    for (const id of ['plain', '#/?%', 'a\u0085b\u0001', 'é€𝄞#'])
      assert.equal(escapedKeyLength(id), eventKey(id)[1].length, id);
  });

  it('refuses a resource id longer than any ARM id', () => {
    assert.deepEqual(fields(event({}, `${vmss}${'x'.repeat(3000)}`)), ['subject']);
  });

  it('truncates text on a character boundary', () => {
    const t = truncateText(`${'a'.repeat(1022)}𝄞𝄞`, 1024);
    assert.ok(t.length <= 1024 && isWellFormedText(t) && t.endsWith('…'));
  });
});
