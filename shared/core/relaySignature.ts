/**
 * Signing and verifying relay ↔ control-plane requests, one module for both sides.
 *
 * Scheme: headers `X-Egret-Timestamp: <Unix seconds>` and
 * `X-Egret-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`. The verifier
 * refuses timestamps more than 5 minutes from its clock (replay window) and compares in constant time.
 * The HMAC itself is injected (node:crypto in the adapters), keeping this module pure.
 */
import {
  RELAY_SIGNATURE_HEADER,
  RELAY_SIGNATURE_WINDOW_SECONDS,
  RELAY_TIMESTAMP_HEADER,
} from './wellKnown.js';

/** HMAC-SHA256 of `message` (UTF-8) with `secret` (UTF-8), as lower-case hex. */
export type HmacSha256Hex = (secret: string, message: string) => string;

/** Options of {@link signRelayRequest}. */
export interface SignOptions {
  readonly secret: string;
  /** The raw body exactly as sent (the empty string for a GET). */
  readonly body: string;
  /** Unix time in seconds, from the injected clock. */
  readonly nowSeconds: number;
  readonly hmac: HmacSha256Hex;
}

/** The two headers to send. */
export function signRelayRequest(options: SignOptions): Readonly<Record<string, string>> {
  const timestamp = String(Math.floor(options.nowSeconds));
  return {
    [RELAY_TIMESTAMP_HEADER]: timestamp,
    [RELAY_SIGNATURE_HEADER]: `sha256=${options.hmac(options.secret, `${timestamp}.${options.body}`)}`,
  };
}

/** Options of {@link verifyRelayRequest}. */
export interface VerifyOptions {
  readonly secret: string;
  /** Header values as received (undefined when absent). */
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly body: string;
  readonly nowSeconds: number;
  readonly hmac: HmacSha256Hex;
  /** Defaults to 300 s. */
  readonly windowSeconds?: number;
}

/** Why a request was refused (all map to HTTP 401; the reason is for logs, not for the caller). */
export type Verification =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'rejected';
      readonly reason: 'missing-header' | 'bad-timestamp' | 'stale' | 'bad-signature';
      readonly message: string;
    };

/** Checks a request's signature and freshness. */
export function verifyRelayRequest(options: VerifyOptions): Verification {
  const { timestamp, signature } = options;
  if (timestamp === undefined || signature === undefined) {
    return {
      kind: 'rejected',
      reason: 'missing-header',
      message: `${RELAY_TIMESTAMP_HEADER} and ${RELAY_SIGNATURE_HEADER} are required`,
    };
  }
  if (!/^[0-9]{1,12}$/.test(timestamp)) {
    return {
      kind: 'rejected',
      reason: 'bad-timestamp',
      message: `${RELAY_TIMESTAMP_HEADER} must be Unix seconds`,
    };
  }
  const window = options.windowSeconds ?? RELAY_SIGNATURE_WINDOW_SECONDS;
  if (Math.abs(options.nowSeconds - Number(timestamp)) > window) {
    return {
      kind: 'rejected',
      reason: 'stale',
      message: `timestamp is more than ${window} s from the server clock`,
    };
  }
  const expected = `sha256=${options.hmac(options.secret, `${timestamp}.${options.body}`)}`;
  if (!constantTimeEqual(signature.trim().toLowerCase(), expected)) {
    return { kind: 'rejected', reason: 'bad-signature', message: 'signature does not match' };
  }
  return { kind: 'ok' };
}

/** Compares two strings without an early exit on the first difference. */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
