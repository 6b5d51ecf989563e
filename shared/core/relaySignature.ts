/**
 * Signing and verifying relay ↔ control-plane requests, one module for both sides.
 *
 * Scheme (v2): the relay sends
 * - `X-Egret-Cluster: <clusterId>`: the cluster the request is for (selects the secret: one per
 *   cluster is possible);
 * - `X-Egret-Timestamp: <Unix seconds>`;
 * - `X-Egret-Nonce: <16–64 of A–Z a–z 0–9 _ ->`: unique per request;
 * - `X-Egret-Signature: sha256=<hex HMAC-SHA256(secret, string to sign)>`, where the string to sign is
 *   the lines `egret-relay-v2`, the method, the path, the canonical query (parameters sorted, each
 *   `encodeURIComponent(name)=encodeURIComponent(value)`, joined by `&`), the cluster id, the
 *   timestamp, the nonce and the lower-case hex SHA-256 of the raw body bytes, joined by `\n`.
 * So one captured signature is good for exactly one request: the same method, path, query, body and
 * cluster, within ±300 s of the verifier's clock; the verifier remembers each accepted signature for
 * longer than the window and refuses it a second time (replay).
 *
 * The body is hashed as bytes, so a verifier checks the signature before it decodes or parses
 * anything. The cryptography is injected (node:crypto in the adapters), keeping this module pure;
 * signatures are compared by the injected constant-time `equal` (crypto.timingSafeEqual).
 */
import {
  RELAY_CLUSTER_HEADER,
  RELAY_NONCE_HEADER,
  RELAY_SIGNATURE_HEADER,
  RELAY_SIGNATURE_WINDOW_SECONDS,
  RELAY_TIMESTAMP_HEADER,
} from './wellKnown.js';

/** HMAC-SHA256 of `message` (UTF-8) with `secret` (UTF-8), as lower-case hex. */
export type HmacSha256Hex = (secret: string, message: string) => string;

/** The cryptography the scheme needs (node:crypto in shared/adapters/system/relayCrypto.ts). */
export interface RelayCrypto {
  readonly hmacSha256Hex: HmacSha256Hex;
  /** SHA-256 of the bytes, lower-case hex. */
  readonly sha256Hex: (bytes: Uint8Array) => string;
  /** Constant-time string equality (false for different lengths). */
  readonly equal: (a: string, b: string) => boolean;
}

/** What a signature binds besides the body. */
export interface RelayRequestTarget {
  /** `GET`, `POST` (compared upper-case). */
  readonly method: string;
  /** The URL path, e.g. `/api/relay/status`. */
  readonly path: string;
  /** The URL's query without `?` (canonicalised before signing), '' for none. */
  readonly query: string;
  readonly clusterId: string;
}

/** Options of {@link signRelayRequest}. */
export interface SignOptions {
  readonly secret: string;
  readonly target: RelayRequestTarget;
  /** The raw body exactly as sent (the empty string for a GET). */
  readonly body: string | Uint8Array;
  /** Unix time in seconds, from the injected clock. */
  readonly nowSeconds: number;
  /** Unique per request (random, from the caller). */
  readonly nonce: string;
  readonly crypto: RelayCrypto;
}

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

/** The headers to send. */
export function signRelayRequest(options: SignOptions): Readonly<Record<string, string>> {
  const timestamp = String(Math.floor(options.nowSeconds));
  const body = typeof options.body === 'string' ? new TextEncoder().encode(options.body) : options.body;
  const message = stringToSign({
    target: options.target,
    timestamp,
    nonce: options.nonce,
    bodySha256: options.crypto.sha256Hex(body),
  });
  return {
    [RELAY_CLUSTER_HEADER]: options.target.clusterId,
    [RELAY_TIMESTAMP_HEADER]: timestamp,
    [RELAY_NONCE_HEADER]: options.nonce,
    [RELAY_SIGNATURE_HEADER]: `sha256=${options.crypto.hmacSha256Hex(options.secret, message)}`,
  };
}

