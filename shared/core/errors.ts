/**
 * egret's error taxonomy (STYLE.md §7). Adapters translate SDK and HTTP errors into these at
 * the edge; the core and the use cases never see an SDK error. Every error carries a stable
 * `code` that logs, metrics and status conditions can key on.
 */

/** A stable, machine-readable error code. */
export type ErrorCode =
  'ValidationError' | 'ConflictError' | 'TransientError' | 'NotFoundError' | 'ConfigError' | 'InvariantError';

abstract class EgretError extends Error {
  abstract readonly code: ErrorCode;
  /** The upstream code (an ARM `error.code`, a Kubernetes `reason`), when there is one. */
  readonly detail: string | undefined;

  constructor(message: string, options?: { readonly cause?: unknown; readonly detail?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.detail = options?.detail;
  }
}

/** One problem with user input, located by a field path such as `spec.excludeCidrs[1]`. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** The user's fault: becomes a status condition or a 4xx, never retried. */
export class ValidationError extends EgretError {
  readonly code = 'ValidationError';
  readonly problems: readonly FieldProblem[];

  /** `detail` carries an upstream code when Azure refused a write for a user-caused reason (e.g. `SubnetIsFull`). */
  constructor(
    problems: readonly FieldProblem[],
    options?: { readonly cause?: unknown; readonly detail?: string },
  ) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; ') || 'invalid input', options);
    this.problems = problems;
  }
}

/** Someone else changed the thing first (HTTP 409/412): re-observe and try again. */
export class ConflictError extends EgretError {
  readonly code = 'ConflictError';
}

/** Worth retrying later (HTTP 429/5xx, network). `retryAfterMs` when the server said. */
export class TransientError extends EgretError {
  readonly code = 'TransientError';
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options?: { readonly cause?: unknown; readonly detail?: string; readonly retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends EgretError {
  readonly code = 'NotFoundError';
}

/** A setting is missing or has an unknown value: the app must not start. */
export class ConfigError extends EgretError {
  readonly code = 'ConfigError';
}

/** Something that cannot happen did: a bug, or Azure answered outside its contract. */
export class InvariantError extends EgretError {
  readonly code = 'InvariantError';
}

/** Ends an exhaustive `switch` over a discriminated union (STYLE.md §9). */
export function assertNever(value: never, what = 'value'): never {
  throw new InvariantError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** True for errors of egret's taxonomy. */
export function isEgretError(e: unknown): e is EgretError {
  return e instanceof EgretError;
}

/**
 * An error's message for logs, status and HTTP answers, without a stack: for egret's taxonomy with
 * the upstream code when the adapter kept one (`message (detail)`); anything else thrown as its text.
 * The one error-message helper of the cloud and the cluster code.
 */
export function errorMessage(e: unknown): string {
  if (isEgretError(e)) return e.detail === undefined ? e.message : `${e.message} (${e.detail})`;
  return e instanceof Error ? e.message : String(e);
}
