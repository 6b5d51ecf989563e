/**
 * Which configurations a plan step concerns, over the steps' typed `uids` (never their reasons):
 * a step concerns the configurations it serves, and a step that serves none of them (pool-wide, e.g.
 * removing an orphan ipConfig) concerns every configuration of the pool, since the pool has not
 * converged until it is done.
 */
import type { PlanStep } from './plan.js';

/** How an applied step ended, as far as attribution needs (the kinds of the ArmWriter port's StepOutcome). */
export interface AppliedStepResult {
  readonly uids: readonly string[];
  readonly outcome: {
    readonly kind: 'ok' | 'skipped' | 'conflict' | 'transient' | 'refused' | 'failed';
  };
}

/** True when `step` concerns configuration `uid`: it serves it, or it serves no configuration. */
export function stepConcerns(step: { readonly uids: readonly string[] }, uid: string): boolean {
  return step.uids.length === 0 || step.uids.includes(uid);
}

/** The steps (of a plan still to apply) that concern configuration `uid`, in plan order. */
export function stepsConcerning<S extends Pick<PlanStep, 'uids'>>(steps: readonly S[], uid: string): S[] {
  return steps.filter((s) => stepConcerns(s, uid));
}

/**
 * The configurations, of `configurations`, that the failed steps of an applied plan concern, sorted.
 * A step failed when Azure refused it, it failed, or it was throttled / hit a transient error; a
 * conflict is not a failure of the configuration (the caller re-observes and plans again), and a
 * skipped step did not run. A failed step that serves no configuration concerns all of them.
 */
export function failedConfigurations(
  steps: readonly AppliedStepResult[],
  configurations: readonly string[],
): readonly string[] {
  const concerned = new Set<string>();
  for (const s of steps) {
    const kind = s.outcome.kind;
    if (kind === 'ok' || kind === 'skipped' || kind === 'conflict') continue;
    if (s.uids.length === 0) return [...new Set(configurations)].sort(cmp);
    for (const uid of s.uids) concerned.add(uid);
  }
  return [...new Set(configurations)].filter((uid) => concerned.has(uid)).sort(cmp);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
