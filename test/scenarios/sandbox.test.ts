/**
 * What `npm start` shows, run in-process on the functions' source: the walkthrough applies the sample
 * configuration and shows it converge with its status and the endpoints; `--json` prints one JSON line
 * with everything a script needs, and those endpoints answer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSandbox } from '../../infra/local/sandbox/runSandbox.js';
import { functionModules, FAST_HOST_JSON } from './support/world.js';

const sandboxOptions = { modules: functionModules(), hostJson: FAST_HOST_JSON, writeSettingsFile: false };

describe('npm start', () => {
  it('walks through a sample configuration converging, then serves', async () => {
    const lines: string[] = [];
    const sandbox = await runSandbox({ json: false, write: (l) => lines.push(l), sandbox: sandboxOptions });
    try {
      const text = lines.join('\n');
      assert.match(text, /Ready=True Reconciled: provisioned with egress prefix \d+\.\d+\.\d+\.\d+\/31/);
      assert.match(text, /egressIpPrefix\s+\d+\.\d+\.\d+\.\d+\/31/);
      assert.match(text, /gatewayServerProfile\s+ip 10\.224\.\d+\.\d+, port 6000/);
      assert.equal((text.match(/gateway node\s+aks-gw-vmss00000\d/g) ?? []).length, 2);
      assert.match(text, /ARM writes\s+5 /);
      assert.match(text, /relay events\s+POST http:\/\/127\.0\.0\.1:\d+\/api\/relay\/events/);
      assert.match(text, /Ready\. Press Ctrl-C to stop\./);
      const health = await fetch(`${sandbox.describe().adminEndpoint}/health`);
      assert.equal(health.status, 200, 'still serving');
    } finally {
      await sandbox.stop();
    }
  });

  it('--json prints one line with the endpoints, the seeded pools, storage, secret and cluster id', async () => {
    const lines: string[] = [];
    const sandbox = await runSandbox({ json: true, write: (l) => lines.push(l), sandbox: sandboxOptions });
    try {
      assert.equal(lines.length, 1);
      const d = JSON.parse(lines[0]!) as Record<string, unknown> & { pools: Record<string, string[]> };
      for (const key of [
        'functionsBaseUrl',
        'armEndpoint',
        'armCaPath',
        'armAdminEndpoint',
        'adminEndpoint',
        'subscriptionId',
        'resourceGroups',
        'storageConnectionString',
        'relaySharedSecret',
        'clusterId',
      ])
        assert.ok(d[key] !== undefined && d[key] !== '', `${key} is given`);
      assert.deepEqual(d.pools, {
        vmss: ['aks-gw-vmss'],
        vmPools: ['vmgw'],
        standaloneVms: ['standalone-1', 'standalone-2'],
      });
      assert.deepEqual(await sandbox.relay.status(), [], 'nothing applied in --json mode');
      const arm = await fetch(`${String(d['functionsBaseUrl'])}/api/manage/health`);
      assert.equal(arm.status, 200);
    } finally {
      await sandbox.stop();
    }
  });
});
