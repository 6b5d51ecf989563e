/**
 * The relay's Event correlation, with client-go's numbers (tools/record EventCorrelator, tools/events
 * series): spam filter burst 25 refilled 1 per 300 s per source+object; 10 distinct similar notes
 * within 10 minutes are aggregated; an isomorphic repeat is a series (count 2, then +1) on the same
 * Event, finished after 6 minutes unobserved. And which status changes deserve which Event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutNote, eventForStatusChange, NOTE_LIMIT_BYTES } from '../../agents/relay/configurationEvents.js';
import { EventCorrelator, type CorrelationInput } from '../../agents/relay/eventCorrelator.js';
import type { StaticGatewayConfigurationStatus } from '../../shared/core/staticGatewayConfiguration.js';

const base: CorrelationInput = {
  reportingController: 'egressgateway.kubernetes.azure.com/egret-relay',
  reportingInstance: 'relay-0',
  regarding: {
    apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
    kind: 'StaticGatewayConfiguration',
    namespace: 'default',
    name: 'web',
    uid: 'u1',
  },
  type: 'Warning',
  reason: 'AzureError',
  action: 'Reconcile',
  note: 'Azure refused',
};

/** Feeds events at the given times; creates "succeed" (named e<i>). */
function feed(c: EventCorrelator, inputs: readonly (readonly [number, CorrelationInput])[]): string[] {
  return inputs.map(([t, input], i) => {
    const d = c.correlate(input, t);
    if (d.kind === 'create') {
      c.created(d.key, `e${i}`, t);
      return `create:${d.note}`;
    }
    if (d.kind === 'series') return `series:${d.name}:${d.count}`;
    return 'drop';
  });
}

describe('event correlation', () => {
  it('an isomorphic repeat is a series on the same Event: count 2, then 3', () => {
    const c = new EventCorrelator();
    assert.deepEqual(
      feed(c, [
        [0, base],
        [1000, base],
        [2000, base],
      ]),
      ['create:Azure refused', 'series:e0:2', 'series:e0:3'],
    );
  });

  it('a series unobserved for 6 minutes is finished: the next one is a new Event', () => {
    const c = new EventCorrelator();
    assert.deepEqual(
      feed(c, [
        [0, base],
        [360_001, base],
      ]),
      ['create:Azure refused', 'create:Azure refused'],
    );
  });

  it('other objects and other reasons are separate Events', () => {
    const c = new EventCorrelator();
    const other = { ...base, regarding: { ...base.regarding, name: 'api', uid: 'u2' } };
    assert.deepEqual(
      feed(c, [
        [0, base],
        [1, other],
        [2, { ...base, reason: 'PoolNotFound' }],
      ]),
      ['create:Azure refused', 'create:Azure refused', 'create:Azure refused'],
    );
  });

  it('spam filter: 25 per object at once, then one per 300 s; other objects keep their own bucket', () => {
    const c = new EventCorrelator();
    const outcomes = Array.from(
      { length: 30 },
      (_, i) => c.correlate({ ...base, note: `attempt ${i % 5}` }, i).kind,
    );
    assert.equal(outcomes.filter((k) => k !== 'drop').length, 25);
    assert.deepEqual(outcomes.slice(25), ['drop', 'drop', 'drop', 'drop', 'drop']);
    assert.equal(c.correlate(base, 299_999).kind, 'drop');
    assert.notEqual(c.correlate(base, 300_000).kind, 'drop', 'a token after 300 s');
    assert.equal(c.correlate(base, 300_001).kind, 'drop');
    const other = { ...base, regarding: { ...base.regarding, name: 'api', uid: 'u2' } };
    assert.notEqual(c.correlate(other, 300_002).kind, 'drop');
  });

  it('aggregation: from the 10th distinct similar note within 10 minutes, one combined Event', () => {
    const c = new EventCorrelator();
    const inputs = Array.from(
      { length: 12 },
      (_, i) => [i * 1000, { ...base, note: `Azure refused request ${i}` }] as const,
    );
    const out = feed(c, inputs);
    assert.deepEqual(
      out.slice(0, 9),
      Array.from({ length: 9 }, (_, i) => `create:Azure refused request ${i}`),
    );
    assert.deepEqual(out.slice(9), [
      'create:(combined from similar events): Azure refused request 9',
      'series:e9:2',
      'series:e9:3',
    ]);
    const d = c.correlate({ ...base, note: 'Azure refused request 12' }, 13_000);
    assert.equal(
      d.kind === 'series' ? d.note : d.kind,
      '(combined from similar events): Azure refused request 12',
    );
    // Ten minutes after the last similar one the record starts over.
    const later = c.correlate({ ...base, note: 'Azure refused request 13' }, 13_000 + 600_001);
    assert.equal(later.kind === 'create' ? later.note : later.kind, 'Azure refused request 13');
  });
});

describe('which status change deserves which Event', () => {
  const ready = (status: 'True' | 'False', reason: string, message: string) => [
    { type: 'Ready', status, reason, message, lastTransitionTime: '2026-12-08T00:00:00Z' },
  ];
  const provisioned: StaticGatewayConfigurationStatus = {
    observedGeneration: 1,
    egressIpPrefix: '20.0.0.0/31',
    gatewayServerProfile: { ip: '10.0.0.4', port: 6000 },
    conditions: ready('True', 'Reconciled', 'provisioned'),
  };

  it('maps Ready transitions to reasons and types, and no transition to nothing', () => {
    const cases: [StaticGatewayConfigurationStatus | undefined, StaticGatewayConfigurationStatus, string][] =
      [
        [undefined, provisioned, 'Normal/Provisioned/Provision'],
        [provisioned, { ...provisioned, observedGeneration: 2 }, 'Normal/Updated/Update'],
        [provisioned, provisioned, 'none'],
        [
          provisioned,
          { ...provisioned, conditions: ready('False', 'InvalidSpec', 'spec.excludeCidrs[0]: bad') },
          'Warning/InvalidSpec/Validate',
        ],
        [
          provisioned,
          { ...provisioned, conditions: ready('False', 'AzureError', 'refused') },
          'Warning/AzureError/Reconcile',
        ],
        [
          undefined,
          { conditions: ready('False', 'PoolNotFound', 'no VMSS') },
          'Warning/PoolNotFound/Reconcile',
        ],
        [
          provisioned,
          { ...provisioned, conditions: ready('False', 'Deleting', 'removing') },
          'Warning/Waiting/Delete',
        ],
        [undefined, { conditions: ready('False', 'Reconciling', 'waiting for Azure') }, 'none'],
        [undefined, { conditions: ready('False', 'Finalized', 'gone') }, 'none'],
      ];
    for (const [before, after, want] of cases) {
      const e = eventForStatusChange(before, after);
      assert.equal(
        e === undefined ? 'none' : `${e.type}/${e.reason}/${e.action}`,
        want,
        JSON.stringify(after.conditions),
      );
    }
  });

  it('cuts notes to the 1 kB the API allows', () => {
    const note = cutNote('é'.repeat(2000));
    assert.ok(Buffer.byteLength(note, 'utf8') <= NOTE_LIMIT_BYTES);
    assert.ok(note.endsWith('…'));
  });
});
