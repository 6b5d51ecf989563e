/** Exponential backoff with jitter (pure; the random source is injected). */

/** Delay bounds. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The delay before retry number `failures` (1 = after the first failure): `initialMs · 2^(failures−1)`,
 * capped at `maxMs`, then spread over ±20 % so many relays do not retry in lock-step after an outage,
 * and never more than `maxMs`. A server's `Retry-After` wins when it is longer.
 */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  options: { readonly random: () => number; readonly retryAfterMs?: number | undefined },
): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const base = Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
  const jittered = Math.min(Math.round(base * (0.8 + 0.4 * options.random())), policy.maxMs);
  return Math.max(jittered, options.retryAfterMs ?? 0);
}
