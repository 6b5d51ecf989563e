import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArmId } from '../../shared/core/armId.js';
import type { KnownPool } from '../../shared/core/normalizeArmEvent.js';
import {
  HANDLED_ARM_OPERATIONS,
  normalizeArmEvent,
  normalizeArmEvents,
  poolKeysForResource,
} from '../../shared/core/normalizeArmEvent.js';
import { poolKey } from '../../shared/core/pool.js';
import { AZURE_SPECS_DIR } from '../support/azureSpecFixtures.js';

const FIXTURES = join(AZURE_SPECS_DIR, 'Microsoft.Resources');
const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, unknown>;

describe('normalizeArmEvent on the official Event Grid samples', () => {
  it('finds the samples', () => assert.ok(fixtureFiles.length >= 10));
  for (const file of fixtureFiles) {
    it(`accepts ${file}`, () => {
      const event = load(file);
      const result = normalizeArmEvent(event);
      assert.equal(result.kind, 'ignored', JSON.stringify(result));
      if (result.kind !== 'ignored') return;
      assert.equal(result.eventId, event['id']);
      if (/Success__/.test(file)) {
        // Storage / Event Hubs operations: parsed, not a gateway pool's business.
        assert.match(
          result.reason,
          /operation Microsoft\.(Storage|EventHub)\/.* does not concern gateway pools/,
        );
      } else {
        // Classified by eventType: these samples say data.status "Succeeded" all the same.
        assert.equal((event['data'] as Record<string, unknown>)['status'], 'Succeeded');
        assert.match(
          result.reason,
          /Resource(Write|Delete|Action)(Failure|Cancel): the operation did not succeed/,
        );
      }
    });
  }

  for (const file of fixtureFiles.filter((f) => /Success__/.test(f))) {
    it(`turns ${file} into a pool hint for a VMSS operation (same envelope)`, () => {
      const event = load(file);
      const data = event['data'] as Record<string, unknown>;
      const subject =
        '/subscriptions/sub-1/resourcegroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/gw/virtualMachines/3';
      const result = normalizeArmEvent({
        ...event,
        subject,
        data: {
          ...data,
          operationName: 'microsoft.compute/VIRTUALMACHINESCALESETS/virtualmachines/write',
          resourceUri: subject,
        },
      });
      assert.equal(result.kind, 'pool-hint', JSON.stringify(result));
      if (result.kind !== 'pool-hint') return;
      assert.equal(result.operation, 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write');
      assert.equal(result.resource.resourceGroup, 'MC_rg');
      assert.equal(
        result.resource.id,
        '/subscriptions/sub-1/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/gw/virtualMachines/3',
      );
      assert.equal(result.eventId, event['id']);
    });
  }
});

describe('normalizeArmEvent edge cases', () => {
  const base = {
    id: 'e1',
    topic: '/subscriptions/s/resourceGroups/rg',
    subject: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic-1',
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2025-01-01T00:00:00Z',
    dataVersion: '2',
    metadataVersion: '1',
    data: { operationName: 'Microsoft.Network/networkInterfaces/write', status: 'Failed' },
  };

  it('a Success event is a hint whatever data.status says', () => {
    assert.equal(normalizeArmEvent(base).kind, 'pool-hint');
  });

  it('takes the resource from subject when resourceUri is absent', () => {
    const r = normalizeArmEvent(base);
    assert.ok(r.kind === 'pool-hint' && r.resource.name === 'nic-1');
  });

  it('answers a delivery array one by one', () => {
    const results = normalizeArmEvents([
      base,
      { ...base, id: 'e2', eventType: 'Microsoft.Resources.ResourceDeleteFailure' },
    ]);
    assert.deepEqual(
      results.map((r) => r.kind),
      ['pool-hint', 'ignored'],
    );
  });

  const invalid: [string, unknown, string][] = [
    ['not an object', 'x', 'event'],
    ['no id', { ...base, id: '' }, 'id'],
    ['no subject', { ...base, subject: undefined }, 'subject'],
    ['no event type', { ...base, eventType: undefined }, 'eventType'],
    ['no data', { ...base, data: null }, 'data'],
    ['no operation', { ...base, data: {} }, 'data.operationName'],
    ['subject not an ARM id', { ...base, subject: 'nic-1' }, 'subject'],
    [
      'CloudEvents without type',
      { specversion: '1.0', id: 'x', subject: base.subject, source: base.topic },
      'type',
    ],
  ];
  for (const [name, event, field] of invalid) {
    it(`invalid: ${name}`, () => {
      const r = normalizeArmEvent(event);
      assert.equal(r.kind, 'invalid');
      if (r.kind === 'invalid')
        assert.ok(
          r.problems.some((p) => p.field === field),
          JSON.stringify(r.problems),
        );
    });
  }

  it('ignores subscription validation and non-resource events', () => {
    const v = normalizeArmEvent({ ...base, eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent' });
    assert.ok(v.kind === 'ignored' && /handshake/.test(v.reason));
    const o = normalizeArmEvent({ ...base, eventType: 'Microsoft.Storage.BlobCreated' });
    assert.ok(o.kind === 'ignored' && /not an ARM resource event/.test(o.reason));
  });

  it('the handled operation list is unique, case-insensitively, and each is a hint', () => {
    const lower = HANDLED_ARM_OPERATIONS.map((o) => o.toLowerCase());
    assert.equal(new Set(lower).size, lower.length);
    for (const op of HANDLED_ARM_OPERATIONS) {
      const r = normalizeArmEvent({ ...base, data: { operationName: op } });
      assert.ok(r.kind === 'pool-hint' && r.operation === op, op);
    }
    for (const op of [
      'Microsoft.Compute/virtualMachines/start/action',
      'Microsoft.Compute/virtualMachines/deallocate/action',
    ]) {
      assert.equal(normalizeArmEvent({ ...base, data: { operationName: op } }).kind, 'ignored');
    }
  });
});

describe('poolKeysForResource', () => {
  const vmss = { kind: 'vmss', resourceGroup: 'MC_rg', vmssName: 'gw' } as const;
  const vmPool = { kind: 'aks-vm-pool', resourceGroup: 'MC_rg', poolName: 'gwpool' } as const;
  const vms = { kind: 'standalone-vms', resourceGroup: 'rg-vms', vmNames: ['vm-a', 'vm-b'] } as const;
  const lbId =
    '/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/loadBalancers/kubeegressgateway-ilb';
  const prefix =
    '/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/publicIPPrefixes/egressgateway-u1';
  const pools: KnownPool[] = [
    { key: poolKey(vmss), ref: vmss, prefixIds: [prefix] },
    { key: poolKey(vmPool), ref: vmPool },
    {
      key: poolKey(vms),
      ref: vms,
      memberIds: [
        '/subscriptions/s/resourceGroups/rg-nics/providers/Microsoft.Network/networkInterfaces/vm-a-nic',
      ],
    },
  ];
  const keysFor = (id: string) => {
    const p = parseArmId(id);
    assert.equal(p.kind, 'ok');
    return p.kind === 'ok' ? poolKeysForResource(p.resource, pools, { loadBalancerId: lbId }) : [];
  };
  const cases: [string, string, string[]][] = [
    [
      'a VMSS instance',
      '/subscriptions/s/resourcegroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/GW/virtualMachines/7',
      [poolKey(vmss)],
    ],
    [
      'another VMSS',
      '/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/system',
      [],
    ],
    [
      'a standalone VM by name',
      '/subscriptions/s/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines/VM-B',
      [poolKey(vms)],
    ],
    [
      'a standalone VM NIC by inventory',
      '/subscriptions/s/resourceGroups/rg-nics/providers/Microsoft.Network/networkInterfaces/vm-a-nic',
      [poolKey(vms)],
    ],
    [
      'an unknown NIC in the node resource group',
      '/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/networkInterfaces/aks-gwpool-9-nic',
      [poolKey(vmPool)],
    ],
    ['the ILB', `${lbId}/loadBalancingRules/x`, [poolKey(vmss), poolKey(vmPool), poolKey(vms)].sort()],
    [
      'another LB',
      '/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/loadBalancers/kubernetes',
      [],
    ],
    [
      'a prefix in use',
      prefix.toUpperCase().replace('/SUBSCRIPTIONS/S/', '/subscriptions/s/'),
      [poolKey(vmss)],
    ],
  ];
  for (const [name, id, keys] of cases) {
    it(name, () => assert.deepEqual(keysFor(id), keys));
  }
});
