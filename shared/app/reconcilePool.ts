/**
 * Use case behind the `reconcile` queue trigger: bring one gateway pool to its desired state.
 *
 * ## One worker per pool (DESIGN.md)
 * A request names a pool. A pool that is clean (every dirty mark covered) returns at once. Otherwise
 * the worker takes the pool's lease; a loser marks the pool dirty — so the holder loops once more —
 * and returns (it retries the lease once after marking: the holder may have released in between).
 * A loser also re-enqueues the request for just after the lease expires, so a holder that died mid-way
 * never strands the pool until the next resync.
 * The holder works in rounds: each round covers the dirty generation seen when it started; the
 * lease is released with `completePoolReconcile`, which keeps it instead when new dirt arrived, and
 * then the holder starts another round. A budget (rounds, time) bounds one invocation: past it the
 * pool is re-enqueued and the lease released.
 *
 * ## One round: observe → plan → apply, until the plan is empty
 * 1. Load the pool's configurations (every cluster; tombstones until finalized), the live ones of
 *    other pools when the set rules need them, ARM inventory and the stored summary; core
 *    preparePool.ts decides the rest, validating each configuration once: which are left out of the
 *    plan with a condition (invalid, breaking cross-configuration rules, asking another prefix length
 *    than the pool's first public configuration — no Azure write for them, their resources kept:
 *    orphans `keep`; otherwise the stored list is authoritative and orphans are removed: `delete`),
 *    the pool's identity (from inventory, else what the last successful reconcile remembered,
 *    poolSummary.ts, so deletions still clean up the ILB of a pool whose VMSS is gone), and which
 *    nodepool configurations move to another pool.
 * 2. Moves are stored (requestReconcile.ts: the target pools are marked dirty first, enqueued after).
 * 3. Passes: observe the pool, plan (shared/core/planPool.ts: at most one write per Azure resource per
 *    plan), persist the plan's ports as claims, apply phase by phase (each write audited), then observe
 *    and plan again. A `ConflictError` (412 stale ETag, 409 concurrent operation) starts the next pass
 *    from a fresh observation; an empty plan ends the round. At most `maxPasses` passes. What a pass
 *    does after applying (re-observe, go on, or fail) is core applyReport.ts `assessApplyReport`.
 * 4. Project each configuration's status from the last observation and the last plan's outcomes; a
 *    configuration that still has writes planned is `Reconciling` (or `AzureError` when a write failed);
 *    store it only when it changed. Deleted configurations whose resources are all gone are finalized
 *    and their port released.
 *
 * ## Failures
 * ARM throttling/5xx (`TransientError`) and refused or failed writes end the round: the pool is
 * re-enqueued with a delay (core applyReport.ts `retryDelayMs`: Retry-After when Azure gave one, else
 * exponential from `retryBaseMs`; the attempt is the queue message's typed `attempt` field) and the
 * reconcile is recorded as failed — the dirty mark is never lost. Anything else (a bug, storage down) is rethrown: the queue retries the message and moves
 * it to the poison queue after `maxDequeueCount` attempts (admin shows it); the resync timer still
 * marks the pool dirty every few minutes.
 *
 * ## Pending pools (`nodepool:<rg>:<name>`, see poolKeyForSpec.ts)
 * Their round resolves each configuration against ARM inventory and moves it to its real pool (the
 * stored row gets the control plane's next revision, core configVersion.ts), marking that pool dirty.
 * Unresolvable ones get `PoolNotFound` / `InvalidSpec`; the resync retries them. A deleting one is
 * finalized once the managed prefix it may still own from a pool it left is gone (PoolLessDeletions).
 */
