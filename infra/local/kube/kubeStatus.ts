/**
 * Kubernetes `Status` errors (k8s.io/apimachinery/pkg/api/errors): every failure the stand-in
 * returns is a `Status` object with the reason and code a real API server would use, so clients'
 * `isNotFound`/`isConflict`-style checks and their messages behave as in a cluster.
 */
import type { JsonObject } from './json.js';

/** One field problem, as in k8s.io/apimachinery/pkg/util/validation/field. */
export interface FieldError {
  /** `FieldValueRequired`, `FieldValueInvalid`, ... (metav1.CauseType). */
  readonly reason: FieldErrorReason;
  /** Dotted path such as `spec.gatewayVmssProfile.publicIpPrefixSize` or `spec.excludeCidrs[1]`. */
  readonly field: string;
  /** The message body without the field: `Required value`, `Invalid value: 40: ...`. */
  readonly message: string;
}

export type FieldErrorReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTypeInvalid';

/** A group + resource (plural), e.g. `{ group: '', resource: 'pods' }`. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly { reason?: string; message: string; field?: string }[];
  readonly retryAfterSeconds?: number;
}

/** An API error that renders as a `Status` body with an HTTP code. */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The `Status` object a real API server sends. */
  toStatus(): JsonObject {
    const s: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details !== undefined) s['details'] = JSON.parse(JSON.stringify(this.details)) as JsonObject;
    return s;
  }
}

/** `pods "x"` / `staticgatewayconfigurations.egressgateway.kubernetes.azure.com "x"`. */
function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

export function notFound(gr: GroupResource, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

export function alreadyExists(gr: GroupResource, name: string): KubeApiError {
  return new KubeApiError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** The optimistic-concurrency failure (stale `metadata.resourceVersion` or precondition). */
export function conflict(gr: GroupResource, name: string, why: string): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`,
    {
      name,
      group: gr.group,
      kind: gr.resource,
    },
  );
}

export const STALE_OBJECT =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 Invalid: `Kind.group "name" is invalid: field: message` (a list in brackets when several). */
export function invalid(
  gk: { readonly group: string; readonly kind: string },
  name: string,
  errors: readonly FieldError[],
): KubeApiError {
  const qk = gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
  const parts = errors.map((e) => `${e.field === '' ? '<nil>' : e.field}: ${e.message}`);
  const agg = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return new KubeApiError(422, 'Invalid', `${qk} "${name}" is invalid: ${agg}`, {
    name,
    group: gk.group,
    kind: gk.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

export function gone(message: string): KubeApiError {
  return new KubeApiError(410, 'Expired', message);
}

export function methodNotAllowed(message: string): KubeApiError {
  return new KubeApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ message: `${contentType} is not supported` }] },
  );
}

export function forbidden(gr: GroupResource, name: string, why: string): KubeApiError {
  return new KubeApiError(403, 'Forbidden', `${qualified(gr)} "${name}" is forbidden: ${why}`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** A route the server does not know (the real server's plain 404 body). */
export function pathNotFound(): KubeApiError {
  return new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** `field.Required` etc.: helpers that format messages as apimachinery's field errors do. */
export const fieldError = {
  required(field: string, detail = ''): FieldError {
    return {
      reason: 'FieldValueRequired',
      field,
      message: detail ? `Required value: ${detail}` : 'Required value',
    };
  },
  invalid(field: string, value: unknown, detail: string): FieldError {
    return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${showValue(value)}: ${detail}` };
  },
  notSupported(field: string, value: unknown, supported: readonly unknown[]): FieldError {
    const list = supported.map((s) => showValue(s)).join(', ');
    return {
      reason: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${showValue(value)}: supported values: ${list}`,
    };
  },
  tooLong(field: string, max: number): FieldError {
    return { reason: 'FieldValueTooLong', field, message: `Too long: may not be longer than ${max}` };
  },
  tooMany(field: string, actual: number, max: number): FieldError {
    return {
      reason: 'FieldValueTooMany',
      field,
      message: `Too many: ${actual}: must have at most ${max} items`,
    };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${showValue(value)}` };
  },
  forbidden(field: string, detail: string): FieldError {
    return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
  },
};

/** Values as Go's `%#v` shows them in field errors: strings quoted, numbers bare. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}
