/**
 * Properties of the pool planner, over random desired sets and random (but Azure-consistent) observed
 * worlds: worlds are grown by applying an earlier random plan to a fresh pool, then drifting it the way
 * Azure drifts (a VMSS model rollout strips ipConfigs, an instance fails, an IP goes missing, someone
 * edits the ILB). Then: plan → apply (in-memory ARM model, strict about ordering) → plan again is empty.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { armIdKey, sameArmId } from '../../shared/core/armId.js';
import type { Plan } from '../../shared/core/plan.js';
import { PLAN_PHASES } from '../../shared/core/plan.js';
import type { PlannedConfiguration } from '../../shared/core/planPool.js';
import { planPool } from '../../shared/core/planPool.js';
import { MANAGED_RESOURCE_PREFIX } from '../../shared/core/wellKnown.js';
import type { World } from './support/armModel.js';
import { allMemberIpConfigs, applyPlan } from './support/armModel.js';
import type { PoolKind } from './support/worlds.js';
import {
  byoPrefix,
  deleting,
  foreignLoadBalancer,
  inputFor,
  poolWorld,
  present,
  resolvedPool,
  world,
} from './support/worlds.js';

const UIDS = [
  '0a1b2c3d-0000-4000-8000-000000000001',
  '1b2c3d4e-0000-4000-8000-000000000002',
  '2c3d4e5f-0000-4000-8000-000000000003',
  '3d4e5f60-0000-4000-8000-000000000004',
] as const;

type Want = 'absent' | 'managed' | 'byo' | 'private' | 'deleting';
const want = fc.constantFrom<Want>('absent', 'managed', 'managed', 'byo', 'private', 'deleting');
const drift = fc.constantFrom(
  'none',
  'strip-model',
  'fail-member',
  'drop-ip',
  'delete-rule',
  'move-rule-port',
);

const scenario = fc.record({
  kind: fc.constantFrom<PoolKind>('vmss', 'aks-vm-pool', 'standalone-vms'),
  count: fc.integer({ min: 1, max: 3 }),
  prefixLength: fc.integer({ min: 28, max: 31 }),
  prefixLengthLater: fc.integer({ min: 28, max: 31 }),
  foreignLb: fc.boolean(),
  byoExists: fc.boolean(),
  byoLength: fc.integer({ min: 28, max: 31 }),
  failed: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  first: fc.array(want, { minLength: 4, maxLength: 4 }),
  second: fc.array(want, { minLength: 4, maxLength: 4 }),
  drift,
  orphans: fc.constantFrom<'keep' | 'delete'>('keep', 'delete'),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** At most one configuration uses the BYO prefix (validateConfigurationSet guarantees it). */
function configurations(wants: readonly Want[]): PlannedConfiguration[] {
  let byoTaken = false;
  const out: PlannedConfiguration[] = [];
  wants.forEach((w, i) => {
    const uid = UIDS[i] as string;
    if (w === 'absent') return;
    if (w === 'deleting') out.push(deleting(uid, 'managed'));
    else if (w === 'byo' && byoTaken) out.push(present(uid, 'managed'));
    else {
      if (w === 'byo') byoTaken = true;
      out.push(present(uid, w));
    }
  });
  return out;
}

