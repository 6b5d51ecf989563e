/**
 * What the relay writes to a configuration's status, and the smallest JSON merge patch (RFC 7386)
 * that gets it there (pure).
 *
 * Ownership: the control plane owns every status field it reports (`observedGeneration`, `conditions`,
 * `egressIpPrefix`, `gatewayServerProfile.ip/port`, `gatewayVMProfiles`); the relay owns
 * `gatewayServerProfile.publicKey` and `privateKeySecretRef` (the key never leaves the cluster). Until
 * the control plane has reported on a configuration, the fields it owns are left as they are, so a
 * restarted relay does not blank a status it has not heard about yet.
 */
import { checkJsonSchema } from '../../shared/core/jsonSchema.js';
import type { FieldProblem } from '../../shared/core/errors.js';
import { STATIC_GATEWAY_CONFIGURATION_STATUS_SCHEMA } from '../../shared/core/staticGatewayConfigurationSchema.js';
import type {
  GatewayServerProfile,
  StaticGatewayConfigurationStatus,
} from '../../shared/core/staticGatewayConfiguration.js';

/** The key fields the relay sets: the public key and where the private key is. */
export interface KeyStatus {
  readonly publicKey: string;
  readonly secretName: string;
  readonly secretNamespace: string;
}

/** Inputs of {@link desiredStatus}. */
export interface StatusInputs {
  /** The status on the custom resource now. */
  readonly current: StaticGatewayConfigurationStatus | undefined;
  /** The control plane's status for this uid (already normalised), if it reported one. */
  readonly reported: StaticGatewayConfigurationStatus | undefined;
  /** The key Secret's public key and name, once ensured. */
  readonly key: KeyStatus | undefined;
}

/** The status the custom resource should have. */
export function desiredStatus(inputs: StatusInputs): StaticGatewayConfigurationStatus {
  const source = inputs.reported ?? inputs.current ?? {};
  const { gatewayServerProfile: reportedProfile, ...controlPlaneFields } = source;
  const {
    publicKey: _ignoredKey,
    privateKeySecretRef: _ignoredRef,
    ...controlPlaneProfile
  } = reportedProfile ?? {};
  const current = inputs.current?.gatewayServerProfile;
  const keyFields: Pick<GatewayServerProfile, 'publicKey' | 'privateKeySecretRef'> =
    inputs.key === undefined
      ? {
          ...(current?.publicKey === undefined ? {} : { publicKey: current.publicKey }),
          ...(current?.privateKeySecretRef === undefined
            ? {}
            : { privateKeySecretRef: current.privateKeySecretRef }),
        }
      : {
          publicKey: inputs.key.publicKey,
          privateKeySecretRef: {
            apiVersion: 'v1',
            kind: 'Secret',
            name: inputs.key.secretName,
            namespace: inputs.key.secretNamespace,
          },
        };
  const profile: GatewayServerProfile = { ...controlPlaneProfile, ...keyFields };
  return {
    ...controlPlaneFields,
    ...(Object.keys(profile).length === 0 ? {} : { gatewayServerProfile: profile }),
  };
}

/**
 * The control plane's reported status, checked against the CRD's status schema: unknown fields are
 * pruned (as the API server would, so the relay never patches a field that cannot stick and then
 * patches it again forever); a value of the wrong type is a problem.
 */
export function normalizeReportedStatus(
  raw: unknown,
):
  | { readonly kind: 'ok'; readonly status: StaticGatewayConfigurationStatus }
  | { readonly kind: 'invalid'; readonly problems: readonly FieldProblem[] } {
  const checked = checkJsonSchema(raw, STATIC_GATEWAY_CONFIGURATION_STATUS_SCHEMA, 'status');
  if (checked.problems.length > 0) return { kind: 'invalid', problems: checked.problems };
  return { kind: 'ok', status: checked.value as StaticGatewayConfigurationStatus };
}

/**
 * The merge patch of the status subresource (`{"status": {...}}`) that turns `current` into `desired`,
 * or undefined when they are equal: the relay writes status only when it changed.
 */
export function statusMergePatch(
  current: StaticGatewayConfigurationStatus | undefined,
  desired: StaticGatewayConfigurationStatus,
): { readonly status: unknown } | undefined {
  const patch = createMergePatch(current ?? {}, desired);
  return patch === undefined ? undefined : { status: patch };
}

/**
 * RFC 7386: the patch that turns `from` into `to`, or undefined when they are equal. Objects are
 * patched member by member (a member missing from `to` becomes null); anything else, lists included,
 * is replaced whole.
 */
export function createMergePatch(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return jsonEqual(from, to) ? undefined : to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) {
    if (from[key] !== undefined && to[key] === undefined) patch[key] = null;
  }
  for (const key of Object.keys(to)) {
    if (to[key] === undefined) continue;
    const sub = from[key] === undefined ? to[key] : createMergePatch(from[key], to[key]);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/** Structural equality of JSON values (member order does not matter, list order does). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
    );
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
  return keysA.length === keysB.length && keysA.every((k) => jsonEqual(a[k], b[k]));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
