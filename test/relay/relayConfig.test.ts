/** The relay's one settings reader. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRelayConfig, loadRelayConfig, RELAY_SETTINGS } from '../../agents/relay/relayConfig.js';
import { ConfigError } from '../../shared/core/errors.js';

const env = {
  EGRET_CONTROL_PLANE_URL: 'https://egret.example.net/',
  EGRET_CLUSTER_ID: 'prod-westeurope-1',
  EGRET_SHARED_SECRET: '0123456789abcdef0123456789abcdef',
  MY_POD_NAMESPACE: 'egret-system',
  MY_POD_NAME: 'egret-relay-7d9f-abcde',
};

function problems(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

describe('loadRelayConfig', () => {
  it('keeps the key Secrets in KEY_SECRET_NAMESPACE, by default its own namespace, and checks the name', () => {
    assert.equal(loadRelayConfig({ env }).keySecretNamespace, 'egret-system');
    const c = loadRelayConfig({ env: { ...env, KEY_SECRET_NAMESPACE: 'egret-keys' } });
    assert.equal(c.keySecretNamespace, 'egret-keys');
    assert.equal(c.namespace, 'egret-system', 'the Lease stays in the pod namespace');
    assert.match(
      problems(() => loadRelayConfig({ env: { ...env, KEY_SECRET_NAMESPACE: 'Egret_Keys' } })),
      /KEY_SECRET_NAMESPACE="Egret_Keys" is not a namespace name/,
    );
  });

  it('reads the required settings and applies the defaults', () => {
    const c = loadRelayConfig({ env });
    assert.equal(c.controlPlaneUrl, 'https://egret.example.net');
    assert.equal(c.clusterId, 'prod-westeurope-1');
    assert.equal(c.namespace, 'egret-system');
    assert.equal(c.identity, 'egret-relay-7d9f-abcde');
    assert.deepEqual(c.lease, {
      name: 'egret-relay',
      durationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    assert.equal(c.statusPollIntervalMs, 10_000);
    assert.equal(c.syncIntervalMs, 300_000);
    assert.deepEqual(c.server, { host: '0.0.0.0', port: 8080 });
    assert.equal(c.kubeconfig, undefined);
    assert.equal(c.logLevel, 'info');
  });

  it('a flag wins over the environment', () => {
    const c = loadRelayConfig({
      env: { ...env, SYNC_INTERVAL_SECONDS: '60' },
      argv: ['--sync-interval=120', '--cluster-id=other'],
    });
    assert.equal(c.syncIntervalMs, 120_000);
    assert.equal(c.clusterId, 'other');
  });

  it('lists every problem at once', () => {
    const message = problems(() => loadRelayConfig({ env: { EGRET_LOG_LEVEL: 'loud' } }));
    for (const name of [
      'EGRET_CONTROL_PLANE_URL',
      'EGRET_CLUSTER_ID',
      'EGRET_SHARED_SECRET',
      'MY_POD_NAMESPACE',
      'MY_POD_NAME',
      'EGRET_LOG_LEVEL',
    ]) {
      assert.match(message, new RegExp(name));
    }
  });

  it('refuses plain http except to loopback, and a URL with credentials', () => {
    assert.match(
      problems(() =>
        loadRelayConfig({ env: { ...env, EGRET_CONTROL_PLANE_URL: 'http://egret.example.net' } }),
      ),
      /https/,
    );
    assert.equal(
      loadRelayConfig({ env: { ...env, EGRET_CONTROL_PLANE_URL: 'http://127.0.0.1:7071' } }).controlPlaneUrl,
      'http://127.0.0.1:7071',
    );
    assert.match(
      problems(() => loadRelayConfig({ env: { ...env, EGRET_CONTROL_PLANE_URL: 'https://u:p@x.net' } })),
      /credentials/,
    );
    assert.match(
      problems(() => loadRelayConfig({ env: { ...env, EGRET_CONTROL_PLANE_URL: 'not a url' } })),
      /not a URL/,
    );
  });

  it('refuses a short shared secret and a cluster id that is not a table key', () => {
    assert.match(
      problems(() => loadRelayConfig({ env: { ...env, EGRET_SHARED_SECRET: 'short' } })),
      /at least 32/,
    );
    assert.match(
      problems(() => loadRelayConfig({ env: { ...env, EGRET_CLUSTER_ID: 'a/b' } })),
      /EGRET_CLUSTER_ID/,
    );
  });

  it("enforces client-go's lease ordering: retry < renew deadline < duration", () => {
    assert.match(
      problems(() => loadRelayConfig({ env: { ...env, LEASE_RENEW_DEADLINE_SECONDS: '15' } })),
      /LEASE_RENEW_DEADLINE_SECONDS must be less than LEASE_DURATION_SECONDS/,
    );
    assert.match(
      problems(() => loadRelayConfig({ env: { ...env, LEASE_RETRY_PERIOD_SECONDS: '10' } })),
      /LEASE_RETRY_PERIOD_SECONDS must be less than LEASE_RENEW_DEADLINE_SECONDS/,
    );
  });

  it('refuses unknown flags, malformed arguments and non-integers', () => {
    assert.match(
      problems(() => loadRelayConfig({ env, argv: ['--shared-secret=x'] })),
      /unknown flag --shared-secret/,
    );
    assert.match(
      problems(() => loadRelayConfig({ env, argv: ['sync'] })),
      /not of the form/,
    );
    assert.match(
      problems(() => loadRelayConfig({ env: { ...env, METRICS_PORT: '80a' } })),
      /METRICS_PORT/,
    );
  });

  it('never shows the shared secret in the description it logs, and has no flag for it', () => {
    const text = JSON.stringify(describeRelayConfig(loadRelayConfig({ env })));
    assert.ok(!text.includes(env.EGRET_SHARED_SECRET));
    assert.equal(RELAY_SETTINGS.find((s) => s.name === 'EGRET_SHARED_SECRET')?.flag, undefined);
  });
});
