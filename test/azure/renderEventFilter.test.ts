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
  ARM_EVENT_TYPES,
  EVENT_GRID_MAX_ADVANCED_FILTER_VALUES,
  renderEventFilter,
  type EventSubscriptionFilter,
} from '../../infra/azure/renderEventFilter.js';

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

const HANDLED = [
  'Microsoft.Compute/virtualMachineScaleSets/write',
  'Microsoft.Compute/virtualMachineScaleSets/delete/action',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write',
  'Microsoft.Compute/virtualMachines/write',
  'Microsoft.Compute/virtualMachines/delete',
  'Microsoft.Network/networkInterfaces/write',
  'Microsoft.Network/loadBalancers/write',
];
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
        values: [...HANDLED].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
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
      assert.equal(delivers(filter, { eventType, data: { operationName: HANDLED[0]! } }), false, eventType);
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
