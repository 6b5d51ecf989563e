/**
 * The Event Grid filter feeding armEvents: exact operation names (StringIn), within Event Grid's limits,
 * immune to the case-insensitive prefix pitfall (`virtualMachines` matching `virtualMachineScaleSets`).
 * Matching is modelled on the documented semantics (learn.microsoft.com/azure/event-grid/event-filtering):
 * values of one filter are ORed, filters are ANDed, string comparisons are case-insensitive.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EVENT_GRID_MAX_ADVANCED_FILTER_VALUES,
  renderEventFilter as render,
  type EventSubscriptionFilter,
} from '../../infra/azure/renderEventFilter.js';
import {
  HANDLED_ARM_OPERATIONS,
  normalizeArmEvent,
  SUCCESS_EVENT_TYPES,
} from '../../shared/core/normalizeArmEvent.js';

const ARM_EVENT_TYPES = SUCCESS_EVENT_TYPES;
const renderEventFilter = (operationNames: readonly string[]): EventSubscriptionFilter =>
  render({ eventTypes: SUCCESS_EVENT_TYPES, operationNames });

type Filter = { operatorType: 'StringIn' | 'StringBeginsWith'; key: string; values: readonly string[] };

/** Event Grid's documented matching, for the operators used here. */
function delivers(
  filter: { includedEventTypes: readonly string[]; advancedFilters: readonly Filter[] },
  event: { eventType: string; data: { operationName: string } },
): boolean {
  if (!filter.includedEventTypes.some((t) => t.toLowerCase() === event.eventType.toLowerCase())) return false;
  return filter.advancedFilters.every((f) => {
    const value = f.key === 'data.operationName' ? event.data.operationName.toLowerCase() : '';
    return f.values.some((v) =>
      f.operatorType === 'StringIn' ? value === v.toLowerCase() : value.startsWith(v.toLowerCase()),
    );
  });
}

const HANDLED = HANDLED_ARM_OPERATIONS;
/** Operations in the same groups that armEvents does not handle: they must not be delivered. */
const NEIGHBOURS = [
  'Microsoft.Compute/virtualMachineScaleSets/extensions/write',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action',
  'Microsoft.Compute/virtualMachines/extensions/write',
  'Microsoft.Compute/virtualMachines/start/action',
  'Microsoft.Compute/disks/write',
  'Microsoft.Network/networkInterfaces/join/action',
  'Microsoft.Network/loadBalancers/backendAddressPools/join/action',
  'Microsoft.Network/publicIPAddresses/write',
  'Microsoft.Storage/storageAccounts/write',
];

const randomCase = (s: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((flips) => [...s].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

describe('renderEventFilter', () => {
  const filter: EventSubscriptionFilter = renderEventFilter(HANDLED);

  it('selects the three success event types and the exact operation names, sorted', () => {
    assert.deepEqual(filter.includedEventTypes, [...ARM_EVENT_TYPES]);
    assert.deepEqual(filter.advancedFilters, [
      {
        operatorType: 'StringIn',
        key: 'data.operationName',
        values: [...HANDLED]
          .map((x) => x.toLowerCase())
          .sort()
          .map((l) => HANDLED.find((x) => x.toLowerCase() === l)),
      },
    ]);
  });

  it('delivers every handled operation, in any letter case, for every success event type', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HANDLED).chain(randomCase),
        fc.constantFrom(...ARM_EVENT_TYPES),
        (operationName, eventType) => delivers(filter, { eventType, data: { operationName } }),
      ),
    );
  });

  it('delivers no neighbouring operation, and no failure or cancel event', () => {
    for (const operationName of NEIGHBOURS)
      for (const eventType of ARM_EVENT_TYPES)
        assert.equal(delivers(filter, { eventType, data: { operationName } }), false, operationName);
    for (const eventType of [
      'Microsoft.Resources.ResourceWriteFailure',
      'Microsoft.Resources.ResourceActionCancel',
    ])
      assert.equal(delivers(filter, { eventType, data: { operationName: HANDLED[0] } }), false, eventType);
  });

  it('delivers exactly the events the armEvents normaliser turns into pool hints (same operations, same event types)', () => {
    const subject =
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-gw/providers/Microsoft.Compute/virtualMachineScaleSets/gw';
    const eventTypes = [
      ...SUCCESS_EVENT_TYPES,
      'Microsoft.Resources.ResourceWriteFailure',
      'Microsoft.Resources.ResourceDeleteCancel',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...HANDLED, ...NEIGHBOURS).chain(randomCase),
        fc.constantFrom(...eventTypes),
        (operationName, eventType) => {
          const event = {
            id: 'e1',
            topic: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-gw',
            subject,
            eventType,
            eventTime: '2026-01-01T00:00:00Z',
            dataVersion: '2',
            metadataVersion: '1',
            data: { operationName, resourceUri: subject },
          };
          return delivers(filter, event) === (normalizeArmEvent(event).kind === 'pool-hint');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is immune to the prefix pitfall that a StringBeginsWith on "virtualMachines" falls into', () => {
    const vmOnly = renderEventFilter(['Microsoft.Compute/virtualMachines/write']);
    const vmss = {
      eventType: ARM_EVENT_TYPES[0],
      data: { operationName: 'Microsoft.Compute/virtualMachineScaleSets/write' },
    };
    const naive = {
      includedEventTypes: [...ARM_EVENT_TYPES],
      advancedFilters: [
        {
          operatorType: 'StringBeginsWith' as const,
          key: 'data.operationName',
          values: ['Microsoft.Compute/virtualMachines'],
        },
      ],
    };
    assert.equal(delivers(naive, vmss), true, 'the documented pitfall: the prefix also matches scale sets');
    assert.equal(delivers(vmOnly, vmss), false);
  });

  it(`refuses more than ${EVENT_GRID_MAX_ADVANCED_FILTER_VALUES} operation names instead of widening the filter`, () => {
    const many = Array.from(
      { length: EVENT_GRID_MAX_ADVANCED_FILTER_VALUES + 1 },
      (_, i) => `Microsoft.Compute/op${i}/write`,
    );
    assert.throws(() => renderEventFilter(many), /26 operation names exceed Event Grid's limit of 25/);
    assert.equal(
      renderEventFilter(many.slice(0, EVENT_GRID_MAX_ADVANCED_FILTER_VALUES)).advancedFilters[0]!.values
        .length,
      25,
    );
  });

  it('refuses names that collide case-insensitively, malformed names and an empty list', () => {
    assert.throws(
      () =>
        renderEventFilter(['Microsoft.Network/loadBalancers/write', 'microsoft.network/loadbalancers/WRITE']),
      /duplicates Microsoft\.Network\/loadBalancers\/write \(Event Grid matches operation names case-insensitively\)/,
    );
    assert.throws(
      () => renderEventFilter(['Microsoft.Compute/virtualMachines/*']),
      /is not an ARM operation name/,
    );
    assert.throws(() => renderEventFilter(['virtualMachines/write']), /is not an ARM operation name/);
    assert.throws(() => renderEventFilter([]), /empty/);
  });
});