function applyDrift(w: World, kind: string): World {
  const m = w.members;
  switch (kind) {
    case 'strip-model': // kube-egress-gateway #1381: a model rollout strips egret's ipConfigs
      if (m.kind !== 'vmss' || m.vmss === undefined) return w;
      return {
        ...w,
        members: {
          ...m,
          vmss: {
            ...m.vmss,
            virtualMachineProfile: {
              networkProfile: {
                networkInterfaceConfigurations: (
                  m.vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? []
                ).map((c) => ({
                  ...c,
                  ipConfigurations: (c.ipConfigurations ?? []).filter(
                    (i) => !i.name.startsWith(MANAGED_RESOURCE_PREFIX),
                  ),
                })),
              },
            },
          },
        },
      };
    case 'fail-member':
      if (m.kind === 'vmss') {
        return {
          ...w,
          members: {
            ...m,
            instances: m.instances.map((i, n) =>
              n === 0 ? { ...i, vm: { ...i.vm, provisioningState: 'Failed' } } : i,
            ),
          },
        };
      }
      if (m.kind === 'aks-vm-pool')
        return {
          ...w,
          members: {
            ...m,
            nics: m.nics.map((n, i) => (i === 0 ? { ...n, provisioningState: 'Failed' } : n)),
          },
        };
      return w;
    case 'drop-ip':
      if (m.kind === 'vmss') {
        return {
          ...w,
          members: {
            ...m,
            instances: m.instances.map((i) =>
              i.primaryNic === undefined
                ? i
                : {
                    ...i,
                    primaryNic: {
                      ...i.primaryNic,
                      ipConfigurations: (i.primaryNic.ipConfigurations ?? []).map((c) =>
                        c.primary === true ? c : { ...c, privateIPAddress: '' },
                      ),
                    },
                  },
            ),
          },
        };
      }
      if (m.kind === 'aks-vm-pool') {
        return {
          ...w,
          members: {
            ...m,
            nics: m.nics.map((n) => ({
              ...n,
              ipConfigurations: (n.ipConfigurations ?? []).map((c) =>
                c.primary === true ? c : { ...c, privateIPAddress: '' },
              ),
            })),
          },
        };
      }
      return w;
    case 'delete-rule': {
      const lb = w.loadBalancer;
      if (lb === undefined) return w;
      const victim = (lb.loadBalancingRules ?? []).find((r) => r.name !== 'other-config');
      return {
        ...w,
        loadBalancer: {
          ...lb,
          loadBalancingRules: (lb.loadBalancingRules ?? []).filter((r) => r !== victim),
        },
      };
    }
    case 'move-rule-port': {
      const lb = w.loadBalancer;
      if (lb === undefined) return w;
      const victim = (lb.loadBalancingRules ?? []).find((r) => r.name !== 'other-config');
      return {
        ...w,
        loadBalancer: {
          ...lb,
          loadBalancingRules: (lb.loadBalancingRules ?? []).map((r) =>
            r === victim ? { ...r, frontendPort: 6900, backendPort: 6900 } : r,
          ),
        },
      };
    }
    default:
      return w;
  }
}

function run(s: Scenario) {
  const prefixes = s.byoExists ? [byoPrefix(s.byoLength)] : [];
  const start = world(poolWorld(s.kind, s.count, { failed: s.failed }), {
    ...(s.foreignLb ? { lb: foreignLoadBalancer() } : {}),
    prefixes,
  });
  const pool1 = resolvedPool(s.kind, s.prefixLength, s.count);
  const first = configurations(s.first);
  const plan1 = planPool(inputFor(start, pool1, first, { orphans: s.orphans }));
  const world1 = applyPlan(start, plan1);
  const pool2 = resolvedPool(s.kind, s.prefixLengthLater, s.count);
  const second = configurations(s.second);
  const drifted = applyDrift(world1, s.drift);
  const input2 = inputFor(drifted, pool2, second, { claims: plan1.ports, orphans: s.orphans });
  const plan2 = planPool(input2);
  const world2 = applyPlan(drifted, plan2);
  const plan3 = planPool(inputFor(world2, pool2, second, { claims: plan2.ports, orphans: s.orphans }));
  return { start, plan1, world1, input2, plan2, world2, plan3, first, second };
}

function describePlan(plan: Plan): string {
  return plan.steps
    .map((st) => `${st.phase} ${st.kind} ${st.resourceId} [${st.reasons.join('; ')}]`)
    .join('\n');
}

const RUNS = { numRuns: 250 };

