/**
 * The host.json settings the local host reads, with the real host's defaults and limits — and the
 * app's own host.json: an idle reconcile queue is polled at least every 2 s, not every minute.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readHostConfig } from '../../infra/local/functions-host/hostConfig.js';
import { ConfigError } from '../../shared/core/errors.js';

describe('host.json', () => {
  it("the app's host.json caps the idle queue polling at 2 s and keeps the /api prefix", () => {
    const appHostJson = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../host.json', import.meta.url)), 'utf8'),
    ) as unknown;
    const config = readHostConfig(appHostJson);
    assert.equal(config.queues.maxPollingIntervalMs, 2_000);
    assert.equal(config.routePrefix, 'api');
  });

  it('defaults as the host does: one minute between polls of an idle queue, five dequeues, base64', () => {
    assert.deepEqual(readHostConfig({ version: '2.0' }), {
      routePrefix: 'api',
      queues: {
        maxPollingIntervalMs: 60_000,
        visibilityTimeoutMs: 0,
        batchSize: 16,
        maxDequeueCount: 5,
        messageEncoding: 'base64',
      },
    });
  });

  it('refuses a polling interval below 100 ms or one that is not a TimeSpan, naming the setting', () => {
    const queues = (maxPollingInterval: unknown): unknown => ({
      extensions: { queues: { maxPollingInterval } },
    });
    assert.equal(readHostConfig(queues('00:00:00.100')).queues.maxPollingIntervalMs, 100);
    assert.throws(
      () => readHostConfig(queues('00:00:00.050')),
      (e: Error) =>
        e instanceof ConfigError && /extensions\.queues\.maxPollingInterval.*minimum/.test(e.message),
    );
    assert.throws(
      () => readHostConfig(queues(2000)),
      (e: Error) =>
        e instanceof ConfigError && /maxPollingInterval: "2000" is not a TimeSpan/.test(e.message),
    );
  });
});