/** The signed headers as received (undefined when absent). */
export interface SignedHeaders {
  readonly clusterId: string | undefined;
  readonly timestamp: string | undefined;
  readonly nonce: string | undefined;
  readonly signature: string | undefined;
}

/** Options of {@link verifyRelayRequest}. */
export interface VerifyOptions {
  /** The secret of a cluster, or undefined when the cluster has none. */
  readonly secretOf: (clusterId: string) => string | undefined;
  readonly headers: SignedHeaders;
  /** Method, path and query as received; `clusterId` is taken from the headers. */
  readonly target: Omit<RelayRequestTarget, 'clusterId'>;
  /** The raw body bytes as received. */
  readonly body: Uint8Array;
  readonly nowSeconds: number;
  readonly crypto: RelayCrypto;
  /** Defaults to 300 s. */
  readonly windowSeconds?: number;
}

/** Why a request was refused (all map to HTTP 401; the reason is for logs, not for the caller). */
export type Verification =
  | {
      readonly kind: 'ok';
      /** The cluster the request was signed for. */
      readonly clusterId: string;
      /** The verified signature (hex): the key that detects a replay. */
      readonly signature: string;
    }
  | {
      readonly kind: 'rejected';
      readonly reason:
        | 'missing-header'
        | 'bad-timestamp'
        | 'bad-nonce'
        | 'stale'
        | 'unknown-cluster'
        | 'bad-signature'
        | 'replayed';
      readonly message: string;
    };

/** Checks a request's signature and freshness (replays are the caller's: it remembers signatures). */
export function verifyRelayRequest(options: VerifyOptions): Verification {
  const { clusterId, timestamp, nonce, signature } = options.headers;
  if (clusterId === undefined || timestamp === undefined || nonce === undefined || signature === undefined)
    return rejected(
      'missing-header',
      `${RELAY_CLUSTER_HEADER}, ${RELAY_TIMESTAMP_HEADER}, ${RELAY_NONCE_HEADER} and ${RELAY_SIGNATURE_HEADER} are required`,
    );
  if (!/^[0-9]{1,12}$/.test(timestamp))
    return rejected('bad-timestamp', `${RELAY_TIMESTAMP_HEADER} must be Unix seconds`);
  if (!NONCE.test(nonce))
    return rejected('bad-nonce', `${RELAY_NONCE_HEADER} must be 16-64 of A-Z a-z 0-9 _ -`);
  const window = options.windowSeconds ?? RELAY_SIGNATURE_WINDOW_SECONDS;
  if (Math.abs(options.nowSeconds - Number(timestamp)) > window)
    return rejected('stale', `timestamp is more than ${window} s from the server clock`);
  const secret = clusterId === '' ? undefined : options.secretOf(clusterId);
  if (secret === undefined || secret === '')
    return rejected('unknown-cluster', 'no relay secret is configured for this cluster');
  const message = stringToSign({
    target: { ...options.target, clusterId },
    timestamp,
    nonce,
    bodySha256: options.crypto.sha256Hex(options.body),
  });
  const expected = options.crypto.hmacSha256Hex(secret, message);
  const given = signature
    .trim()
    .toLowerCase()
    .replace(/^sha256=/, '');
  if (!options.crypto.equal(given, expected)) return rejected('bad-signature', 'signature does not match');
  return { kind: 'ok', clusterId, signature: expected };
}

/** The query as signed: parameters sorted by name then value, each name=value URI-encoded. */
export function canonicalQuery(query: string): string {
  return [...new URLSearchParams(query)]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
}

function stringToSign(input: {
  readonly target: RelayRequestTarget;
  readonly timestamp: string;
  readonly nonce: string;
  readonly bodySha256: string;
}): string {
  const { target } = input;
  return [
    'egret-relay-v2',
    target.method.toUpperCase(),
    target.path,
    canonicalQuery(target.query),
    target.clusterId,
    input.timestamp,
    input.nonce,
    input.bodySha256,
  ].join('\n');
}

function rejected(
  reason: Extract<Verification, { kind: 'rejected' }>['reason'],
  message: string,
): Verification {
  return { kind: 'rejected', reason, message };
}
