/**
 * The ONE place that decides how a plan is applied (core plan.ts states why):
 * - phases run in PLAN_PHASES order;
 * - the steps of one phase run concurrently (at most `maxConcurrency` at a time — Compute throttles
 *   per scale set and per subscription, so a 100-instance pool is not PUT in one burst);
 * - at the first phase with a failed step, the steps already started in it finish, and no later phase
 *   runs (a NIC must not reference a public IP whose create failed; a prefix must not be deleted
 *   while its addresses still exist). Later steps are reported `skipped`.
 * Nothing is retried here: the SDK already retried 429/5xx; a conflict or failure means the world is
 * not what the plan assumed, so the caller re-observes and re-plans (plans are idempotent; the
 * writes that did succeed are seen by the next observation, none is lost or repeated).
 * Every write attempted (succeeded or failed) is reported to `onWrite` for the audit log.
 */
import type {
  ApplyPlanReport,
  ArmWriteRecord,
  ArmWriter,
  StepOutcome,
  StepReport,
} from '../../ports/armWriter.js';
import {
  ConflictError,
  isEgretError,
  NotFoundError,
  TransientError,
  ValidationError,
} from '../../core/errors.js';
import type { Plan, PlanPhase, PlanStep } from '../../core/plan.js';
import { planPhases } from '../../core/plan.js';

/** Options of {@link applyPlan}. */
export interface ApplyPlanOptions {
  readonly writer: ArmWriter;
  /** Called once per write attempted, after it ended; awaited (a rejection is rethrown after the phase). */
  readonly onWrite?: (record: ArmWriteRecord) => Promise<void> | void;
  /** Steps of one phase in flight at once (default 10). */
  readonly maxConcurrency?: number;
  readonly signal: AbortSignal;
}

/** Applies `plan` (see the module comment); never throws for a failed step, only reports it. */
export async function applyPlan(plan: Plan, options: ApplyPlanOptions): Promise<ApplyPlanReport> {
  const limit = Math.max(1, options.maxConcurrency ?? 10);
  const outcomes = new Map<PlanStep, StepOutcome>();
  let stoppedAt: PlanPhase | undefined;
  let auditFailure: { readonly error: unknown } | undefined;

  for (const { phase, steps } of planPhases(plan)) {
    if (stoppedAt !== undefined) break;
    options.signal.throwIfAborted();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < steps.length) {
        const step = steps[next++] as PlanStep;
        const outcome = await applyOne(step, options.writer, options.signal);
        outcomes.set(step, outcome);
        try {
          await options.onWrite?.(writeRecord(step, outcome));
        } catch (error) {
          auditFailure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, steps.length) }, worker));
    if (auditFailure !== undefined) throw auditFailure.error;
    if (steps.some((s) => outcomes.get(s)?.kind !== 'ok')) stoppedAt = phase;
  }

  const reports: StepReport[] = plan.steps.map((step) => ({
    phase: step.phase,
    kind: step.kind,
    resourceId: step.resourceId,
    uids: step.uids,
    outcome: outcomes.get(step) ?? { kind: 'skipped' },
  }));
  return {
    completed: stoppedAt === undefined,
    ...(stoppedAt === undefined ? {} : { stoppedAt }),
    steps: reports,
  };
}

async function applyOne(step: PlanStep, writer: ArmWriter, signal: AbortSignal): Promise<StepOutcome> {
  try {
    const applied = await writer.apply(step, signal);
    return applied.etag === undefined ? { kind: 'ok' } : { kind: 'ok', etag: applied.etag };
  } catch (e) {
    if (signal.aborted) throw e;
    return outcomeOf(e);
  }
}

/** The report of an error thrown by an ArmWriter. */
export function outcomeOf(e: unknown): StepOutcome {
  const message = e instanceof Error ? e.message : String(e);
  const code = isEgretError(e) ? e.detail : undefined;
  const withCode = code === undefined ? {} : { code };
  if (e instanceof ConflictError) return { kind: 'conflict', message, ...withCode };
  if (e instanceof TransientError)
    return {
      kind: 'transient',
      message,
      ...withCode,
      ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
    };
  if (e instanceof ValidationError) return { kind: 'refused', message, ...withCode };
  if (e instanceof NotFoundError) return { kind: 'failed', errorCode: e.code, message, ...withCode };
  return { kind: 'failed', errorCode: isEgretError(e) ? e.code : 'InvariantError', message, ...withCode };
}

function writeRecord(step: PlanStep, outcome: StepOutcome): ArmWriteRecord {
  const method = step.kind.startsWith('delete-') ? 'DELETE' : 'PUT';
  const force = 'force' in step && step.force !== undefined ? [`force ${step.force}`] : [];
  const reason = `${step.kind}: ${[...force, ...step.reasons].join('; ')}`;
  if (outcome.kind === 'ok') return { resourceId: step.resourceId, method, reason, outcome: 'succeeded' };
  const label =
    outcome.kind === 'failed'
      ? outcome.errorCode
      : outcome.kind === 'conflict'
        ? 'ConflictError'
        : outcome.kind === 'transient'
          ? 'TransientError'
          : outcome.kind === 'refused'
            ? 'ValidationError'
            : 'Skipped';
  const code = outcome.kind === 'skipped' || outcome.code === undefined ? '' : `/${outcome.code}`;
  const message = outcome.kind === 'skipped' ? '' : outcome.message;
  return {
    resourceId: step.resourceId,
    method,
    reason,
    outcome: 'failed',
    error: `${label}${code}: ${message}`,
  };
}
