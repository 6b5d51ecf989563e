/**
 * Status conditions of a StaticGatewayConfiguration. One condition type, `Ready`, carries the outcome
 * of the last reconcile; its `reason` says why (stable, machine-readable), its `message` says what to
 * do. `lastTransitionTime` comes from an injected clock and only changes when `status` changes, so
 * identical reconciles produce identical status (no flapping, no needless status writes).
 */
import type { FieldProblem } from './errors.js';
import type { Condition, ConditionStatus } from './staticGatewayConfiguration.js';

/** The condition type egret maintains. */
export const READY_CONDITION = 'Ready';

/** Every `reason` egret writes on the Ready condition. */
export const READY_REASONS = [
  /** Azure matches the spec; egressIpPrefix, ip and port are set. */
  'Reconciled',
  /** Writes are planned or in flight; the next reconcile will tell. */
  'Reconciling',
  /** The spec breaks a rule; the message names the fields. Not retried until the spec changes. */
  'InvalidSpec',
  /** The gateway VMSS / nodepool / VMs / NICs were not found. */
  'PoolNotFound',
  /** The bring-your-own public IP prefix does not exist. */
  'PrefixNotFound',
  /** The public IP prefix has another length than the pool asks for. */
  'PrefixSizeMismatch',
  /** All 1000 ports 6000–6999 of the gateway pool are taken. */
  'PortsExhausted',
  /** Another egret resource is in the way (e.g. a public IP of the same name from another prefix). */
  'Conflict',
  /** Azure refused or failed a write; retried with backoff. */
  'AzureError',
  /** The configuration is being deleted; Azure resources are being removed. */
  'Deleting',
  /** Deletion finished: nothing of this configuration is left in Azure; the finalizer may go. */
  'Finalized',
] as const;
/** A reason of the Ready condition. */
export type ReadyReason = (typeof READY_REASONS)[number];

/**
 * The condition type that carries warnings about an accepted spec: present, `status: True`, reason
 * `AcceptedWithWarnings`, only while the current spec has warnings (validateStaticGatewayConfiguration.ts:
 * what kube-egress-gateway accepts and egret serves, but risky or handled differently than asked).
 */
export const ACCEPTED_CONDITION = 'Accepted';
/** The reason of the {@link ACCEPTED_CONDITION} condition. */
export const ACCEPTED_WITH_WARNINGS = 'AcceptedWithWarnings';

/** A condition before it is stamped with a transition time. */
export interface ConditionDraft {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: ReadyReason | typeof ACCEPTED_WITH_WARNINGS;
  readonly message: string;
  readonly observedGeneration?: number;
}

/** Kubernetes caps condition messages at 32768 characters. */
const MAX_MESSAGE = 32768;

/** Options of {@link readyCondition}. */
export interface ReadyConditionOptions {
  readonly status: ConditionStatus;
  readonly reason: ReadyReason;
  readonly message: string;
  readonly generation?: number;
}

/** A Ready condition draft. */
export function readyCondition(options: ReadyConditionOptions): ConditionDraft {
  return {
    type: READY_CONDITION,
    status: options.status,
    reason: options.reason,
    message: truncate(options.message),
    ...(options.generation === undefined ? {} : { observedGeneration: options.generation }),
  };
}

/**
 * `Ready=False`, reason `InvalidSpec`, the message naming every field and what is wrong with it,
 * e.g. `spec.excludeCidrs[1]: "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?`.
 */
export function invalidSpecCondition(
  problems: readonly FieldProblem[],
  options: { readonly generation?: number },
): ConditionDraft {
  const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return readyCondition({
    status: 'False',
    reason: 'InvalidSpec',
    message: message === '' ? 'the spec is invalid' : message,
    ...(options.generation === undefined ? {} : { generation: options.generation }),
  });
}

/**
 * `Accepted=True`, reason `AcceptedWithWarnings`, the message naming every field warned about;
 * undefined when there is no warning (the condition is then left out of the status).
 */
export function acceptedWithWarningsCondition(
  warnings: readonly FieldProblem[],
  options: { readonly generation?: number },
): ConditionDraft | undefined {
  if (warnings.length === 0) return undefined;
  return {
    type: ACCEPTED_CONDITION,
    status: 'True',
    reason: ACCEPTED_WITH_WARNINGS,
    message: truncate(warnings.map((w) => `${w.field}: ${w.message}`).join('; ')),
    ...(options.generation === undefined ? {} : { observedGeneration: options.generation }),
  };
}

/**
 * Stamps drafts into conditions: a condition whose type existed with the same `status` keeps its
 * `lastTransitionTime`; otherwise it gets `now` (an RFC 3339 string from the injected clock).
 * Output is sorted by type.
 */
export function stampConditions(
  previous: readonly Condition[] | undefined,
  drafts: readonly ConditionDraft[],
  now: string,
): readonly Condition[] {
  return [...drafts]
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
    .map((draft) => {
      const before = previous?.find((c) => c.type === draft.type);
      const lastTransitionTime =
        before !== undefined && before.status === draft.status ? before.lastTransitionTime : now;
      return { ...draft, lastTransitionTime };
    });
}

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`;
}