import {
  assessApplyReport,
  describeStepOutcome,
  notConverged,
  retryDelayMs,
  statusProblemOf,
  type ApplyPlanReport,
  type RoundFailure,
} from '../core/applyReport.js';
import { nextLocalRevision } from '../core/configVersion.js';
import { errorMessage, isEgretError, TransientError } from '../core/errors.js';
import { publicIpPrefixId } from '../core/armId.js';
import { stepsConcerning } from '../core/failedConfigurations.js';
import type { Plan, PlanStep } from '../core/plan.js';
import { planLeftovers, type LeftoversPlan } from '../core/planLeftovers.js';
import { planPool } from '../core/planPool.js';
import type { ResolvedPool } from '../core/pool.js';
import {
  checkConfigurations,
  needsNeighbours,
  preparePendingPool,
  preparePool,
  scaleSetsNamedBy,
  type CheckedConfiguration,
  type ConfigurationProblem,
  type PoolMove,
} from '../core/preparePool.js';
import { managedResourceName, WIREGUARD_PORT_MAX, WIREGUARD_PORT_MIN } from '../core/wellKnown.js';
import type { GatewayPools, ObservedPoolWorld } from '../ports/armInventory.js';
import type { ArmWriteRecord, ArmWriter } from '../ports/armWriter.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { DesiredConfiguration, StateStore } from '../ports/stateStore.js';
import type { WorkQueue } from '../ports/workQueue.js';
import { planSettingsOf, type ControlPlaneSettings } from './controlPlaneSettings.js';
import { isPendingPoolKey } from './poolKeyForSpec.js';
import { readPoolSummary, resolvedPoolOf, summarizePool, type PoolSummary } from './poolSummary.js';
import { putConfigurationStatus } from './putConfigurationStatus.js';
import { requestReconcile } from './requestReconcile.js';

/** Tunables (defaults in parentheses). */
export interface ReconcileOptions {
  /** Lease duration, renewed before every pass (120 s). */
  readonly leaseMs?: number;
  /** Rounds per invocation (10). */
  readonly maxRounds?: number;
  /** Passes (observe → plan → apply) per round (5). */
  readonly maxPasses?: number;
  /** Wall time per invocation before handing over to a new message (240 s, under the Functions timeout). */
  readonly timeBudgetMs?: number;
  /** First retry delay after a failed write without Retry-After (2 s), doubling per attempt. */
  readonly retryBaseMs?: number;
  /** Longest retry delay (300 s). */
  readonly maxRetryMs?: number;
  /** Concurrent writes within a plan phase (8). */
  readonly applyConcurrency?: number;
}

/**
 * Applies a plan phase by phase and reports every step (shared/adapters/arm/applyPlan.ts: the one
 * place that decides how plans are applied); injected so this use case depends on ports only.
 */
export type PlanApplier = (
  plan: Plan,
  options: {
    readonly writer: ArmWriter;
    readonly onWrite: (record: ArmWriteRecord) => Promise<void>;
    readonly maxConcurrency?: number;
    readonly signal: AbortSignal;
  },
) => Promise<ApplyPlanReport>;

/** The ARM side of a reconcile: inventory (pool resolution), one-call observation, and the writer. */
export type ReconcileArm = Pick<
  GatewayPools,
  'listPoolInventory' | 'observePoolWorld' | 'apply' | 'getPublicIpPrefix' | 'listPrefixPublicIps'
>;

/** What the use case needs. */
export interface ReconcileDeps {
  readonly state: StateStore;
  readonly queue: WorkQueue;
  readonly arm: ReconcileArm;
  readonly applyPlan: PlanApplier;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: ControlPlaneSettings;
  readonly options?: ReconcileOptions;
}

/** One reconcile request (a queue message). */
export interface ReconcileRequest {
  readonly poolKey: string;
  /** Why (logs). */
  readonly reason: string;
  /** Failed rounds before this request (absent or 0 for a fresh request): the retry delay grows with it. */
  readonly attempt?: number;
  /** Identifies this worker + invocation as the lease holder (Table-safe: no `/ \\ # ?`). */
  readonly holderId: string;
}

/** The use case's answer. */
export type ReconcileResult =
  /** Nothing was dirty. */
  | { readonly kind: 'clean' }
  /** Another worker holds the lease; the pool is marked dirty for it. */
  | { readonly kind: 'busy'; readonly holderId: string }
  | {
      readonly kind: 'reconciled';
      readonly rounds: number;
      readonly passes: number;
      /** ARM writes attempted. */
      readonly writes: number;
      /** True when the budget ran out and the pool was re-enqueued. */
      readonly continued: boolean;
    }
  /** A write failed; the pool is re-enqueued after `delayMs`. */
  | { readonly kind: 'retrying'; readonly delayMs: number; readonly error: string }
  /** The lease expired while working (another worker may have it now). */
  | { readonly kind: 'lease-lost' };

