/**
 * Properties of the pool planner, over random desired sets and random (but Azure-consistent) observed
 * worlds: worlds are grown by converging a fresh pool on a random desired set, then drifting it the way
 * Azure drifts (a VMSS model rollout strips ipConfigs, an instance fails, an IP goes missing, someone
 * edits the ILB), then converging on a second random set (configurations created, edited, deleted,
 * forgotten — including a BYO prefix changing hands). Convergence: plan → apply (in-memory ARM model,
 * strict about ordering and pessimistic where ARM's behaviour is undocumented) → plan again is empty,
 * with one more plan only for a configuration waiting for a BYO prefix hand-over.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { armIdKey, sameArmId } from '../../shared/core/armId.js';
import type { Plan } from '../../shared/core/plan.js';
import { PLAN_PHASES } from '../../shared/core/plan.js';
import type { PlannedConfiguration, PortClaim } from '../../shared/core/planPool.js';
import { planPool } from '../../shared/core/planPool.js';
import type { ResolvedPool } from '../../shared/core/pool.js';
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

type Want = 'absent' | 'managed' | 'byo' | 'byo2' | 'private' | 'deleting';
const want = fc.constantFrom<Want>('absent', 'managed', 'managed', 'byo', 'byo2', 'private', 'deleting');
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
  byo2Length: fc.option(fc.integer({ min: 28, max: 31 }), { nil: undefined }),
  failed: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  first: fc.array(want, { minLength: 4, maxLength: 4 }),
  second: fc.array(want, { minLength: 4, maxLength: 4 }),
  drift,
  orphans: fc.constantFrom<'keep' | 'delete'>('keep', 'delete'),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/**
 * Scenarios dense in BYO prefixes, both prefixes existing with the pool's length: the configurations
 * swap, take over, leave and forget them, so prefixes change hands (also in chains) in most runs.
 */
const byoWant = fc.constantFrom<Want>('byo', 'byo2', 'byo', 'byo2', 'managed', 'deleting', 'absent');
const handOver = fc
  .record({
    kind: fc.constantFrom<PoolKind>('vmss', 'aks-vm-pool', 'standalone-vms'),
    count: fc.integer({ min: 1, max: 3 }),
    prefixLength: fc.integer({ min: 28, max: 31 }),
    foreignLb: fc.boolean(),
    failed: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    first: fc.array(byoWant, { minLength: 4, maxLength: 4 }),
    second: fc.array(byoWant, { minLength: 4, maxLength: 4 }),
    drift,
    orphans: fc.constantFrom<'keep' | 'delete'>('keep', 'delete'),
  })
  .map((h): Scenario => ({
    ...h,
    prefixLengthLater: h.prefixLength,
    byoExists: true,
    byoLength: h.prefixLength,
    byo2Length: h.prefixLength,
  }));

/**
 * At most one present configuration uses the BYO prefix (validateConfigurationSet guarantees it; it
 * ignores configurations being deleted). A configuration being deleted carries the egress it asked for
 * in `earlier`, as the control plane passes its last valid spec — so a deleting configuration may leave
 * a BYO prefix another one takes over, or name a BYO prefix it never got (another one held it).
 */
