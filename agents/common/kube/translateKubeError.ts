/**
 * The agents' one translator of @kubernetes/client-node failures into egret's error taxonomy
 * (shared/core/errors.ts), used by every client-node adapter (the daemons' cluster ports and the
 * relay's). The API server's own message (a `Status` body) is kept, so a log or status names the cause:
 * - 404 → `NotFoundError`; 409 (stale resourceVersion, already exists) → `ConflictError`;
 * - 400 / 422 (schema, CEL, a bad patch) → `ValidationError` whose field is the object, message
 *   `refused by the API (HTTP <code>): <message>`;
 * - any other status, and network failures → `TransientError`;
 * - aborts and timeouts of the caller's signal pass through unchanged.
 */
import { ApiException } from '@kubernetes/client-node';
import {
  ConflictError,
  NotFoundError,
  TransientError,
  ValidationError,
} from '../../../shared/core/errors.js';

/** Maps a client-node failure to the taxonomy; `what` names the object (`Secret ns/name`) for the message. */
export function translateKubeError(e: unknown, what: string): Error {
  if (e instanceof ApiException) {
    const code = (e as ApiException<unknown>).code;
    const detail = statusMessageOf((e as ApiException<unknown>).body);
    const message = `${what}: HTTP ${code}${detail === '' ? '' : `: ${detail}`}`;
    if (code === 404) return new NotFoundError(message, { cause: e });
    if (code === 409) return new ConflictError(message, { cause: e });
    if (code === 400 || code === 422)
      return new ValidationError(
        [{ field: what, message: `refused by the API (HTTP ${code})${detail === '' ? '' : `: ${detail}`}` }],
        { cause: e },
      );
    return new TransientError(message, { cause: e });
  }
  if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError')) return e;
  return new TransientError(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** True for a client-node 404. */
export function isKubeNotFound(e: unknown): boolean {
  return e instanceof ApiException && (e as ApiException<unknown>).code === 404;
}

/** The `message` of a Kubernetes `Status` body (JSON text or parsed), else the text itself (bounded). */
function statusMessageOf(body: unknown): string {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return body.slice(0, 300);
    }
  }
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    typeof (parsed as { message?: unknown }).message === 'string'
  )
    return (parsed as { message: string }).message;
  return '';
}
