/**
 * Applying a plan through the ArmWriter port, as shared/core/plan.ts requires: phases in order, the
 * steps of one phase concurrently (at most `concurrency` at a time), and no later phase once a step of
 * a phase failed (later phases rely on earlier ones). Every write — succeeded or failed — is reported
 * to `onStep` (the audit log) before the next phase starts.
 */
import { planPhases, type Plan, type PlanStep } from '../core/plan.js';
import type { ArmWriter } from '../ports/armWriter.js';

/** What happened to one step. */
export type StepOutcome =
  | { readonly step: PlanStep; readonly kind: 'succeeded' }
  | { readonly step: PlanStep; readonly kind: 'failed'; readonly error: unknown };

/** The result of applying a plan. */
export interface ApplyResult {
  /** Steps attempted, in the order they finished within each phase. */
  readonly outcomes: readonly StepOutcome[];
  /** The first failure (phase order), if any; no later phase was attempted. */
  readonly failure?: { readonly step: PlanStep; readonly error: unknown };
}

/** Applies `plan`. Never throws for a failed step (see `failure`); rethrows an error of `onStep`. */
export async function applyPoolPlan(
  writer: ArmWriter,
  plan: Plan,
  options: {
    readonly onStep: (outcome: StepOutcome) => Promise<void>;
    readonly concurrency?: number;
  },
  signal: AbortSignal,
): Promise<ApplyResult> {
  const outcomes: StepOutcome[] = [];
  const limit = Math.max(1, options.concurrency ?? 8);
  for (const { steps } of planPhases(plan)) {
    const phaseOutcomes: StepOutcome[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < steps.length) {
        const step = steps[next++] as PlanStep;
        let outcome: StepOutcome;
        try {
          await writer.apply(step, signal);
          outcome = { step, kind: 'succeeded' };
        } catch (error) {
          outcome = { step, kind: 'failed', error };
        }
        phaseOutcomes.push(outcome);
        await options.onStep(outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, steps.length) }, () => worker()));
    outcomes.push(...phaseOutcomes);
    const failed = steps
      .map((s) => phaseOutcomes.find((o) => o.step === s))
      .find((o): o is Extract<StepOutcome, { kind: 'failed' }> => o?.kind === 'failed');
    if (failed !== undefined) return { outcomes, failure: { step: failed.step, error: failed.error } };
    signal.throwIfAborted();
  }
  return { outcomes };
}
