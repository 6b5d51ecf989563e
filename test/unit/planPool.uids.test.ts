/**
 * Every plan step names the configurations it serves (`uids`, sorted), as typed data: a write made
 * for one configuration names only it, a shared write names every configuration whose part it
 * changes, and a forced re-PUT names every configuration on the member. The failure mapping
 * (core failedConfigurations) works over these, never over the human-readable reasons.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { failedConfigurations, stepsConcerning } from '../../shared/core/failedConfigurations.js';
import type { PlanStep } from '../../shared/core/plan.js';
import { planLeftovers } from '../../shared/core/planLeftovers.js';
import { planPool } from '../../shared/core/planPool.js';
import { applyPlan } from './support/armModel.js';
import { deleting, inputFor, poolWorld, present, resolvedPool, world } from './support/worlds.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

const uidsByKind = (steps: readonly PlanStep[]): string[] =>
  steps.map((s) => `${s.kind} ${s.uids.join(',')}`);

describe('plan steps carry the uids they serve', () => {
  it('from scratch: a prefix per configuration, the shared writes list both', () => {
    const w = world(poolWorld('vmss', 2));
    const plan = planPool(
      inputFor(w, resolvedPool('vmss', 31, 2), [present(B, 'managed'), present(A, 'managed')]),
    );
    assert.deepEqual(uidsByKind(plan.steps), [
      `put-public-ip-prefix ${A}`,
      `put-public-ip-prefix ${B}`,
      `put-load-balancer ${A},${B}`,
      `put-vmss ${A},${B}`,
      `put-vmss-instance ${A},${B}`,
      `put-vmss-instance ${A},${B}`,
    ]);
  });

  it('adding a configuration to a converged pool: every step serves only the new one', () => {
    const pool = resolvedPool('aks-vm-pool', 30, 2);
    const w = world(poolWorld('aks-vm-pool', 2));
    const first = planPool(inputFor(w, pool, [present(A, 'managed')]));
    const converged = applyPlan(w, first);
    const plan = planPool(
      inputFor(converged, pool, [present(A, 'managed'), present(B, 'managed')], { claims: first.ports }),
    );
    assert.ok(plan.steps.length > 0);
    for (const s of plan.steps) assert.deepEqual(s.uids, [B], `${s.kind} ${s.resourceId}`);
    assert.deepEqual(stepsConcerning(plan.steps, A), [], 'nothing pending for the converged one');
  });

  it('a forced re-PUT of a failed member lists every configuration on it', () => {
    const pool = resolvedPool('aks-vm-pool', undefined, 1);
    const w = world(poolWorld('aks-vm-pool', 1));
    const configs = [present(A, 'private'), present(B, 'private')];
    const first = planPool(inputFor(w, pool, configs));
    const converged = applyPlan(w, first);
    const m = converged.members;
    assert.ok(m.kind === 'aks-vm-pool');
    const failed = {
      ...converged,
      members: { ...m, nics: m.nics.map((n) => ({ ...n, provisioningState: 'Failed' })) },
    };
    const plan = planPool(inputFor(failed, pool, configs, { claims: first.ports }));
    assert.deepEqual(uidsByKind(plan.steps), [`put-network-interface ${A},${B}`]);
    assert.equal(
      plan.steps[0]?.kind === 'put-network-interface' && plan.steps[0].force,
      'provisioning-failed',
    );
  });

  it('deleting a configuration: its removals name it', () => {
    const pool = resolvedPool('vmss', 31, 2);
    const w = world(poolWorld('vmss', 2));
    const first = planPool(inputFor(w, pool, [present(A, 'managed'), present(B, 'managed')]));
    const converged = applyPlan(w, first);
    const plan = planPool(
      inputFor(converged, pool, [present(A, 'managed'), deleting(B, 'managed')], { claims: first.ports }),
    );
    for (const s of plan.steps) assert.deepEqual(s.uids, [B], `${s.kind} ${s.resourceId}`);
  });

  it('planLeftovers names its configuration', () => {
    const prefix = {
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/egressgateway-u1',
      name: 'egressgateway-u1',
    };
    const { plan } = planLeftovers({
      poolKey: 'k',
      configuration: { uid: 'u1', namespace: 'default', name: 'gw' },
      prefix,
      publicIps: [],
    });
    assert.deepEqual(uidsByKind(plan.steps), ['delete-public-ip-prefix u1']);
  });
});

describe('failedConfigurations', () => {
  const step = (
    uids: readonly string[],
    kind: 'ok' | 'skipped' | 'conflict' | 'transient' | 'refused' | 'failed',
  ) => ({
    uids,
    outcome: { kind },
  });
  const all = ['gw2', 'gw', 'other'];

  it('maps failed steps to the uids they serve, sorted; a name that is a prefix of another is not confused', () => {
    assert.deepEqual(failedConfigurations([step(['gw2'], 'refused'), step(['gw'], 'ok')], all), ['gw2']);
    assert.deepEqual(
      failedConfigurations([step(['other'], 'transient'), step(['gw2', 'gw'], 'failed')], all),
      ['gw', 'gw2', 'other'],
    );
  });

  it('ignores steps that succeeded, were skipped or conflicted (those are re-observed)', () => {
    assert.deepEqual(
      failedConfigurations([step(['gw'], 'conflict'), step(['gw2'], 'skipped'), step(['other'], 'ok')], all),
      [],
    );
  });

  it('a failed step that serves no configuration (pool-wide) concerns every one', () => {
    assert.deepEqual(failedConfigurations([step([], 'refused')], all), ['gw', 'gw2', 'other']);
  });

  it('only configurations given are reported', () => {
    assert.deepEqual(failedConfigurations([step(['gone', 'gw'], 'refused')], all), ['gw']);
  });

  it('stepsConcerning: the steps serving a configuration, and pool-wide ones', () => {
    const steps = [{ uids: ['gw2'] }, { uids: [] }, { uids: ['gw', 'gw2'] }];
    assert.deepEqual(stepsConcerning(steps, 'gw'), [{ uids: [] }, { uids: ['gw', 'gw2'] }]);
  });
});
