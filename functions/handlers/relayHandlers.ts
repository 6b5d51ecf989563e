/**
 * HTTP handlers of the relay's two endpoints (contracts: shared/app/acceptRelayEvents.ts,
 * shared/app/readRelayStatus.ts, shared/core/relayContract.ts, shared/core/relaySignature.ts):
 * - `POST /api/relay/events` → 200 `{"accepted": n, "outcomes": {...}, "deletedBySync": n, "pools": [...],
 *   "rejected": [{index, field, message}]}`, 401 `{"error": "unauthorized"}`, 413 for a body over
 *   4 MiB (checked before it is read), 400 `{"error": "invalid request", "problems": [{field, message}]}`,
 *   503 + Retry-After when state storage is unavailable (the relay retries; replays are harmless).
 * - `GET /api/relay/status?clusterId=…` → 200 `{"items": [...]}`, 401, 400.
 * Both are `anonymous` at the Functions level: the HMAC signature is the authentication, checked over
 * the raw bytes before the body is decoded or parsed. Refusals are logged at a bounded rate.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { systemClock } from '../../shared/adapters/system/systemClock.js';
import { acceptRelayEvents, type AcceptRelayEventsDeps } from '../../shared/app/acceptRelayEvents.js';
import type { SignedRequest } from '../../shared/app/authenticateRelayRequest.js';
import { readRelayStatus, type ReadRelayStatusDeps } from '../../shared/app/readRelayStatus.js';
import { createRejectionLog } from '../../shared/app/rejectionLog.js';
import { MAX_RELAY_BODY_BYTES } from '../../shared/core/relayContract.js';
import {
  RELAY_CLUSTER_HEADER,
  RELAY_NONCE_HEADER,
  RELAY_SIGNATURE_HEADER,
  RELAY_TIMESTAMP_HEADER,
} from '../../shared/core/wellKnown.js';
import { answering, invocationLogger, invocationSignal, json } from './invocation.js';
import { readRequestBody } from './readRequestBody.js';

type Deps<T> = () => Omit<T, 'logger'>;

/** One per worker: refusals are warnings only up to a rate. */
export const refusals = createRejectionLog({ clock: systemClock });

function signedRequest(req: HttpRequest, body: Uint8Array): SignedRequest {
  const header = (name: string): string | undefined => req.headers.get(name) ?? undefined;
  const url = new URL(req.url);
  return {
    headers: {
      clusterId: header(RELAY_CLUSTER_HEADER),
      timestamp: header(RELAY_TIMESTAMP_HEADER),
      nonce: header(RELAY_NONCE_HEADER),
      signature: header(RELAY_SIGNATURE_HEADER),
    },
    target: { method: req.method, path: url.pathname, query: url.search.replace(/^\?/, '') },
    body,
  };
}

/** The relayEvents handler over the worker's dependencies. */
export function createRelayEventsHandler(deps: Deps<AcceptRelayEventsDeps>) {
  return (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> =>
    answering(async () => {
      const logger = invocationLogger(ctx);
      const body = await readRequestBody(req, MAX_RELAY_BODY_BYTES);
      if (body.kind === 'too-large') {
        refusals(logger, 'relayEvents: body too large', { limit: MAX_RELAY_BODY_BYTES });
        return json(413, {
          error: 'request body too large',
          problems: [{ field: 'body', message: `must be at most ${MAX_RELAY_BODY_BYTES} bytes` }],
        });
      }
      const result = await acceptRelayEvents(
        { ...deps(), logger },
        signedRequest(req, body.bytes),
        invocationSignal(),
      );
      switch (result.kind) {
        case 'unauthorized':
          refusals(logger, 'relayEvents: request refused', { reason: result.reason });
          return json(401, { error: 'unauthorized' });
        case 'invalid':
          refusals(logger, 'relayEvents: invalid request', { problems: result.problems.slice(0, 5) });
          return json(400, { error: 'invalid request', problems: result.problems });
        case 'accepted': {
          const accepted = Object.values(result.outcomes).reduce((a, b) => a + b, 0);
          return json(200, {
            accepted,
            outcomes: result.outcomes,
            deletedBySync: result.deletedBySync,
            pools: result.pools,
            rejected: result.rejected,
          });
        }
      }
    });
}

/** The relayStatus handler over the worker's dependencies. */
export function createRelayStatusHandler(deps: Deps<ReadRelayStatusDeps>) {
  return (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> =>
    answering(async () => {
      const logger = invocationLogger(ctx);
      // A GET carries no body: the signature covers the empty body (what the relay signs).
      const result = await readRelayStatus(
        { ...deps(), logger },
        { ...signedRequest(req, new Uint8Array(0)), clusterId: req.query.get('clusterId') ?? undefined },
        invocationSignal(),
      );
      switch (result.kind) {
        case 'unauthorized':
          refusals(logger, 'relayStatus: request refused', { reason: result.reason });
          return json(401, { error: 'unauthorized' });
        case 'invalid':
          refusals(logger, 'relayStatus: invalid request', { problems: result.problems });
          return json(400, { error: 'invalid request', problems: result.problems });
        case 'ok':
          return json(200, result.body);
      }
    });
}