describe('planPool properties', () => {
  it('apply then re-plan is empty, and ARM accepts every step in order', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const r = run(s);
        assert.deepEqual(r.plan3.steps, [], `re-plan not empty:\n${describePlan(r.plan3)}`);
        // The first plan converges on its own too.
        const again = planPool(
          inputFor(r.world1, resolvedPool(s.kind, s.prefixLength, s.count), r.first, {
            claims: r.plan1.ports,
            orphans: s.orphans,
          }),
        );
        assert.deepEqual(again.steps, [], `re-plan after the first apply not empty:\n${describePlan(again)}`);
      }),
      RUNS,
    );
  });

  it('never writes one resource twice, and phases are in order', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { plan1, plan2 } = run(s);
        for (const plan of [plan1, plan2]) {
          const ids = plan.steps.map((st) => armIdKey(st.resourceId));
          assert.equal(new Set(ids).size, ids.length, describePlan(plan));
          const order = plan.steps.map((st) => PLAN_PHASES.indexOf(st.phase));
          assert.deepEqual(
            order,
            [...order].sort((a, b) => a - b),
          );
        }
      }),
      RUNS,
    );
  });

  it('ports are unique per pool, in range, and stable across re-plans and drift', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { plan1, plan2, plan3 } = run(s);
        for (const plan of [plan1, plan2, plan3]) {
          const ports = plan.ports.map((p) => p.port);
          assert.equal(new Set(ports).size, ports.length);
          for (const p of ports) assert.ok(p >= 6000 && p <= 6999);
        }
        for (const o of plan2.outcomes) {
          const before = plan1.outcomes.find((x) => x.uid === o.uid);
          if (o.kind === 'active' && before?.kind === 'active')
            assert.equal(o.port, before.port, `port of ${o.uid} moved`);
        }
        assert.deepEqual(plan3.ports, plan2.ports);
      }),
      RUNS,
    );
  });

  it('is deterministic: same input (in any order) gives the identical plan', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { input2, plan2 } = run(s);
        const shuffle = <T>(xs: readonly T[]): T[] => [...xs].reverse();
        const members = input2.members;
        const shuffledMembers =
          members.kind === 'vmss'
            ? { ...members, instances: shuffle(members.instances) }
            : members.kind === 'aks-vm-pool'
              ? { ...members, nics: shuffle(members.nics) }
              : { ...members, vms: shuffle(members.vms) };
        const shuffled = {
          ...input2,
          configurations: shuffle(input2.configurations),
          members: shuffledMembers,
          prefixes: shuffle(input2.prefixes),
          publicIps: shuffle(input2.publicIps),
          portClaims: shuffle(input2.portClaims),
        };
        assert.deepEqual(planPool(shuffled), plan2);
        assert.deepEqual(planPool(input2), plan2);
      }),
      RUNS,
    );
  });

  it('deleted configurations leave nothing behind, and other pools are untouched', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { plan3, world2, second } = run(s);
        for (const c of second.filter((x) => x.state.kind === 'deleting')) {
          const outcome = plan3.outcomes.find((o) => o.uid === c.uid);
          assert.equal(outcome?.kind, 'removed', `${c.uid} not removed`);
          assert.ok(!allMemberIpConfigs(world2).some((i) => i.name?.includes(c.uid)));
        }
        if (s.foreignLb) {
          const lb = world2.loadBalancer;
          assert.ok(lb?.frontendIPConfigurations?.some((f) => f.name === 'other-pool'));
          assert.ok(
            lb?.loadBalancingRules?.some((r) => r.name === 'other-config' && r.frontendPort === 6000),
          );
        }
        // Fields egret does not manage survive every write (NIC PUTs are full replaces).
        for (const ipc of allMemberIpConfigs(world2)) {
          if (ipc.primary === true) {
            assert.ok(
              (ipc.loadBalancerBackendAddressPools ?? []).some((b) =>
                b.id?.includes('/loadBalancers/kubernetes/'),
              ),
            );
          }
        }
        if (s.orphans === 'delete') {
          const known = new Set(second.map((c) => c.uid));
          for (const ipc of allMemberIpConfigs(world2)) {
            if (ipc.name?.startsWith(MANAGED_RESOURCE_PREFIX) === true)
              assert.ok(known.has(ipc.name.slice(MANAGED_RESOURCE_PREFIX.length)));
          }
          for (const r of world2.loadBalancer?.loadBalancingRules ?? []) {
            if (r.name !== 'other-config')
              assert.ok(known.has(r.name ?? ''), `orphan rule ${r.name ?? ''} left`);
          }
        }
        const ourBackend = (world2.loadBalancer?.backendAddressPools ?? []).filter(
          (b) => b.name !== 'other-pool',
        );
        for (const b of ourBackend) {
          assert.ok(
            plan3.outcomes.some((o) => o.kind === 'active' || o.kind === 'blocked') ||
              allMemberIpConfigs(world2).some((i) =>
                (i.loadBalancerBackendAddressPools ?? []).some((x) => sameArmId(x.id, b.id)),
              ),
          );
        }
      }),
      RUNS,
    );
  });
});
