/**
 * Which Kubernetes Event a configuration's status change deserves (pure). The relay derives Events
 * from what it sees: the Ready condition it is about to write (pulled from the control plane) against
 * the one on the object, and the finalizer it removes once the control plane reports `finalized`.
 * A status written again unchanged — after a relay restart, by the other replica, on a periodic
 * re-check — is no transition and records nothing.
 *
 * | Ready becomes (or event)                     | type    | reason                 | action    |
 * |----------------------------------------------|---------|------------------------|-----------|
 * | True/Reconciled, never provisioned before    | Normal  | Provisioned            | Provision |
 * | True/Reconciled, provisioned before          | Normal  | Updated                | Update    |
 * | finalizer removed (Azure is clean)           | Normal  | Deleted                | Delete    |
 * | False/InvalidSpec                            | Warning | InvalidSpec            | Validate  |
 * | False/AzureError                             | Warning | AzureError             | Reconcile |
 * | False/PoolNotFound                           | Warning | PoolNotFound           | Reconcile |
 * | False/PrefixNotFound, PrefixSizeMismatch,    | Warning | the condition's reason | Reconcile |
 * |   PortsExhausted, Conflict                   |         |                        |           |
 * | False/Deleting (a deletion waits for Azure)  | Warning | Waiting                | Delete    |
 * | False/Reconciling, False/Finalized           | —       | (progress; no Event)   |           |
 *
 * The note is the condition's message (it names the field for InvalidSpec), cut to the 1 kB the API
 * allows. It carries no generation, so the same problem coming back is one Event with a growing series.
 */
import { READY_CONDITION, type ReadyReason } from '../../shared/core/conditions.js';
import type {
  Condition,
  StaticGatewayConfigurationStatus,
} from '../../shared/core/staticGatewayConfiguration.js';

/** An Event to record on a configuration, before correlation. */
export interface EventIntent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly action: string;
  readonly note: string;
}

/** The API's limit on `note` (events.k8s.io/v1 `NoteLengthLimit`, bytes). */
export const NOTE_LIMIT_BYTES = 1024;

/** The Event a status change deserves, or undefined. */
export function eventForStatusChange(
  before: StaticGatewayConfigurationStatus | undefined,
  after: StaticGatewayConfigurationStatus,
): EventIntent | undefined {
  const now = readyOf(after);
  if (now === undefined) return undefined;
  const was = readyOf(before);
  if (
    was !== undefined &&
    was.status === now.status &&
    was.reason === now.reason &&
    was.message === now.message &&
    before?.observedGeneration === after.observedGeneration
  )
    return undefined;
  const note = cutNote;
  const reason = now.reason as ReadyReason;
  switch (reason) {
    case 'Reconciled':
      if (now.status !== 'True') return undefined;
      return wasProvisioned(before)
        ? { type: 'Normal', reason: 'Updated', action: 'Update', note: note(now.message) }
        : { type: 'Normal', reason: 'Provisioned', action: 'Provision', note: note(now.message) };
    case 'InvalidSpec':
      return { type: 'Warning', reason, action: 'Validate', note: note(now.message) };
    case 'AzureError':
    case 'PoolNotFound':
    case 'PrefixNotFound':
    case 'PrefixSizeMismatch':
    case 'PortsExhausted':
    case 'Conflict':
      return { type: 'Warning', reason, action: 'Reconcile', note: note(now.message) };
    case 'Deleting':
      return {
        type: 'Warning',
        reason: 'Waiting',
        action: 'Delete',
        note: note(`deletion waits for the control plane: ${now.message}`),
      };
    case 'Reconciling':
    case 'Finalized':
      return undefined;
    default:
      return undefined; // a reason from a newer control plane: the status shows it
  }
}

/** The Event of a finished deletion (the relay removed the finalizer). */
export function deletedEvent(): EventIntent {
  return {
    type: 'Normal',
    reason: 'Deleted',
    action: 'Delete',
    note: 'the control plane removed every Azure resource of this configuration; finalizer removed',
  };
}

/** Cuts a note to {@link NOTE_LIMIT_BYTES} UTF-8 bytes, on a character boundary. */
export function cutNote(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= NOTE_LIMIT_BYTES) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > NOTE_LIMIT_BYTES - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}

function readyOf(status: StaticGatewayConfigurationStatus | undefined): Condition | undefined {
  return status?.conditions?.find((c) => c.type === READY_CONDITION);
}

/** Provisioned before: the status already showed an egress prefix and a gateway endpoint. */
function wasProvisioned(status: StaticGatewayConfigurationStatus | undefined): boolean {
  return (
    (status?.egressIpPrefix ?? '') !== '' &&
    status?.gatewayServerProfile?.ip !== undefined &&
    status.gatewayServerProfile.port !== undefined
  );
}