function configurations(wants: readonly Want[], earlier: readonly Want[] = []): PlannedConfiguration[] {
  const byoTaken = new Set<Want>();
  const out: PlannedConfiguration[] = [];
  wants.forEach((w, i) => {
    const uid = UIDS[i] as string;
    if (w === 'absent') return;
    const before = earlier[i];
    if (w === 'deleting')
      out.push(
        deleting(
          uid,
          before === undefined || before === 'absent' || before === 'deleting' ? 'managed' : before,
        ),
      );
    else if ((w === 'byo' || w === 'byo2') && byoTaken.has(w)) out.push(present(uid, 'managed'));
    else {
      byoTaken.add(w);
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

/**
 * The planner's convergence contract: applying a plan and planning again gives an empty plan, except that
 * a configuration waiting for a BYO prefix to change hands (outcome blocked, reason Reconciling) is added
 * by the next plan — however the prefixes change hands (chains, swaps): at most 2 applied plans.
 */
const MAX_APPLIED_PLANS = 2;

interface Convergence {
  /** Every plan made, the last one empty. */
  readonly plans: readonly Plan[];
  /** The world before each plan, and after the last applied one. */
  readonly worlds: readonly World[];
}

function converge(
  from: World,
  pool: ResolvedPool,
  configs: readonly PlannedConfiguration[],
  options: { claims?: readonly PortClaim[]; orphans: 'keep' | 'delete' },
): Convergence {
  const plans: Plan[] = [];
  const worlds: World[] = [from];
  let claims = options.claims ?? [];
  for (;;) {
    const w = worlds[worlds.length - 1] as World;
    const plan = planPool(inputFor(w, pool, configs, { claims, orphans: options.orphans }));
    const previous = plans[plans.length - 1];
    plans.push(plan);
    if (plan.steps.length === 0) return { plans, worlds };
    assert.ok(
      plans.length <= MAX_APPLIED_PLANS,
      `not converged after ${MAX_APPLIED_PLANS} applied plans:\n${describePlan(plan)}`,
    );
    if (previous !== undefined) {
      assert.ok(
        previous.outcomes.some((o) => o.kind === 'blocked' && o.reason === 'Reconciling'),
        `re-plan not empty although no configuration waited for a prefix hand-over:\n${describePlan(plan)}`,
      );
    }
    worlds.push(applyPlan(w, plan));
    claims = plan.ports;
  }
}

function run(s: Scenario) {
  const prefixes = [
    ...(s.byoExists ? [byoPrefix(s.byoLength)] : []),
    ...(s.byo2Length === undefined ? [] : [byoPrefix(s.byo2Length, 'byo2')]),
  ];
  const start = world(poolWorld(s.kind, s.count, { failed: s.failed }), {
    ...(s.foreignLb ? { lb: foreignLoadBalancer() } : {}),
    prefixes,
  });
  const pool1 = resolvedPool(s.kind, s.prefixLength, s.count);
  const first = configurations(s.first);
  const one = converge(start, pool1, first, { orphans: s.orphans });
  const plan1 = one.plans[0] as Plan;
  const settled1 = one.plans[one.plans.length - 1] as Plan;
  const world1 = one.worlds[one.worlds.length - 1] as World;
  const pool2 = resolvedPool(s.kind, s.prefixLengthLater, s.count);
  const second = configurations(s.second, s.first);
  const drifted = applyDrift(world1, s.drift);
  const input2 = inputFor(drifted, pool2, second, { claims: settled1.ports, orphans: s.orphans });
  const two = converge(drifted, pool2, second, { claims: settled1.ports, orphans: s.orphans });
  const plan2 = two.plans[0] as Plan;
  const final = two.plans[two.plans.length - 1] as Plan;
  const world2 = two.worlds[two.worlds.length - 1] as World;
  return { start, one, two, plan1, settled1, input2, plan2, final, world2, first, second };
}

function describePlan(plan: Plan): string {
  return plan.steps
    .map((st) => `${st.phase} ${st.kind} ${st.resourceId} [${st.reasons.join('; ')}]`)
    .join('\n');
}

/** FC_NUM_RUNS / FC_SEED widen or replay a run locally, e.g. `FC_NUM_RUNS=20000 node scripts/test.mjs planPool.prop`. */
const RUNS: fc.Parameters<[Scenario]> = {
  numRuns: Number(process.env['FC_NUM_RUNS'] ?? 250),
  ...(process.env['FC_SEED'] === undefined ? {} : { seed: Number(process.env['FC_SEED']) }),
};

describe('planPool properties', () => {
  it('apply then re-plan is empty (one more plan per BYO prefix hand-over), and ARM accepts every step in order', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const r = run(s); // converge() asserts the contract and applyPlan() ARM's rules
        // A fresh pool has no prefix to hand over: the first desired set converges in one plan.
        assert.equal(r.one.plans.length <= 2, true, 'the first desired set took more than one plan');
        // Waiting for a hand-over is never the end state.
        for (const o of r.final.outcomes)
          assert.ok(!(o.kind === 'blocked' && o.reason === 'Reconciling'), `${o.uid} still waits`);
      }),
      RUNS,
    );
  });

  it('BYO prefixes change hands safely: converges within one plan per hand-over, no address handed over in one write', () => {
    fc.assert(
      fc.property(handOver, (s) => {
        const r = run(s); // converge(): the contract; applyPlan(): allocate-before-release, one IP per ipConfig
        for (const o of r.final.outcomes)
          assert.ok(!(o.kind === 'blocked' && o.reason === 'Reconciling'), `${o.uid} still waits`);
        for (const c of r.second.filter((x) => x.state.kind === 'deleting'))
          assert.equal(
            r.final.outcomes.find((o) => o.uid === c.uid)?.kind,
            'removed',
            `${c.uid} not removed`,
          );
        // With an authoritative list nothing forgotten can hold a prefix: a configuration waits for one
        // only while the configuration holding it is itself stuck (blocked for its own reason).
        if (s.orphans === 'delete') {
          for (const o of r.final.outcomes) {
            if (o.kind !== 'blocked' || o.reason !== 'Conflict') continue;
            assert.ok(
              r.final.outcomes.some(
                (x) => x.kind === 'blocked' && x.uid !== o.uid && x.reason !== 'Conflict',
              ),
              `${o.uid}: ${o.message}`,
            );
          }
        }
      }),
      RUNS,
    );
  });

  it('never writes one resource twice, and phases are in order', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { one, two } = run(s);
        for (const plan of [...one.plans, ...two.plans]) {
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
        const { one, two, settled1, final } = run(s);
        const plans = [...one.plans, ...two.plans];
        for (const plan of plans) {
          const ports = plan.ports.map((p) => p.port);
          assert.equal(new Set(ports).size, ports.length);
          for (const p of ports) assert.ok(p >= 6000 && p <= 6999);
        }
        // Once active, a configuration keeps its port, through drift and through every later plan.
        for (let i = 1; i < plans.length; i++) {
          for (const o of (plans[i] as Plan).outcomes) {
            const before = (plans[i - 1] as Plan).outcomes.find((x) => x.uid === o.uid);
            if (o.kind === 'active' && before?.kind === 'active')
              assert.equal(o.port, before.port, `port of ${o.uid} moved`);
          }
        }
        for (const o of (two.plans[0] as Plan).outcomes) {
          const before = settled1.outcomes.find((x) => x.uid === o.uid);
          if (o.kind === 'active' && before?.kind === 'active')
            assert.equal(o.port, before.port, `port of ${o.uid} moved by drift`);
        }
        assert.deepEqual(final.ports, (two.plans[two.plans.length - 2] ?? final).ports);
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
        const { final, world2, second } = run(s);
        for (const c of second.filter((x) => x.state.kind === 'deleting')) {
          const outcome = final.outcomes.find((o) => o.uid === c.uid);
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
            final.outcomes.some((o) => o.kind === 'active' || o.kind === 'blocked') ||
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
