/**
 * What `npm start` shows, run in-process on the functions' source: the walkthrough applies the sample
 * configuration and shows it converge with its status and the endpoints; `--json` prints one JSON line
 * with everything a script needs, and those endpoints answer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../agents/relay/clock.js';
import { createControlPlaneClient } from '../../agents/relay/controlPlaneClient.js';
import { syncRequests } from '../../agents/relay/relayEvents.js';
import { runSandbox } from '../../infra/local/sandbox/runSandbox.js';
import { configurationObject } from '../../infra/local/sandbox/startSandbox.js';
import { functionModules, FAST_HOST_JSON } from './support/world.js';

const sandboxOptions = { modules: functionModules(), hostJson: FAST_HOST_JSON, writeSettingsFile: false };

describe('npm start', () => {
  it('walks through a sample configuration converging, then serves the relay contract', async () => {
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

      // The relay's own client (agents/relay) speaks the same contract: a full SYNC built by the relay
      // that lacks the sample deletes it, and the status pull reports it finalized.
      const d = sandbox.describe();
      const relay = createControlPlaneClient({
        baseUrl: d.functionsBaseUrl,
        clusterId: d.clusterId,
        sharedSecret: d.relaySharedSecret,
        timeoutMs: 10_000,
        clock: systemClock,
      });
      const other = configurationObject({
        namespace: 'default',
        name: 'from-relay',
        uid: 'relay-0001',
        spec: { gatewayNodepoolName: 'vmgw', provisionPublicIps: false },
        resourceVersion: '10',
      });
      const sync = syncRequests(d.clusterId, [other]);
      assert.equal(sync.kind, 'sync');
      if (sync.kind === 'sync') await relay.sendEvents(sync.request, AbortSignal.timeout(10_000));
      const deadline = Date.now() + 30_000;
      let items = (await relay.fetchStatus(AbortSignal.timeout(10_000))).items;
      while (
        !(
          items.find((i) => i.name === 'egret-sample')?.finalized === true &&
          items.find((i) => i.name === 'from-relay')?.status.conditions?.[0]?.reason === 'Reconciled'
        ) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 100));
        items = (await relay.fetchStatus(AbortSignal.timeout(10_000))).items;
      }
      assert.equal(
        items.find((i) => i.name === 'egret-sample')?.finalized,
        true,
        'the sample is gone from Azure',
      );
      assert.match(
        items.find((i) => i.name === 'from-relay')?.status.egressIpPrefix ?? '',
        /^10\.224\.\d+\.\d+(,10\.224\.\d+\.\d+){3}$/,
        'private mode on the VirtualMachines pool: four egress IPs',
      );
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
