/**
 * The report of applying a plan (shared/adapters/arm/applyPlan.ts writes it; shared/ports/armWriter.ts
 * re-exports the types) and the decisions a reconcile round takes from it: go on, re-observe after a
 * conflict, or end the round failed with a retry delay; and what a configuration's status then says.
 */
import { failedConfigurations } from './failedConfigurations.js';
import type { ConfigurationProblem } from './preparePool.js';
import type { PlanPhase, PlanStepKind } from './plan.js';

/** How one step of a plan ended. */
export type StepOutcome =
  | { readonly kind: 'ok'; readonly etag?: string }
  /** 409/412 or an "in use" refusal: re-observe and re-plan (nothing is lost: the plan is remade). */
  | { readonly kind: 'conflict'; readonly code?: string; readonly message: string }
  /** 429/5xx/network/platform failure: retry later, after `retryAfterMs` when Azure said. */
  | {
      readonly kind: 'transient';
      readonly code?: string;
      readonly message: string;
      readonly retryAfterMs?: number;
    }
  /** Azure refused for a user-caused reason: report it in status (reason `AzureError`), do not hot-loop. */
  | { readonly kind: 'refused'; readonly code?: string; readonly message: string }
  /** Anything else (a plan Azure considers invalid, a missing resource group): a bug or a broken setup. */
  | { readonly kind: 'failed'; readonly errorCode: string; readonly code?: string; readonly message: string }
  /** Not attempted: an earlier phase failed. */
  | { readonly kind: 'skipped' };

/** One step of a plan and how it ended. */
export interface StepReport {
  readonly phase: PlanPhase;
  readonly kind: PlanStepKind;
  readonly resourceId: string;
  /** The step's `uids`: the configurations it serves (core `failedConfigurations` maps failures to them). */
  readonly uids: readonly string[];
  readonly outcome: StepOutcome;
}

/** The result of applying a plan: `completed` when every step succeeded, else where it stopped. */
export interface ApplyPlanReport {
  readonly completed: boolean;
  /** The first phase with a failed step (later phases were skipped). */
  readonly stoppedAt?: PlanPhase;
  /** Every step of the plan, in plan order. */
  readonly steps: readonly StepReport[];
}

/** Why a round ended without converging; every configuration still waiting for a write reports it. */
export interface RoundFailure {
  readonly reason: 'AzureError' | 'Reconciling';
  readonly message: string;
  /** Azure's Retry-After. */
  readonly retryAfterMs?: number;
  /** At least this long before the retry (refused or failed writes: a person or a fix must act). */
  readonly minDelayMs?: number;
  /** The configurations the failed writes served (core failedConfigurations); absent: every one. */
  readonly uids?: readonly string[];
}

/** What a round does after applying a plan. */
export type ApplyAssessment =
  /** Every step succeeded: observe and plan again. */
  | { readonly kind: 'completed' }
  /** Only conflicts (stale ETag, concurrent operation): re-observe and re-plan at once. */
  | { readonly kind: 'conflict'; readonly step?: StepReport }
  /** A write failed otherwise: the round ends. */
  | { readonly kind: 'failed'; readonly failure: RoundFailure };

/**
 * Judges an apply report. The worst failed step is the first that is not a conflict: a transient one
 * keeps Azure's Retry-After; a refused or failed one waits at least `15 × retryBaseMs` so a write that
 * cannot succeed does not hot-loop.
 */
export function assessApplyReport(
  report: ApplyPlanReport,
  options: {
    readonly retryBaseMs: number;
    /** The uids of the planned configurations, for attributing the failure. */
    readonly configurations: readonly string[];
  },
): ApplyAssessment {
  if (report.completed) return { kind: 'completed' };
  const failed = report.steps.filter((s) => s.outcome.kind !== 'ok' && s.outcome.kind !== 'skipped');
  const worst = failed.find((s) => s.outcome.kind !== 'conflict') ?? failed[0];
  if (worst === undefined || worst.outcome.kind === 'conflict')
    return worst === undefined ? { kind: 'conflict' } : { kind: 'conflict', step: worst };
  const outcome = worst.outcome;
  return {
    kind: 'failed',
    failure: {
      reason: 'AzureError',
      message: `${worst.kind} ${worst.resourceId}: ${describeStepOutcome(outcome)}`,
      uids: failedConfigurations(report.steps, options.configurations),
      ...(outcome.kind === 'transient'
        ? outcome.retryAfterMs === undefined
          ? {}
          : { retryAfterMs: outcome.retryAfterMs }
        : { minDelayMs: options.retryBaseMs * 15 }),
    },
  };
}

/** The failure of a round whose plan still has writes after its last pass. */
export function notConverged(input: { readonly passes: number; readonly stepsLeft: number }): RoundFailure {
  return {
    reason: 'Reconciling',
    message: `not converged after ${input.passes} passes; ${input.stepsLeft} writes still planned`,
  };
}

/** One line for a step outcome (logs, status messages). */
export function describeStepOutcome(outcome: StepOutcome): string {
  switch (outcome.kind) {
    case 'ok':
      return 'ok';
    case 'skipped':
      return 'skipped';
    case 'failed':
      return `${outcome.errorCode}${outcome.code === undefined ? '' : ` (${outcome.code})`}: ${outcome.message}`;
    case 'conflict':
    case 'transient':
    case 'refused':
      return `${outcome.code === undefined ? '' : `${outcome.code}: `}${outcome.message}`;
  }
}

/**
 * The problem a configuration's status reports after a round: its own problem (left out of the plan)
 * wins; else, while writes for it are still planned (`waitingFor` describes them), the round's failure
 * or `Reconciling`; else none.
 */
export function statusProblemOf(input: {
  readonly uid: string;
  readonly problem?: ConfigurationProblem;
  readonly waitingFor?: string;
  readonly failure?: RoundFailure;
}): ConfigurationProblem | undefined {
  if (input.problem !== undefined) return input.problem;
  if (input.waitingFor === undefined) return undefined;
  const failed = input.failure !== undefined && (input.failure.uids?.includes(input.uid) ?? true);
  return input.failure === undefined || !failed
    ? { reason: 'Reconciling', message: `waiting for Azure: ${input.waitingFor}` }
    : { reason: input.failure.reason, message: input.failure.message };
}

/**
 * The delay before retrying a failed round: Azure's Retry-After (or the round's minimum) when longer,
 * else exponential from `baseMs` (attempt 1 waits `baseMs`), capped at `maxMs`.
 */
export function retryDelayMs(input: {
  /** 1 for the first retry. */
  readonly attempt: number;
  readonly retryAfterMs?: number;
  readonly baseMs: number;
  readonly maxMs: number;
}): number {
  const exponential = input.baseMs * 2 ** Math.max(0, input.attempt - 1);
  return Math.min(input.maxMs, Math.max(input.retryAfterMs ?? 0, exponential));
}
