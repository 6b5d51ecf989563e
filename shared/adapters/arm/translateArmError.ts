/**
 * ARM SDK errors → egret's taxonomy, at the adapter edge (shared/ports/armWriter.ts states the contract).
 *
 * Two shapes reach us from @azure/arm-compute / @azure/arm-network:
 * - `RestError` (`statusCode`, `code` = ARM `error.code`, `response.headers`) for a refused request,
 *   after the SDK's retry policy gave up (429 with Retry-After and 5xx are retried 3 times first);
 * - a plain `Error` "The long-running operation has failed. CODE. message" (core-lro) when an accepted
 *   operation ended `Failed`: no status, so the code is parsed out of the message.
 * Identity errors (`CredentialUnavailableError`, `AuthenticationError`) come from `getToken`; a TLS
 * verification failure (untrusted certificate) is a ConfigError: retrying cannot fix a wrong CA.
 *
 * Order of decisions: throttling/5xx/network → Transient; a user-caused code (whatever the status:
 * Compute reports quota as 409 `OperationNotAllowed`) or 401/403 → Validation ("refused");
 * 409/412 → Conflict; 404 → NotFound; "in use / moved on" codes → Conflict; other 4xx → Invariant.
 */
import {
  ConfigError,
  ConflictError,
  InvariantError,
  isEgretError,
  NotFoundError,
  TransientError,
  ValidationError,
} from '../../core/errors.js';

/**
 * Codes that mean Azure cannot do it until a person changes something (subnet size, prefix size, quota,
 * permissions, a parameter): retrying at once cannot help.
 */
export const REFUSED_CODES: ReadonlySet<string> = new Set(
  [
    'SubnetIsFull',
    'PublicIpPrefixOutOfIpAddresses',
    'PublicIpPrefixOutOfIpAddressesForVMScaleSet',
    'IpConfigurationCountLimitReachedForNic',
    'PrivateIPAddressNotInSubnet',
    'PrivateIPAddressInReservedRange',
    'PrivateIPAddressIsAllocated',
    'InvalidPublicIpPrefixLength',
    'InvalidParameter',
    'QuotaExceeded',
    'OperationNotAllowed',
    'PublicIPCountLimitReached',
    'PublicIpPrefixCountLimitReached',
    'PublicIPPrefixCountLimitReached',
    'AuthorizationFailed',
    'LinkedAuthorizationFailed',
    'InvalidAuthenticationToken',
    'AuthenticationFailed',
    'SkuNotAvailable',
  ].map((c) => c.toLowerCase()),
);

/**
 * Codes that mean Azure's state moved on since it was observed (something still in use, a referenced
 * resource not there yet, another operation running): re-observe and re-plan.
 */
export const CONFLICT_CODES: ReadonlySet<string> = new Set(
  [
    'Conflict',
    'PreconditionFailed',
    'AnotherOperationInProgress',
    'InUsePublicIpPrefixCannotBeDeleted',
    'PublicIPAddressCannotBeDeleted',
    'PublicIPAddressInUse',
    'NicInUse',
    'LoadBalancerBackendAddressPoolInUse',
    'InUseSubnetCannotBeDeleted',
    'InvalidResourceReference',
    'ReferencedResourceNotProvisioned',
    'RetryableError',
  ].map((c) => c.toLowerCase()),
);

/** Platform codes of a failed operation that a later retry usually gets past. */
const TRANSIENT_LRO_CODES: ReadonlySet<string> = new Set(
  [
    'InternalServerError',
    'InternalError',
    'AllocationFailed',
    'ZonalAllocationFailed',
    'OperationPreempted',
    'ServerTimeout',
    'GatewayTimeout',
    'TooManyRequests',
  ].map((c) => c.toLowerCase()),
);

const LRO_FAILURE = /^The long-running operation has failed(?:\. ([^\s.]+)\. ([\s\S]*))?$/;
const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
]);
/** TLS verification failures: a wrong ARM_ENDPOINT or ARM_CA_CERT_PATH (or an intercepting proxy), not an outage. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const IDENTITY_ERRORS = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);

interface RestErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly statusCode?: number;
  readonly code?: string;
  readonly response?: { readonly headers?: { get(name: string): string | undefined } };
}

/** What the translation is about, for the message: e.g. `{ action: 'PUT', resourceId }`. */
export interface ArmErrorContext {
  readonly action: string;
  readonly resourceId: string;
}

