/** Signed relay requests for the use cases and handlers, as the relay signs them (relaySignature.ts). */
import { relayCrypto, signRelayHttpRequest } from '../../shared/adapters/system/hmacSha256Hex.js';
import type { RelayAuth, SignedRequest } from '../../shared/app/authenticateRelayRequest.js';
import type { Clock } from '../../shared/ports/clock.js';

/** Relay authentication with one shared secret (and optional per-cluster ones). */
export function relayAuth(
  secret: string,
  clock: Clock,
  byCluster: Readonly<Record<string, string>> = {},
): RelayAuth {
  return { secretOf: (c) => byCluster[c] ?? secret, crypto: relayCrypto, clock };
}

/** A use-case request signed for `clusterId` (the body's clusterId when not given). */
export function signedRelayRequest(options: {
  readonly secret: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body: string;
  readonly nowSeconds: number;
  readonly clusterId?: string;
  readonly nonce?: string;
}): SignedRequest {
  const clusterId = options.clusterId ?? clusterOfBody(options.body);
  const h = signRelayHttpRequest({ ...options, clusterId });
  const url = new URL(options.url, 'http://relay.invalid');
  return {
    headers: {
      clusterId: h['X-Egret-Cluster'],
      timestamp: h['X-Egret-Timestamp'],
      nonce: h['X-Egret-Nonce'],
      signature: h['X-Egret-Signature'],
    },
    target: { method: options.method, path: url.pathname, query: url.search.replace(/^\?/, '') },
    body: new TextEncoder().encode(options.body),
  };
}

function clusterOfBody(body: string): string {
  try {
    const c = (JSON.parse(body) as { clusterId?: unknown }).clusterId;
    return typeof c === 'string' ? c : 'unknown';
  } catch {
    return 'unknown';
  }
}
