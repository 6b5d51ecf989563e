/**
 * The cryptography shared/core/relaySignature.ts leaves to the caller, over node:crypto: HMAC-SHA256
 * and SHA-256 as lower-case hex, and a constant-time comparison (crypto.timingSafeEqual).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { signRelayRequest, type HmacSha256Hex, type RelayCrypto } from '../../core/relaySignature.js';

/** `HMAC-SHA256(secret, message)` as lower-case hex. */
export const hmacSha256Hex: HmacSha256Hex = (secret, message) =>
  createHmac('sha256', secret).update(message, 'utf8').digest('hex');

/** The relay signature's cryptography over node:crypto. */
export const relayCrypto: RelayCrypto = {
  hmacSha256Hex,
  sha256Hex: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  equal: (a, b) => {
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    // timingSafeEqual needs equal lengths; compare y with itself so both paths cost the same.
    return x.length === y.length ? timingSafeEqual(x, y) : !timingSafeEqual(y, y);
  },
};

/** A fresh request nonce (128 random bits, base64url). */
export function newRelayNonce(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The signed headers of a relay request to `url` (what the relay sends): for tests, the sandbox's
 * client and the fuzzer. A fresh nonce each call unless one is given.
 */
export function signRelayHttpRequest(options: {
  readonly secret: string;
  readonly clusterId: string;
  readonly method: 'GET' | 'POST';
  /** The full URL, or a path with its query (`/api/relay/status?clusterId=…`). */
  readonly url: string;
  readonly body: string | Uint8Array;
  readonly nowSeconds: number;
  readonly nonce?: string;
}): Readonly<Record<string, string>> {
  const url = new URL(options.url, 'http://relay.invalid');
  return signRelayRequest({
    secret: options.secret,
    target: {
      method: options.method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      clusterId: options.clusterId,
    },
    body: options.body,
    nowSeconds: options.nowSeconds,
    nonce: options.nonce ?? newRelayNonce(),
    crypto: relayCrypto,
  });
}
