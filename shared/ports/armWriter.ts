/**
 * Writing ARM (port): applies ONE plan step. The adapter sends the step's body with `If-Match: <ifMatch>`
 * when given (Compute: the `ifMatch` option; Network: a custom header), waits for the long-running
 * operation, and maps failures to the error taxonomy: 412 → ConflictError (re-observe and re-plan),
 * 429/5xx → TransientError with retryAfterMs, 404 on delete → success (already gone), 400 →
 * InvariantError with Azure's code in `detail` (the plan was wrong for Azure).
 * The caller runs a plan's phases in order and stops at the first failed step.
 */
import type { PlanStep } from '../core/plan.js';

/** What happened to one step. */
export interface AppliedStep {
  readonly resourceId: string;
  /** The ETag Azure returned (absent for deletes). */
  readonly etag?: string;
}

/** Applies plan steps to ARM. */
export interface ArmWriter {
  apply(step: PlanStep, signal: AbortSignal): Promise<AppliedStep>;
}
