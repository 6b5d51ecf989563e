/**
 * Writing ARM (port): applies ONE plan step, and the report of applying a whole plan.
 *
 * The caller runs a plan's phases in order, the steps of a phase concurrently, and stops at the first
 * phase with a failed step: shared/adapters/arm/applyPlan.ts does exactly that and reports each step.
 *
 * The adapter (shared/adapters/arm) sends the step's body with `If-Match: <ifMatch>` when the step has
 * one (Compute: the `ifMatch` option; Network: a request header), and `If-None-Match: *` for a create
 * (a prefix, public IP or load balancer PUT without `ifMatch`), so a concurrent writer is detected
 * instead of overwritten. It waits for the long-running operation and throws only egret's taxonomy
 * (shared/core/errors.ts); the ARM error code is in `detail`:
 * - `ConflictError`: 412 (stale ETag), 409 (concurrent operation), and the "in use / not there yet"
 *   refusals that mean Azure's state moved on (`InUsePublicIpPrefixCannotBeDeleted`, `NicInUse`, …):
 *   re-observe and re-plan.
 * - `TransientError` (`retryAfterMs` from Retry-After): 429 and 5xx after the SDK's own retries,
 *   network errors, a failed long-running operation with a platform code (`AllocationFailed`, …).
 * - `ValidationError`: Azure refused for a reason only a person can fix (`SubnetIsFull`,
 *   `PublicIpPrefixOutOfIpAddresses…`, `InvalidParameter`, quota, 401/403): surface it as a status
 *   condition; retrying at once cannot help.
 * - `NotFoundError`: 404 on a PUT (e.g. the resource group is gone). A DELETE of an absent resource
 *   succeeds (already gone).
 * - `InvariantError`: any other 4xx: the plan was wrong for Azure (a bug to report).
 * Aborts (the caller's `AbortSignal`) pass through unchanged.
 */
import type { PlanPhase, PlanStep, PlanStepKind } from '../core/plan.js';

/** What happened to one step that succeeded. */
export interface AppliedStep {
  readonly resourceId: string;
  /** The ETag Azure returned (absent for deletes). */
  readonly etag?: string;
}

/** Applies plan steps to ARM (one step per call; see the module comment for errors). */
export interface ArmWriter {
  apply(step: PlanStep, signal: AbortSignal): Promise<AppliedStep>;
}

/** The steps a gateway pool provider writes itself (its members); the others are shared resources. */
export type MemberPlanStep = Extract<
  PlanStep,
  { readonly kind: 'put-vmss' | 'put-vmss-instance' | 'put-network-interface' }
>;

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

/**
 * One ARM write as the apply loop reports it for the audit log (the caller adds pool key, actor and
 * correlation id to make a `shared/ports/stateStore.ts` `AuditEntry`).
 */
export interface ArmWriteRecord {
  readonly resourceId: string;
  readonly method: 'PUT' | 'DELETE';
  /** `<step kind>: <reasons>` (force reason included), e.g. `put-network-interface: add ipConfig egressgateway-…`. */
  readonly reason: string;
  readonly outcome: 'succeeded' | 'failed';
  /** `<ErrorCode>[/<ARM code>]: message` when it failed. */
  readonly error?: string;
}