/** Converts anything an ARM SDK call threw. egret errors and aborts pass through unchanged. */
export function translateArmError(e: unknown, context: ArmErrorContext): Error {
  if (isEgretError(e)) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as RestErrorLike;
  if (err.name === 'AbortError') return e as Error;
  const what = `${context.action} ${context.resourceId}`;
  const rawMessage = err.message ?? String(e);

  if (err.name !== undefined && IDENTITY_ERRORS.has(err.name)) {
    return new TransientError(`${what}: cannot get an ARM token: ${rawMessage}`, {
      cause: e,
      detail: err.name,
    });
  }

  const lro = err.statusCode === undefined ? LRO_FAILURE.exec(rawMessage) : null;
  if (lro !== null) return translateLroFailure(e, what, lro[1], lro[2] ?? rawMessage);

  const status = err.statusCode;
  const code = err.code;
  const lower = code?.toLowerCase() ?? '';
  const message = `${what}: ${code === undefined ? '' : `${code}: `}${rawMessage}`;
  const options = { cause: e, ...(code === undefined ? {} : { detail: code }) };

  if (status === undefined || status === 0) {
    // No HTTP answer: a TLS refusal, a network failure (after the SDK's retries) or something unexpected.
    if (code !== undefined && TLS_CODES.has(code))
      return new ConfigError(
        `${message} (the ARM endpoint's certificate is not trusted: check ARM_ENDPOINT and ARM_CA_CERT_PATH)`,
        options,
      );
    if (err.name === 'RestError' || (code !== undefined && NETWORK_CODES.has(code)))
      return new TransientError(message, options);
    return new InvariantError(message, options);
  }
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = retryAfterOf(err);
    return new TransientError(message, {
      ...options,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (REFUSED_CODES.has(lower) || status === 401 || status === 403) return refused(e, what, code, rawMessage);
  if (status === 409 || status === 412) return new ConflictError(message, options);
  if (status === 404) return new NotFoundError(message, options);
  if (CONFLICT_CODES.has(lower)) return new ConflictError(message, options);
  return new InvariantError(message, options);
}

/** True when the error says the resource does not exist (a 404 from the SDK). */
export function isArmNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as RestErrorLike).statusCode === 404;
}

function translateLroFailure(e: unknown, what: string, code: string | undefined, text: string): Error {
  const lower = code?.toLowerCase() ?? '';
  const message = `${what}: the operation failed${code === undefined ? '' : `: ${code}`}: ${text}`;
  const options = { cause: e, ...(code === undefined ? {} : { detail: code }) };
  if (REFUSED_CODES.has(lower)) return refused(e, what, code, text);
  if (CONFLICT_CODES.has(lower)) return new ConflictError(message, options);
  if (TRANSIENT_LRO_CODES.has(lower) || code === undefined) return new TransientError(message, options);
  // An unknown failure code: the resource is left `Failed`; the next plan re-PUTs it (upstream #981),
  // so treat it as worth retrying rather than as a bug.
  return new TransientError(message, options);
}

function refused(e: unknown, what: string, code: string | undefined, text: string): ValidationError {
  return new ValidationError(
    [{ field: what, message: `Azure refused${code === undefined ? '' : ` (${code})`}: ${text}` }],
    {
      cause: e,
      ...(code === undefined ? {} : { detail: code }),
    },
  );
}

/** Retry-After (seconds or an HTTP date), `retry-after-ms` or `x-ms-retry-after-ms`, in ms. */
function retryAfterOf(err: RestErrorLike): number | undefined {
  const headers = err.response?.headers;
  if (headers === undefined) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = Number(headers.get(name));
    if (headers.get(name) !== undefined && Number.isFinite(v) && v >= 0) return v;
  }
  const raw = headers.get('retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
