/**
 * Authentication of the relay's requests (`relayEvents`, `relayStatus`): the HMAC scheme of
 * shared/core/relaySignature.ts, with the secret of the cluster the request names (one per cluster, or
 * the shared `RELAY_SHARED_SECRET`), checked against the injected clock, BEFORE the body is decoded.
 * An accepted signature is remembered (the event-dedupe table, with an expiry past the ±300 s window),
 * so an exact replay is refused. Every refusal is a 401 to the caller; the reason goes to the log only.
 */
import type { RelayCrypto, RelayRequestTarget, SignedHeaders, Verification } from '../core/relaySignature.js';
import { verifyRelayRequest } from '../core/relaySignature.js';
import { RELAY_SIGNATURE_WINDOW_SECONDS } from '../core/wellKnown.js';
import type { Clock } from '../ports/clock.js';
import type { EventDedupeStore } from '../ports/stateStore.js';

/** What verifying a relay request needs. */
export interface RelayAuth {
  /** The secret of a cluster (its own, or the shared one), undefined when it has none. */
  readonly secretOf: (clusterId: string) => string | undefined;
  readonly crypto: RelayCrypto;
  readonly clock: Clock;
}

/** A relay request as received: the signed headers, what it was sent to, and the raw body bytes. */
export interface SignedRequest {
  readonly headers: SignedHeaders;
  readonly target: Omit<RelayRequestTarget, 'clusterId'>;
  /** Exactly as received (empty for a GET). */
  readonly body: Uint8Array;
}

/** How long an accepted signature is remembered: beyond the window on both sides of the clock. */
export const SIGNATURE_MEMORY_MS = 2 * RELAY_SIGNATURE_WINDOW_SECONDS * 1000 + 60_000;

/** Verifies a relay request's signature and freshness (5-minute window), and that it is no replay. */
export async function authenticateRelayRequest(
  deps: { readonly relay: RelayAuth; readonly state: Pick<EventDedupeStore, 'markEventProcessed'> },
  request: SignedRequest,
  signal: AbortSignal,
): Promise<Verification> {
  const v = verifyRelayRequest({
    secretOf: deps.relay.secretOf,
    headers: request.headers,
    target: request.target,
    body: request.body,
    nowSeconds: Math.floor(deps.relay.clock.nowMs() / 1000),
    crypto: deps.relay.crypto,
  });
  if (v.kind === 'rejected') return v;
  const first = await deps.state.markEventProcessed(
    { eventId: `relay-signature:${v.signature}`, ttlMs: SIGNATURE_MEMORY_MS },
    signal,
  );
  return first
    ? v
    : { kind: 'rejected', reason: 'replayed', message: 'this signed request was already received' };
}
