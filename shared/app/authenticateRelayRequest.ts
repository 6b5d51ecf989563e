/**
 * Authentication of the relay's requests (`relayEvents`, `relayStatus`): the HMAC scheme of
 * shared/core/relaySignature.ts with the shared secret (`RELAY_SHARED_SECRET`), checked against the
 * injected clock. Every refusal is a 401 to the caller; the reason goes to the log only.
 */
import type { HmacSha256Hex, Verification } from '../core/relaySignature.js';
import { verifyRelayRequest } from '../core/relaySignature.js';
import type { Clock } from '../ports/clock.js';

/** What verifying a relay request needs. */
export interface RelayAuth {
  readonly secret: string;
  readonly hmac: HmacSha256Hex;
  readonly clock: Clock;
}

/** A relay request as received: header values (undefined when absent) and the raw body. */
export interface SignedRequest {
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  /** Exactly as received (the empty string for a GET). */
  readonly rawBody: string;
}

/** Verifies a relay request's signature and freshness (5-minute window). */
export function authenticateRelayRequest(auth: RelayAuth, request: SignedRequest): Verification {
  return verifyRelayRequest({
    secret: auth.secret,
    timestamp: request.timestamp,
    signature: request.signature,
    body: request.rawBody,
    nowSeconds: Math.floor(auth.clock.nowMs() / 1000),
    hmac: auth.hmac,
  });
}
