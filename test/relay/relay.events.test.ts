/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Kubernetes Events on StaticGatewayConfigurations (issue 10 §3): before, `kubectl describe` showed
 * `Events: <none>` after InvalidSpec, PoolNotFound, AzureError and deletions. The relay (real
 * client-node against the Kubernetes API stand-in, the control-plane contract double) now records
 * them through events.k8s.io/v1 from the status transitions it writes: Normal Provisioned / Updated /
 * Deleted, Warning InvalidSpec (naming the field) / AzureError / PoolNotFound / Waiting; a repeat is a
 * series on the same Event (PATCH), and the real kubectl's `describe` lists them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { EGRET_REPORTING_CONTROLLER } from '../../agents/relay/eventRecorder.js';
import { readyOf, startRelayWorld, type RelayWorld, type Replica } from './support/relayWorld.js';

const run = promisify(execFile);
const kubectl = await run('sh', ['-c', 'command -v kubectl']).then(
  (r) => r.stdout.trim() || undefined,
  () => undefined,
);
if (kubectl === undefined && process.env['CI'] === 'true')
  throw new Error('kubectl is required under CI (scripts/bootstrap.sh installs kubernetes-client)');

const VALID = { gatewayNodepoolName: 'gwpool', provisionPublicIps: true };

describe('relay Events (stand-in + control-plane contract double)', () => {
  let world: RelayWorld;
  let relay: Replica;
  let events: k8s.EventsV1Api;
  let uid: string;
  let home: string;

  before(async () => {
    world = await startRelayWorld();
    events = world.kube.kc.makeApiClient(k8s.EventsV1Api);
    home = await mkdtemp(join(tmpdir(), 'egret-relay-events-'));
    relay = await world.startReplica('relay-a');
    await world.eventually(() => relay.relay.isLeader(), 'relay-a to lead');
  });
  after(async () => {
    await world.stop();
    await rm(home, { recursive: true, force: true });
  });

  const list = async (): Promise<k8s.EventsV1Event[]> =>
    (
      await events.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `regarding.name=web,regarding.uid=${uid}`,
      })
    ).items;
  const waitForEvent = (reason: string, count = 1): Promise<k8s.EventsV1Event> =>
    world.eventually(async () => {
      const found = (await list()).filter((e) => e.reason === reason);
      const e = found[0];
      return found.length === 1 && (e?.series?.count ?? 1) === count ? e : undefined;
    }, `one ${reason} Event with count ${count}`);
  const waitReady = (reason: string, generation: number): Promise<any> =>
    world.eventually(async () => {
      const o = await world.get('web');
      return readyOf(o)?.reason === reason && o.status.observedGeneration === generation ? o : undefined;
    }, `web Ready ${reason} at generation ${generation}`);

  it('a new configuration that becomes Ready: Normal Provisioned, from the relay, about the object', async () => {
    const created = await world.apply('web', VALID);
    uid = created.metadata.uid;
    await waitReady('Reconciled', 1);
    const e = await waitForEvent('Provisioned');
    assert.equal(e.type, 'Normal');
    assert.equal(e.action, 'Provision');
    assert.equal(e.reportingController, EGRET_REPORTING_CONTROLLER);
    assert.equal(e.reportingInstance, 'relay-a');
    assert.deepEqual(
      {
        apiVersion: e.regarding?.apiVersion,
        kind: e.regarding?.kind,
        namespace: e.regarding?.namespace,
        name: e.regarding?.name,
        uid: e.regarding?.uid,
      },
      {
        apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
        kind: 'StaticGatewayConfiguration',
        namespace: 'default',
        name: 'web',
        uid,
      },
    );
  });

  it('an edit that is applied: Normal Updated', async () => {
    await world.apply('web', { ...VALID, excludeCidrs: ['203.0.113.0/24'] });
    await waitReady('Reconciled', 2);
    const e = await waitForEvent('Updated');
    assert.equal(e.type, 'Normal');
  });

  it('an invalid edit: Warning InvalidSpec naming the field', async () => {
    await world.apply('web', { ...VALID, excludeCidrs: ['nope'] });
    await waitReady('InvalidSpec', 3);
    const e = await waitForEvent('InvalidSpec');
    assert.equal(e.type, 'Warning');
    assert.equal(e.action, 'Validate');
    assert.match(e.note ?? '', /spec\.excludeCidrs\[0\]/);
  });

  it('Azure refusing and the pool missing: Warning AzureError and PoolNotFound; the same again is a series', async () => {
    await world.apply('web', { ...VALID, excludeCidrs: ['203.0.113.0/24'] });
    await waitReady('Reconciled', 4);
    await waitForEvent('Updated', 2); // the same note as before: the Updated Event's series, by PATCH
    world.controlPlane.setProblem('web', {
      reason: 'AzureError',
      message: 'Azure refused the write: 409 Conflict',
    });
    const azure = await waitForEvent('AzureError');
    assert.equal(azure.type, 'Warning');
    assert.equal(azure.note, 'Azure refused the write: 409 Conflict');
    world.controlPlane.setProblem('web', {
      reason: 'PoolNotFound',
      message: 'the gateway VMSS was not found',
    });
    const pool = await waitForEvent('PoolNotFound');
    assert.equal(pool.type, 'Warning');
    world.controlPlane.setProblem('web', {
      reason: 'AzureError',
      message: 'Azure refused the write: 409 Conflict',
    });
    const again = await waitForEvent('AzureError', 2);
    assert.equal(again.metadata?.name, azure.metadata?.name, 'the same Event object');
    world.controlPlane.setProblem('web', undefined);
    await waitForEvent('Updated', 3);
  });

  it(
    'kubectl describe shows the Events',
    { skip: kubectl === undefined ? 'kubectl is not installed' : false },
    async () => {
      const { stdout } = await run(
        kubectl!,
        ['describe', 'staticgatewayconfiguration', 'web', '-n', 'default'],
        { env: { PATH: process.env['PATH'] ?? '', HOME: home, KUBECONFIG: world.kube.kube.kubeconfigPath } },
      );
      const section = stdout.slice(stdout.indexOf('Events:'));
      assert.doesNotMatch(section, /<none>/);
      for (const line of [
        /Normal\s+Provisioned\s+.*egressgateway\.kubernetes\.azure\.com\/egret-relay/,
        /Normal\s+Updated\s+.*\(x3 over /,
        /Warning\s+InvalidSpec\s+.*spec\.excludeCidrs\[0\]/,
        /Warning\s+AzureError\s+.*\(x2 over .*Azure refused the write: 409 Conflict/,
        /Warning\s+PoolNotFound\s+.*the gateway VMSS was not found/,
      ])
        assert.match(section, line);
    },
  );

  it('a deletion that waits: Warning Waiting; once finalized: Normal Deleted', async () => {
    world.controlPlane.holdDeletions = true;
    await world.delete('web');
    const waiting = await waitForEvent('Waiting');
    assert.equal(waiting.type, 'Warning');
    assert.equal(waiting.action, 'Delete');
    world.controlPlane.releaseDeletion(uid);
    await world.eventually(async () => (await world.tryGet('web')) === undefined, 'web gone');
    const deleted = await waitForEvent('Deleted');
    assert.equal(deleted.type, 'Normal');
  });
});
