/**
 * The relay's HTTP client of the control plane's two relay endpoints (contract in
 * shared/core/relayContract.ts): `POST /api/relay/events` and `GET /api/relay/status?clusterId=…`,
 * both signed with shared/core/relaySignature.ts (HMAC-SHA256 over the method, path, query, cluster id,
 * timestamp, a fresh nonce and the body's SHA-256; a new nonce per attempt, so a retry is no replay).
 *
 * Failures are translated to the error taxonomy: 401/403 → ConfigError (wrong shared secret or
 * clock skew: retried, but logged loudly), 400 → ValidationError (the control plane refused the body:
 * a bug on one side), 429/5xx/network/timeout → TransientError (with Retry-After when given).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError, TransientError, ValidationError } from '../../shared/core/errors.js';
import {
  parseRelayStatusResponse,
  type RelayEventsRequest,
  type RelayStatusResponse,
} from '../../shared/core/relayContract.js';
import { signRelayRequest, type RelayCrypto } from '../../shared/core/relaySignature.js';
import type { Clock } from '../../shared/ports/clock.js';

/** What the relay needs from the control plane. */
export interface ControlPlanePort {
  sendEvents(body: RelayEventsRequest, signal: AbortSignal): Promise<void>;
  fetchStatus(signal: AbortSignal): Promise<RelayStatusResponse>;
}

/** Options of {@link createControlPlaneClient}. */
export interface ControlPlaneClientOptions {
  /** Base URL without trailing slash. */
  readonly baseUrl: string;
  readonly clusterId: string;
  readonly sharedSecret: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

/** HMAC-SHA256 hex, the signature primitive shared/core leaves to the caller. */
export function hmacSha256Hex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/** The relay's side of the signature's cryptography (node:crypto). */
export const relayClientCrypto: RelayCrypto = {
  hmacSha256Hex,
  sha256Hex: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  equal: (a, b) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b)),
};

/** The real client over fetch. */
export function createControlPlaneClient(options: ControlPlaneClientOptions): ControlPlanePort {
  const doFetch = options.fetch ?? fetch;

  const call = async (
    what: string,
    request: { readonly method: 'GET' | 'POST'; readonly path: string; readonly body: string },
    signal: AbortSignal,
  ): Promise<string> => {
    const url = new URL(`${options.baseUrl}${request.path}`);
    const headers: Record<string, string> = {
      ...signRelayRequest({
        secret: options.sharedSecret,
        target: {
          method: request.method,
          path: url.pathname,
          query: url.search.replace(/^\?/, ''),
          clusterId: options.clusterId,
        },
        body: request.body,
        nowSeconds: Math.floor(options.clock.nowMs() / 1000),
        nonce: randomBytes(16).toString('base64url'),
        crypto: relayClientCrypto,
      }),
      accept: 'application/json',
      ...(request.method === 'POST' ? { 'content-type': 'application/json' } : {}),
    };
    let response: Response;
    try {
      response = await doFetch(url, {
        method: request.method,
        headers,
        ...(request.method === 'POST' ? { body: request.body } : {}),
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
      });
    } catch (e) {
      if (signal.aborted) throw e;
      throw new TransientError(`${what}: control plane unreachable: ${causeOf(e)}`, { cause: e });
    }
    const text = await response.text().catch((e: unknown) => {
      throw new TransientError(`${what}: reading the answer failed: ${causeOf(e)}`, { cause: e });
    });
    if (response.ok) return text;
    const detail = text.slice(0, 500);
    if (response.status === 401 || response.status === 403) {
      throw new ConfigError(
        `${what}: the control plane refused the signature (HTTP ${response.status}): check EGRET_SHARED_SECRET and the node clock. ${detail}`,
      );
    }
    if (response.status === 400 || response.status === 413 || response.status === 422) {
      throw new ValidationError([{ field: 'body', message: `${what}: HTTP ${response.status}: ${detail}` }]);
    }
    const retryAfter = retryAfterMs(response.headers.get('retry-after'), options.clock.nowMs());
    throw new TransientError(
      `${what}: HTTP ${response.status}: ${detail}`,
      retryAfter === undefined ? undefined : { retryAfterMs: retryAfter },
    );
  };

  return {
    async sendEvents(body, signal) {
      await call(
        'relayEvents',
        { method: 'POST', path: '/api/relay/events', body: JSON.stringify(body) },
        signal,
      );
    },
    async fetchStatus(signal) {
      const path = `/api/relay/status?clusterId=${encodeURIComponent(options.clusterId)}`;
      const text = await call('relayStatus', { method: 'GET', path, body: '' }, signal);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ValidationError([{ field: 'body', message: 'relayStatus: the answer is not JSON' }]);
      }
      const parsed = parseRelayStatusResponse(json);
      if (parsed.kind === 'invalid') throw new ValidationError(parsed.problems);
      return parsed.value;
    },
  };
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  if (/^[0-9]+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function causeOf(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e.message}${cause}`;
  }
  return String(e);
}