interface Tunables {
  readonly leaseMs: number;
  readonly maxRounds: number;
  readonly maxPasses: number;
  readonly timeBudgetMs: number;
  readonly retryBaseMs: number;
  readonly maxRetryMs: number;
  readonly applyConcurrency: number;
}

type RoundResult =
  | {
      readonly kind: 'done';
      readonly passes: number;
      readonly writes: number;
      readonly summary?: PoolSummary;
    }
  | {
      readonly kind: 'failed';
      readonly passes: number;
      readonly writes: number;
      readonly error: string;
      readonly retryAfterMs?: number;
    }
  | { readonly kind: 'lease-lost' };

/** Reconciles one pool (see the module comment). */
export async function reconcilePool(
  deps: ReconcileDeps,
  request: ReconcileRequest,
  signal: AbortSignal,
): Promise<ReconcileResult> {
  const t = tunables(deps.options);
  const { poolKey, holderId } = request;
  const log = deps.logger.with({ poolKey });
  const { state } = deps;

  const before = await state.getPool({ poolKey }, signal);
  if (before === undefined || before.reconciledGeneration >= before.dirtyGeneration) return { kind: 'clean' };

  let acquisition = await state.acquirePoolLease({ poolKey, holderId, durationMs: t.leaseMs }, signal);
  if (acquisition.kind === 'held') {
    await state.markPoolDirty({ poolKey }, signal);
    acquisition = await state.acquirePoolLease({ poolKey, holderId, durationMs: t.leaseMs }, signal);
    if (acquisition.kind === 'held') {
      // The holder loops while dirty. Should it have died, this request comes back once its lease has
      // expired (a live holder will have cleaned the pool by then, and the request returns at once).
      const delayMs = Math.max(1_000, acquisition.expiresAt.getTime() - deps.clock.nowMs() + 1_000);
      await deps.queue.enqueue(
        { poolKey, reason: `after lease of ${acquisition.holderId}`, delayMs },
        signal,
      );
      log.info('reconcile: lease held by another worker; pool left dirty for it', {
        holder: acquisition.holderId,
        recheckInMs: delayMs,
      });
      return { kind: 'busy', holderId: acquisition.holderId };
    }
  }
  let target = acquisition.lease.dirtyGeneration;
  const started = deps.clock.nowMs();
  let passes = 0;
  let writes = 0;
  const complete = (outcome: Parameters<StateStore['completePoolReconcile']>[0]['outcome']) =>
    state.completePoolReconcile(
      { poolKey, holderId, reconciledGeneration: target, outcome, durationMs: t.leaseMs },
      signal,
    );

  for (let round = 1; ; round++) {
    let result: RoundResult;
    try {
      result = await reconcileRound(deps, { poolKey, holderId, round, tunables: t }, signal);
    } catch (e) {
      if (e instanceof TransientError) {
        // ARM or storage throttled or unavailable while observing: retry after a delay, not from the queue.
        result = {
          kind: 'failed',
          passes: 0,
          writes: 0,
          error: errorMessage(e),
          ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
        };
      } else {
        await complete({ kind: 'failed', error: errorMessage(e) }).catch(() => undefined);
        throw e;
      }
    }
    if (result.kind === 'lease-lost') {
      log.warn('reconcile: lease lost while working; the new holder takes over');
      return { kind: 'lease-lost' };
    }
    passes += result.passes;
    writes += result.writes;
    if (result.kind === 'failed') {
      const attempt = (request.attempt ?? 0) + 1;
      const delayMs = retryDelayMs({
        attempt,
        ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
        baseMs: t.retryBaseMs,
        maxMs: t.maxRetryMs,
      });
      await deps.queue.enqueue(
        { poolKey, reason: `retry: ${result.error}`.slice(0, 1000), delayMs, attempt },
        signal,
      );
      await complete({ kind: 'failed', error: result.error });
      log.warn('reconcile: failed; retrying later', { error: result.error, delayMs, attempt });
      return { kind: 'retrying', delayMs, error: result.error };
    }
    const completion = await complete({
      kind: 'succeeded',
      ...(result.summary === undefined ? {} : { members: result.summary }),
    });
    if (completion.kind === 'released') {
      log.info('reconcile: pool clean', { rounds: round, passes, writes });
      return { kind: 'reconciled', rounds: round, passes, writes, continued: false };
    }
    target = completion.lease.dirtyGeneration;
    if (round >= t.maxRounds || deps.clock.nowMs() - started >= t.timeBudgetMs) {
      await deps.queue.enqueue({ poolKey, reason: 'continue: budget of one invocation used' }, signal);
      await complete({ kind: 'failed', error: 'budget of one invocation used; continued in a new one' });
      return { kind: 'reconciled', rounds: round, passes, writes, continued: true };
    }
  }
}

