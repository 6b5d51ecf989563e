/**
 * HTTP handlers of the relay's two endpoints (contracts: shared/app/acceptRelayEvents.ts,
 * shared/app/readRelayStatus.ts, shared/core/relayContract.ts):
 * - `POST /api/relay/events` → 200 `{"accepted": n, "outcomes": {...}, "deletedBySync": n, "pools": [...]}`,
 *   401 `{"error": "unauthorized"}`, 400 `{"error": "invalid request", "problems": [{field, message}]}`,
 *   503 + Retry-After when state storage is unavailable (the relay retries; replays are harmless).
 * - `GET /api/relay/status?clusterId=…` → 200 `{"items": [...]}`, 401, 400.
 * Both are `anonymous` at the Functions level: the HMAC signature is the authentication.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { acceptRelayEvents, type AcceptRelayEventsDeps } from '../../shared/app/acceptRelayEvents.js';
import { readRelayStatus, type ReadRelayStatusDeps } from '../../shared/app/readRelayStatus.js';
import { RELAY_SIGNATURE_HEADER, RELAY_TIMESTAMP_HEADER } from '../../shared/core/wellKnown.js';
import { answering, invocationLogger, invocationSignal, json } from './invocation.js';

type Deps<T> = () => Omit<T, 'logger'>;

function signedParts(req: HttpRequest): { timestamp: string | undefined; signature: string | undefined } {
  return {
    timestamp: req.headers.get(RELAY_TIMESTAMP_HEADER) ?? undefined,
    signature: req.headers.get(RELAY_SIGNATURE_HEADER) ?? undefined,
  };
}

/** The relayEvents handler over the worker's dependencies. */
export function createRelayEventsHandler(deps: Deps<AcceptRelayEventsDeps>) {
  return (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> =>
    answering(async () => {
      const rawBody = await req.text();
      const result = await acceptRelayEvents(
        { ...deps(), logger: invocationLogger(ctx) },
        { ...signedParts(req), rawBody },
        invocationSignal(),
      );
      switch (result.kind) {
        case 'unauthorized':
          return json(401, { error: 'unauthorized' });
        case 'invalid':
          return json(400, { error: 'invalid request', problems: result.problems });
        case 'accepted': {
          const accepted = Object.values(result.outcomes).reduce((a, b) => a + b, 0);
          return json(200, {
            accepted,
            outcomes: result.outcomes,
            deletedBySync: result.deletedBySync,
            pools: result.pools,
          });
        }
      }
    });
}

/** The relayStatus handler over the worker's dependencies. */
export function createRelayStatusHandler(deps: Deps<ReadRelayStatusDeps>) {
  return (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> =>
    answering(async () => {
      // A GET carries no body: the signature covers the empty string (what the relay signs).
      const result = await readRelayStatus(
        { ...deps(), logger: invocationLogger(ctx) },
        { ...signedParts(req), rawBody: '', clusterId: req.query.get('clusterId') ?? undefined },
        invocationSignal(),
      );
      switch (result.kind) {
        case 'unauthorized':
          return json(401, { error: 'unauthorized' });
        case 'invalid':
          return json(400, { error: 'invalid request', problems: result.problems });
        case 'ok':
          return json(200, result.body);
      }
    });
}
