/**
 * Section 1: the pure pool planner (`planPool`, shared/core) timed in-process on synthetic pools of
 * M members × N configurations, from scratch (nothing exists in Azure) and in the steady state (the
 * scratch plan applied, nothing left to do).
 *
 * Worlds come from the planner's own test builders (test/unit/support/worlds.ts) and the steady state
 * from applying the scratch plan to the in-memory ARM model the property tests use
 * (test/unit/support/armModel.ts); the bench refuses to time a "steady state" whose plan is not empty.
 */
import type { Plan } from '../../shared/core/plan.js';
import { planPool, type PlanPoolInput, type PlannedConfiguration } from '../../shared/core/planPool.js';
import { applyPlan } from '../../test/unit/support/armModel.js';
import {
  inputFor,
  poolWorld,
  present,
  resolvedPool,
  world,
  type PoolKind,
} from '../../test/unit/support/worlds.js';
import { heapUsedAfterGc, measureLoop, type LoopFigures } from './measure.js';

/** One pool shape: the kind and egress mode are what Azure allows at that size. */
export interface PlannerPoolShape {
  readonly members: number;
  readonly kind: PoolKind;
  /** Public (managed prefix of this length) or private egress. */
  readonly prefixLength?: number;
}

/**
 * The grid of the full run: M ∈ {2, 16, 100} × N from 1 to 1000. VMSS pools in public mode are
 * capped by their prefix (one address per instance: /28 = 16 instances), so the 100-member pool is an
 * AKS VirtualMachines pool in private mode; its N runs 1, 10, 50, 200, 255 (Azure's limit per NIC)
 * and 1000, so the µs per 1,000 ipConfigurations column shows whether the cost is linear. M = 16 ×
 * N = 1000 is left out: its steady state, built through the test ARM model (whose VMSS prefix
 * bookkeeping is quadratic), takes about a minute.
 */
export const PLANNER_GRID: readonly {
  readonly shape: PlannerPoolShape;
  readonly configurations: readonly number[];
}[] = [
  { shape: { members: 2, kind: 'vmss', prefixLength: 31 }, configurations: [1, 50, 200, 1000] },
  { shape: { members: 16, kind: 'vmss', prefixLength: 28 }, configurations: [1, 50, 200] },
  { shape: { members: 100, kind: 'aks-vm-pool' }, configurations: [1, 10, 50, 200, 255, 1000] },
];

/** egret's ipConfigurations a pool of M members × N configurations carries: one per member and configuration. */
export function ipConfigurationsOf(row: {
  readonly members: number;
  readonly configurations: number;
}): number {
  return row.members * row.configurations;
}

export interface PlannerRow {
  readonly pool: string;
  readonly members: number;
  readonly configurations: number;
  readonly state: 'scratch' | 'steady';
  /** Steps of the plan (= ARM writes it asks for). */
  readonly steps: number;
  readonly timing: LoopFigures;
  /**
   * CPU time of one plan (process user + system time over a run of plans, ms): unlike the wall-clock
   * median it does not count the time the process waits for a core on a loaded machine.
   */
  readonly cpuMs: number;
  /** Heap held by the planner's input (the observed world), MiB. */
  readonly inputHeapMiB: number;
  /** Heap held by one plan (the result), KiB. */
  readonly planHeapKiB: number;
}

export interface PlannerOptions {
  readonly grid: typeof PLANNER_GRID;
  /** Minimum time spent timing one case. */
  readonly budgetMs: number;
  readonly onRow?: (row: PlannerRow) => void;
}

export function poolLabel(shape: PlannerPoolShape): string {
  return shape.prefixLength === undefined
    ? `${shape.kind} private`
    : `${shape.kind} public /${shape.prefixLength}`;
}

/** Deterministic uids, so every run plans the same thing. */
export function benchUid(i: number): string {
  return `b0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

function configurationsOf(shape: PlannerPoolShape, n: number): PlannedConfiguration[] {
  return Array.from({ length: n }, (_, i) =>
    present(benchUid(i), shape.prefixLength === undefined ? 'private' : 'managed'),
  );
}

/** Times every pool shape × configuration count, scratch then steady. */
export function benchPlanner(options: PlannerOptions): PlannerRow[] {
  const rows: PlannerRow[] = [];
  for (const { shape, configurations: counts } of options.grid)
    for (const n of counts) {
      const pool = resolvedPool(shape.kind, shape.prefixLength, shape.members);
      const configurations = configurationsOf(shape, n);

      const scratchWorld = world(poolWorld(shape.kind, shape.members));
      const scratch = timeCase(inputFor(scratchWorld, pool, configurations), options.budgetMs);
      const row1: PlannerRow = {
        pool: poolLabel(shape),
        members: shape.members,
        configurations: n,
        state: 'scratch',
        ...scratch.row,
      };
      rows.push(row1);
      options.onRow?.(row1);

      const converged = applyPlan(scratchWorld, scratch.plan);
      const claims = scratch.plan.ports.map((p) => ({ configUid: p.configUid, port: p.port }));
      const steady = timeCase(inputFor(converged, pool, configurations, { claims }), options.budgetMs);
      if (steady.row.steps !== 0)
        throw new Error(
          `planner bench: the steady state of ${poolLabel(shape)} × ${n} still plans ${steady.row.steps} ` +
            `steps (apply → plan again must be empty)`,
        );
      const row2: PlannerRow = {
        pool: poolLabel(shape),
        members: shape.members,
        configurations: n,
        state: 'steady',
        ...steady.row,
      };
      rows.push(row2);
      options.onRow?.(row2);
    }
  return rows;
}

/**
 * Times one input. The input is first deep-copied (structuredClone) so it owns all its objects, as a
 * freshly observed world does, and its heap can be measured: heap after − before the copy, after GC.
 */
function timeCase(
  original: PlanPoolInput,
  budgetMs: number,
): { readonly row: Omit<PlannerRow, 'pool' | 'members' | 'configurations' | 'state'>; readonly plan: Plan } {
  const h0 = heapUsedAfterGc();
  const input = structuredClone(original);
  const h1 = heapUsedAfterGc();
  const timing = measureLoop(() => planPool(input), { budgetMs, minIterations: 3, warmup: 2 });
  const runs = Math.max(3, Math.min(timing.iterations, 20));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) planPool(input);
  const cpu = process.cpuUsage(cpu0);
  // After the timed loop, so compiled code and its feedback are not counted as the plan's.
  const h2 = heapUsedAfterGc();
  const plan = planPool(input);
  const h3 = heapUsedAfterGc();
  return {
    plan,
    row: {
      steps: plan.steps.length,
      timing,
      cpuMs: (cpu.user + cpu.system) / 1000 / runs,
      inputHeapMiB: Math.max(0, h1 - h0) / 2 ** 20,
      planHeapKiB: Math.max(0, h3 - h2) / 2 ** 10,
    },
  };
}