interface RoundInput {
  readonly poolKey: string;
  readonly holderId: string;
  readonly round: number;
  readonly tunables: Tunables;
}

/** A configuration of the pool as the round sees it (validated once, core preparePool.ts). */
type Entry = CheckedConfiguration<DesiredConfiguration>;

async function reconcileRound(
  deps: ReconcileDeps,
  input: RoundInput,
  signal: AbortSignal,
): Promise<RoundResult> {
  const { state, settings } = deps;
  const { poolKey } = input;
  if (!(await renew(deps, input, signal))) return { kind: 'lease-lost' };
  const checked = checkConfigurations(await state.listConfigurationsByPool({ poolKey }, signal), {
    subscriptionId: settings.subscriptionId,
  });
  if (isPendingPoolKey(poolKey)) return resolvePendingConfigurations(deps, input, checked, signal);

  const neighbours = needsNeighbours(checked) ? await state.listAllConfigurations(signal) : [];
  const inventory = await deps.arm.listPoolInventory(
    { gatewayResourceGroup: settings.gatewayResourceGroup, profileScaleSets: scaleSetsNamedBy(checked) },
    signal,
  );
  const stored = readPoolSummary(await state.getPool({ poolKey }, signal));
  const prepared = preparePool({
    poolKey,
    configurations: checked,
    neighbours,
    context: { subscriptionId: settings.subscriptionId },
    inventory,
    ...(stored === undefined ? {} : { remembered: resolvedPoolOf(poolKey, stored) }),
  });
  await moveConfigurations(deps, prepared.moves, signal);
  const entries = prepared.configurations;
  const { pool } = prepared;
  if (pool === undefined) {
    // Nothing to plan against: report why; a deleting configuration is finalized once what it may
    // still own without a pool (its managed prefix) is gone.
    const poolLess = new PoolLessDeletions(deps, input);
    for (const e of entries) await poolLess.writeStatus(e, signal);
    return poolLess.result();
  }

  const planSettings = planSettingsOf(settings, prepared.orphans);
  const owners = prepared.owners;
  const observe = (): Promise<ObservedPoolWorld> =>
    deps.arm.observePoolWorld({ pool: pool.ref, configurations: owners, settings: planSettings }, signal);
  const plan = async (world: ObservedPoolWorld): Promise<Plan> =>
    planPool({
      pool,
      configurations: prepared.planned,
      ...world,
      portClaims: (await state.listPortClaims({ poolKey }, signal)).map((c) => ({
        configUid: c.configUid,
        port: c.port,
      })),
      settings: planSettings,
    });

  let passes = 0;
  let writes = 0;
  let world = await observe();
  let current = await plan(world);
  let failure: RoundFailure | undefined;
  while (current.steps.length > 0) {
    if (passes >= input.tunables.maxPasses) {
      failure = notConverged({ passes, stepsLeft: current.steps.length });
      break;
    }
    passes++;
    if (!(await renew(deps, input, signal))) return { kind: 'lease-lost' };
    await persistClaims(deps, poolKey, current, signal);
    const correlationId = `${input.holderId}:round-${input.round}:pass-${passes}`;
    let renewedAt = deps.clock.nowMs();
    let leaseLost = false;
    const report = await deps.applyPlan(current, {
      writer: deps.arm,
      onWrite: async (record) => {
        await audit(deps, { poolKey, holderId: input.holderId, correlationId }, record, signal);
        // Scale-set writes take minutes in Azure: keep the lease while a long plan is applied.
        if (!leaseLost && deps.clock.nowMs() - renewedAt > input.tunables.leaseMs / 3) {
          renewedAt = deps.clock.nowMs();
          leaseLost = !(await renew(deps, input, signal));
        }
      },
      maxConcurrency: input.tunables.applyConcurrency,
      signal,
    });
    writes += report.steps.filter((s) => s.outcome.kind !== 'skipped').length;
    if (leaseLost) return { kind: 'lease-lost' };
    world = await observe();
    current = await plan(world);
    const assessed = assessApplyReport(report, {
      retryBaseMs: input.tunables.retryBaseMs,
      configurations: prepared.planned.map((c) => c.uid),
    });
    if (assessed.kind === 'completed') continue;
    if (assessed.kind === 'conflict') {
      const { step } = assessed;
      deps.logger.info('reconcile: conflict; re-observing', {
        poolKey,
        ...(step === undefined
          ? {}
          : { resourceId: step.resourceId, error: describeStepOutcome(step.outcome) }),
      });
      continue;
    }
    failure = assessed.failure;
    break;
  }

  // ---- status ----
  for (const e of entries) {
    const outcome = current.outcomes.find((o) => o.uid === e.config.uid);
    const steps = e.deleting ? [] : stepsConcerning(current.steps, e.config.uid);
    const problem = statusProblemOf({
      uid: e.config.uid,
      ...(e.problem === undefined ? {} : { problem: e.problem }),
      ...(steps.length === 0 ? {} : { waitingFor: summarize(steps) }),
      ...(failure === undefined ? {} : { failure }),
    });
    await writeStatus(
      deps,
      e,
      { pool, world, ...(outcome === undefined ? {} : { outcome }), problem },
      signal,
    );
  }
  if (failure === undefined) await releaseStrayClaims(deps, poolKey, entries, signal);
  const summary = summarizePool({ pool, world, configurations: entries.length });
  if (failure !== undefined) {
    const delay = failure.retryAfterMs ?? failure.minDelayMs;
    return {
      kind: 'failed',
      passes,
      writes,
      error: failure.message,
      ...(delay === undefined ? {} : { retryAfterMs: delay }),
    };
  }
  return { kind: 'done', passes, writes, summary };
}

