/**
 * Storage (Tables, Queues) SDK errors → egret's taxonomy, at the adapter edge:
 * 409/412 → ConflictError, 404 → NotFoundError, 429/5xx/network → TransientError (with Retry-After),
 * 400 PropertyValueTooLarge/EntityTooLarge/RequestBodyTooLarge → ValidationError, 401/403 →
 * ConfigError (the account refused the credential: a wrong key, or an identity without its data role —
 * with identity-based storage, new role assignments take minutes to apply), other 4xx →
 * InvariantError (a request egret should never send). Aborts pass through unchanged.
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

interface StorageErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: { readonly odataError?: { readonly code?: string }; readonly errorCode?: string };
  readonly response?: { readonly headers?: { get(name: string): string | undefined } };
}

/** Converts anything thrown by a storage SDK call; `what` names the operation for the message. */
export function translateStorageError(e: unknown, what: string): Error {
  if (isEgretError(e)) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as StorageErrorLike;
  if (err.name === 'AbortError') return e as Error;
  const status = err.statusCode;
  const detail = err.details?.odataError?.code ?? err.details?.errorCode ?? err.code;
  const message = `${what}: ${err.message ?? String(e)}`;
  const options = { cause: e, ...(detail === undefined ? {} : { detail }) };
  if (status === 409 || status === 412) return new ConflictError(message, options);
  if (status === 404) return new NotFoundError(message, options);
  if (status === undefined || status === 0 || status === 408 || status === 429 || status >= 500) {
    const retryAfter = err.response?.headers?.get('retry-after');
    const seconds = retryAfter === undefined ? NaN : Number(retryAfter);
    return new TransientError(message, {
      ...options,
      ...(Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {}),
    });
  }
  if (status === 401 || status === 403)
    return new ConfigError(
      `${message} (the storage account refused egret's credential: check the connection string's key, ` +
        'or that the managed identity holds Storage Table Data Contributor and Storage Queue Data ' +
        'Contributor on the account; new role assignments take a few minutes to apply)',
      options,
    );
  if (detail === 'PropertyValueTooLarge' || detail === 'EntityTooLarge' || detail === 'RequestBodyTooLarge')
    return new ValidationError([{ field: what, message: `${detail}: ${err.message ?? ''}` }], { cause: e });
  return new InvariantError(message, options);
}
