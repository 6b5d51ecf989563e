/**
 * The parts of host.json the local host honours, with the real host's defaults
 * (Functions v4, Storage extension 5.x):
 * - `extensions.http.routePrefix` (default `api`);
 * - `extensions.queues`: `maxPollingInterval` (default 1 min, at least 100 ms — the Storage extension's
 *   QueuesOptions refuses less and the host does not start; a bare number is refused here because the
 *   host's TimeSpan parsing reads `2000` as 2000 days, azure-webjobs-sdk #2967), `visibilityTimeout`
 *   (delay before a failed message is retried, default 0), `batchSize` (default 16, at most 32),
 *   `maxDequeueCount` (default 5), `messageEncoding` (`base64` default, or `none`).
 */
import { ConfigError } from '../../../shared/core/errors.js';

export interface QueuesConfig {
  readonly maxPollingIntervalMs: number;
  readonly visibilityTimeoutMs: number;
  readonly batchSize: number;
  readonly maxDequeueCount: number;
  readonly messageEncoding: 'base64' | 'none';
}

export interface HostConfig {
  readonly routePrefix: string;
  readonly queues: QueuesConfig;
}

/** Parses a .NET TimeSpan string `[d.]hh:mm:ss[.fffffff]` into milliseconds. */
export function parseTimeSpan(value: string, what: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!m) throw new ConfigError(`${what}: ${JSON.stringify(value)} is not a TimeSpan like 00:00:10`);
  const [, d, h, min, s, frac] = m;
  const ms = (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000;
  return ms + (frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000));
}

/**
 * Reads host.json content (already parsed).
 * @throws ConfigError naming the setting with a bad value.
 */
export function readHostConfig(hostJson: unknown): HostConfig {
  const root = isObject(hostJson) ? hostJson : {};
  const ext = isObject(root.extensions) ? root.extensions : {};
  const http = isObject(ext.http) ? ext.http : {};
  const q = isObject(ext.queues) ? ext.queues : {};

  const routePrefix =
    typeof http.routePrefix === 'string' ? http.routePrefix.replace(/^\/+|\/+$/g, '') : 'api';
  const span = (key: string, dflt: number): number =>
    q[key] === undefined
      ? dflt
      : parseTimeSpan(
          typeof q[key] === 'string' ? q[key] : JSON.stringify(q[key]),
          `host.json extensions.queues.${key}`,
        );
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const v = q[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new ConfigError(
        `host.json extensions.queues.${key}: ${JSON.stringify(v)} is not an integer in ${min}-${max}`,
      );
    return v;
  };
  const encoding = q.messageEncoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'none')
    throw new ConfigError(
      `host.json extensions.queues.messageEncoding: ${JSON.stringify(encoding)} is not base64 or none`,
    );
  const maxPollingIntervalMs = span('maxPollingInterval', 60_000);
  if (maxPollingIntervalMs < 100)
    throw new ConfigError(
      `host.json extensions.queues.maxPollingInterval: ${JSON.stringify(q.maxPollingInterval)} is less than ` +
        'the minimum of 00:00:00.100',
    );
  return {
    routePrefix,
    queues: {
      maxPollingIntervalMs,
      visibilityTimeoutMs: span('visibilityTimeout', 0),
      batchSize: int('batchSize', 16, 1, 32),
      maxDequeueCount: int('maxDequeueCount', 5, 1, 1_000_000),
      messageEncoding: encoding,
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