/**
 * Stores each moved configuration under its new pool key (the control plane's next revision). The
 * targets are marked dirty before the rows move (so nothing is lost if a write fails) and enqueued
 * once afterwards, so moving many configurations makes one reconcile that plans them together.
 */
async function moveConfigurations(
  deps: ReconcileDeps,
  moves: readonly PoolMove<DesiredConfiguration>[],
  signal: AbortSignal,
): Promise<void> {
  if (moves.length === 0) return;
  const afterMarking = async (): Promise<void> => {
    for (const { config, to } of moves) {
      const outcome = await deps.state.upsertConfiguration(
        {
          clusterId: config.clusterId,
          uid: config.uid,
          namespace: config.namespace,
          name: config.name,
          poolKey: to,
          version: nextLocalRevision(config.version),
          spec: config.spec,
        },
        signal,
      );
      if (outcome === 'updated')
        deps.logger.info('reconcile: configuration resolved to its gateway pool', {
          uid: config.uid,
          from: config.poolKey,
          to,
        });
    }
  };
  await requestReconcile(
    deps,
    { poolKeys: moves.map((m) => m.to), reason: 'configurations resolved to this pool', afterMarking },
    signal,
  );
}

/** The round of a pending (unresolved nodepool) key. */
async function resolvePendingConfigurations(
  deps: ReconcileDeps,
  input: RoundInput,
  entries: readonly Entry[],
  signal: AbortSignal,
): Promise<RoundResult> {
  const poolLess = new PoolLessDeletions(deps, input);
  if (entries.length === 0) return poolLess.result();
  const inventory = await deps.arm.listPoolInventory(
    { gatewayResourceGroup: deps.settings.gatewayResourceGroup, profileScaleSets: [] },
    signal,
  );
  const prepared = preparePendingPool({ configurations: entries, inventory });
  for (const e of prepared.stay) await poolLess.writeStatus(e, signal);
  await moveConfigurations(deps, prepared.moves, signal);
  return poolLess.result();
}

