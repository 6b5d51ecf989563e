/**
 * Strays: NICs outside a NIC pool that still reference its backend pool (the NIC a deleted standalone
 * VM left behind). Azure refuses to drop a backend pool a NIC references, so the planner must clean
 * them — remove egret's ipConfigs, public IPs and membership — and never add to them.
 * (The ARM stand-in version: test/adapters/arm/poolScenarios.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetworkInterface, ObservedPoolMembers } from '../../shared/core/observed.js';
import { planPool } from '../../shared/core/planPool.js';
import { applyPlan } from './support/armModel.js';
import { deleting, inputFor, poolWorld, present, resolvedPool, world } from './support/worlds.js';

const U = 'aaaaaaaa-0000-4000-8000-000000000001';
const V = 'bbbbbbbb-0000-4000-8000-000000000002';

/** A standalone pool of two VMs served with U, after which vm-1 is deleted (its NIC stays). */
function afterVmDeleted(): {
  readonly members: ObservedPoolMembers;
  readonly stray: NetworkInterface;
  readonly w: ReturnType<typeof world>;
} {
  const pool = resolvedPool('standalone-vms', 31, 2);
  const w0 = world(poolWorld('standalone-vms', 2));
  const w1 = applyPlan(w0, planPool(inputFor(w0, pool, [present(U, 'managed')])));
  assert.equal(w1.members.kind, 'standalone-vms');
  if (w1.members.kind !== 'standalone-vms') throw new Error('unreachable');
  const stray = w1.members.vms[1]?.primaryNic as NetworkInterface;
  const members: ObservedPoolMembers = {
    kind: 'standalone-vms',
    vms: [w1.members.vms[0]!, { name: 'vm-1' }],
    strays: [stray],
  };
  return { members, stray, w: { ...w1, members } };
}

describe('planPool strays', () => {
  const pool = resolvedPool('standalone-vms', 31, 2);

  it('a stray NIC loses egret’s ipConfig, public IP and backend membership, even while the configuration stays', () => {
    const { w, stray } = afterVmDeleted();
    const plan = planPool(
      inputFor(w, pool, [present(U, 'managed'), present(V, 'managed')], { orphans: 'keep' }),
    );
    const put = plan.steps.find((s) => s.kind === 'put-network-interface' && s.resourceId === stray.id);
    assert.ok(put !== undefined && put.kind === 'put-network-interface');
    assert.ok(put.reasons.includes('not a member of the gateway pool'));
    assert.deepEqual(
      put.body.ipConfigurations?.map((c) => c.name),
      ['ipconfig1'],
      'nothing added (not even V), U removed',
    );
    assert.ok(
      !(put.body.ipConfigurations?.[0]?.loadBalancerBackendAddressPools ?? []).some((p) =>
        p.id?.endsWith(`/backendAddressPools/${pool.uniqueId}`),
      ),
      'left the backend pool',
    );
    const deletedIps = plan.steps.filter((s) => s.kind === 'delete-public-ip').map((s) => s.resourceId);
    assert.equal(deletedIps.length, 1);
    assert.ok(deletedIps[0]?.includes(`egressgateway-${U}-`));
    assert.deepEqual(
      plan.outcomes.map((o) => o.kind),
      ['active', 'active'],
    );
  });

  it('deleting the configuration: the stray is cleaned in the same plan, so the prefix and the backend pool can go', () => {
    const { w } = afterVmDeleted();
    const plan = planPool(inputFor(w, pool, [deleting(U, 'managed')]));
    const kinds = plan.steps.map((s) => s.kind);
    assert.deepEqual(
      kinds.filter((k) => k === 'put-network-interface').length,
      2,
      'the member and the stray',
    );
    assert.ok(kinds.includes('delete-public-ip-prefix'), 'the prefix is freed');
    assert.ok(kinds.includes('delete-load-balancer'));
    // Converging (planning again is empty, outcome `removed`) is shown against the ARM stand-in, which
    // models the stray NIC; the in-memory model here knows members only.
    assert.deepEqual(
      plan.outcomes.map((o) => o.kind),
      ['removing'],
    );
  });
});
