/**
 * What every handler does around its use case: a logger that writes to the invocation's log (so lines
 * carry the invocation id in Application Insights), a deadline, and the translation of egret's errors
 * to HTTP answers (400 for a ValidationError naming its fields, 503 + Retry-After for a TransientError;
 * anything else is rethrown and becomes the host's 500).
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { createLineLogger } from '../../shared/adapters/system/createLineLogger.js';
import { TransientError, ValidationError } from '../../shared/core/errors.js';
import type { Logger } from '../../shared/ports/logger.js';

/** Longest a handler works before its signal aborts (below the Functions timeout of 10 minutes). */
export const INVOCATION_DEADLINE_MS = 9 * 60 * 1000;

/** A logger over the invocation's log methods. */
export function invocationLogger(ctx: InvocationContext): Logger {
  return createLineLogger(
    {
      debug: (l) => ctx.debug(l),
      info: (l) => ctx.info(l),
      warn: (l) => ctx.warn(l),
      error: (l) => ctx.error(l),
    },
    { function: ctx.functionName, invocationId: ctx.invocationId },
  );
}

/** The invocation's abort signal. */
export function invocationSignal(): AbortSignal {
  return AbortSignal.timeout(INVOCATION_DEADLINE_MS);
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store', ...headers } };
}

/** Runs an HTTP handler body, answering egret's client and transient errors instead of throwing. */
export async function answering(run: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof ValidationError) return json(400, { error: 'invalid request', problems: e.problems });
    if (e instanceof TransientError)
      return json(
        503,
        { error: 'temporarily unavailable', detail: e.message },
        { 'retry-after': String(Math.max(1, Math.ceil((e.retryAfterMs ?? 5000) / 1000))) },
      );
    throw e;
  }
}