/**
 * Statuses of configurations no pool can plan for (a pending nodepool key, or a pool that no longer
 * resolves). A deleting one may still own its managed prefix `egressgateway-<uid>` (and egret's
 * per-NIC public IPs from it) from a pool it left: core planLeftovers.ts plans their removal, applied
 * and audited like a pool's plan; it is finalized only once nothing of it is left. While an address
 * is still attached (the pool it left has not removed its ipConfigs yet), the round ends `failed`
 * so the key comes back after the retry delay.
 */
class PoolLessDeletions {
  private passes = 0;
  private writes = 0;
  private readonly waiting: string[] = [];

  constructor(
    private readonly deps: ReconcileDeps,
    private readonly input: RoundInput,
  ) {}

  async writeStatus(e: Entry, signal: AbortSignal): Promise<void> {
    if (!e.deleting) {
      await writeStatus(this.deps, e, { problem: e.problem }, signal);
      return;
    }
    const outcome = await this.removeLeftovers(e, signal);
    await writeStatus(this.deps, e, { problem: undefined, outcome }, signal);
  }

  result(): RoundResult {
    return this.waiting.length === 0
      ? { kind: 'done', passes: this.passes, writes: this.writes }
      : {
          kind: 'failed',
          passes: this.passes,
          writes: this.writes,
          error: `waiting for Azure to release: ${this.waiting.join('; ')}`,
        };
  }

  private async removeLeftovers(e: Entry, signal: AbortSignal): Promise<Plan['outcomes'][number]> {
    const { deps, input } = this;
    const { config } = e;
    const at = {
      subscriptionId: deps.settings.subscriptionId,
      resourceGroup: planSettingsOf(deps.settings, 'keep').publicIpResourceGroup,
    };
    const prefixId = publicIpPrefixId(at, managedResourceName(config.uid));
    const observe = async (): Promise<LeftoversPlan> => {
      const prefix = await deps.arm.getPublicIpPrefix(prefixId, signal);
      return planLeftovers({
        poolKey: input.poolKey,
        configuration: config,
        prefix,
        publicIps: prefix === undefined ? [] : await deps.arm.listPrefixPublicIps(at.resourceGroup, signal),
      });
    };
    let current = await observe();
    if (current.plan.steps.length > 0) {
      this.passes++;
      const correlationId = `${input.holderId}:round-${input.round}:leftovers-${config.uid}`;
      const report = await deps.applyPlan(current.plan, {
        writer: deps.arm,
        onWrite: (record) => audit(deps, { ...input, correlationId }, record, signal),
        maxConcurrency: input.tunables.applyConcurrency,
        signal,
      });
      this.writes += report.steps.filter((s) => s.outcome.kind !== 'skipped').length;
      current = await observe();
    }
    const outcome = current.plan.outcomes[0] ?? { uid: config.uid, kind: 'removed' };
    if (outcome.kind !== 'removed')
      this.waiting.push(
        current.blockers.length === 0
          ? `${prefixId} of ${config.namespace}/${config.name}`
          : `${current.blockers.join(', ')} (from ${prefixId})`,
      );
    return outcome;
  }
}

/**
 * Projects and stores one configuration's status; a deleting configuration whose resources are all
 * gone (`outcome` removed) is finalized and its port released.
 */
async function writeStatus(
  deps: ReconcileDeps,
  e: Entry,
  input: {
    readonly pool?: ResolvedPool;
    readonly world?: ObservedPoolWorld;
    readonly outcome?: Plan['outcomes'][number];
    readonly problem: ConfigurationProblem | undefined;
  },
  signal: AbortSignal,
): Promise<void> {
  const { config } = e;
  const { outcome } = input;
  const projection = await putConfigurationStatus(
    deps,
    {
      clusterId: config.clusterId,
      status: {
        uid: config.uid,
        generation: config.version.generation,
        ...(e.spec === undefined ? {} : { egress: e.spec.egress }),
        ...(input.pool === undefined ? {} : { pool: input.pool }),
        ...(outcome === undefined ? {} : { outcome }),
        ...(input.problem === undefined || e.deleting ? {} : { problem: input.problem }),
        ...(e.warnings === undefined || e.deleting ? {} : { warnings: e.warnings }),
        ...(input.world === undefined
          ? {}
          : {
              members: input.world.members,
              ...(input.world.loadBalancer === undefined ? {} : { loadBalancer: input.world.loadBalancer }),
              prefixes: input.world.prefixes,
            }),
      },
    },
    signal,
  );
  if (e.deleting && projection.finalized) {
    await deps.state.finalizeConfiguration({ clusterId: config.clusterId, uid: config.uid }, signal);
    if (config.poolKey !== '')
      await deps.state.releasePort({ poolKey: config.poolKey, configUid: config.uid }, signal);
    deps.logger.info('reconcile: configuration finalized', { uid: config.uid, poolKey: config.poolKey });
  }
}

/** Records the plan's ports as claims before applying (so a concurrent plan never reuses them). */
async function persistClaims(
  deps: ReconcileDeps,
  poolKey: string,
  plan: Plan,
  signal: AbortSignal,
): Promise<void> {
  for (const { configUid, port } of plan.ports) {
    const claim = await deps.state.claimPort(
      {
        poolKey,
        configUid,
        range: { min: Math.max(WIREGUARD_PORT_MIN, port), max: Math.min(WIREGUARD_PORT_MAX, port) },
      },
      signal,
    );
    if (claim.port !== port)
      deps.logger.warn('reconcile: port claim differs from the plan; the next pass uses the claim', {
        poolKey,
        configUid,
        planned: port,
        claimed: claim.port,
      });
  }
}

/** Frees claims of configurations no longer on the pool (moved away, or purged). */
async function releaseStrayClaims(
  deps: ReconcileDeps,
  poolKey: string,
  entries: readonly Entry[],
  signal: AbortSignal,
): Promise<void> {
  const uids = new Set(entries.map((e) => e.config.uid.toLowerCase()));
  for (const claim of await deps.state.listPortClaims({ poolKey }, signal))
    if (!uids.has(claim.configUid.toLowerCase()))
      await deps.state.releasePort({ poolKey, configUid: claim.configUid }, signal);
}

async function audit(
  deps: ReconcileDeps,
  ctx: { readonly poolKey: string; readonly holderId: string; readonly correlationId: string },
  record: ArmWriteRecord,
  signal: AbortSignal,
): Promise<void> {
  try {
    await deps.state.appendAudit(
      {
        poolKey: ctx.poolKey,
        resourceId: record.resourceId,
        method: record.method,
        reason: record.reason.slice(0, 4000),
        correlationId: ctx.correlationId,
        actor: ctx.holderId,
        outcome: record.outcome,
        ...(record.error === undefined ? {} : { error: record.error.slice(0, 4000) }),
      },
      signal,
    );
  } catch (e) {
    // The write happened (or failed) in Azure either way; losing its audit row must not undo the pass.
    deps.logger.error('reconcile: audit append failed', {
      resourceId: record.resourceId,
      error: errorMessage(e),
    });
  }
}

async function renew(deps: ReconcileDeps, input: RoundInput, signal: AbortSignal): Promise<boolean> {
  try {
    await deps.state.renewPoolLease(
      { poolKey: input.poolKey, holderId: input.holderId, durationMs: input.tunables.leaseMs },
      signal,
    );
    return true;
  } catch (e) {
    if (isEgretError(e) && e.code === 'ConflictError') return false;
    throw e;
  }
}

function summarize(steps: readonly PlanStep[]): string {
  const shown = steps.slice(0, 3).map((s) => `${s.kind} ${s.resourceId.split('/').pop() ?? ''}`);
  return steps.length > 3 ? `${shown.join(', ')} and ${steps.length - 3} more` : shown.join(', ');
}

function tunables(o: ReconcileOptions | undefined): Tunables {
  return {
    leaseMs: o?.leaseMs ?? 120_000,
    maxRounds: o?.maxRounds ?? 10,
    maxPasses: o?.maxPasses ?? 5,
    timeBudgetMs: o?.timeBudgetMs ?? 240_000,
    retryBaseMs: o?.retryBaseMs ?? 2_000,
    maxRetryMs: o?.maxRetryMs ?? 300_000,
    applyConcurrency: o?.applyConcurrency ?? 8,
  };
}
