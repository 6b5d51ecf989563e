/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Events as the real API server serves them (issue 10 §3): events.k8s.io/v1 and core/v1 are two
 * views of the same objects, so an Event written through client-node's EventsV1Api is listed by
 * core/v1 with the involvedObject field selectors `kubectl describe` uses — and the real kubectl's
 * `describe` shows it; the events.k8s.io/v1 field selectors on `regarding.*`; series updates by merge
 * PATCH; the v1 write validation; MicroTime fields with six fractional digits.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { sgcCrd } from './crdFixtures.js';

const run = promisify(execFile);
const kubectl = await run('sh', ['-c', 'command -v kubectl']).then(
  (r) => r.stdout.trim() || undefined,
  () => undefined,
);
if (kubectl === undefined && process.env['CI'] === 'true')
  throw new Error('kubectl is required under CI (scripts/bootstrap.sh installs kubernetes-client)');

const mergePatch = {
  middleware: [
    {
      pre: (c: k8s.RequestContext) => {
        c.setHeaderParam('Content-Type', k8s.PatchStrategy.MergePatch);
        return new k8s.Observable(Promise.resolve(c));
      },
      post: (r: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(r)),
    },
  ],
  middlewareMergeStrategy: 'append' as const,
};

describe('Events: events.k8s.io/v1 and core/v1 are one store', () => {
  let kube: KubeStandIn;
  let kc: k8s.KubeConfig;
  let events: k8s.EventsV1Api;
  let core: k8s.CoreV1Api;
  let home: string;
  let regarding: k8s.V1ObjectReference;

  before(async () => {
    kube = await startKubeStandIn();
    home = await mkdtemp(join(tmpdir(), 'egret-events-'));
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    events = kc.makeApiClient(k8s.EventsV1Api);
    core = kc.makeApiClient(k8s.CoreV1Api);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await objects.create(sgcCrd as any);
    const sgc = await objects.create<any>({
      apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
      kind: 'StaticGatewayConfiguration',
      metadata: { name: 'web', namespace: 'default' },
      spec: { gatewayNodepoolName: 'gw', provisionPublicIps: true },
    });
    regarding = {
      apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
      kind: 'StaticGatewayConfiguration',
      namespace: 'default',
      name: 'web',
      uid: sgc.metadata.uid,
    };
  });
  after(async () => {
    await kube.stop();
    await rm(home, { recursive: true, force: true });
  });

  const event = (name: string, extra: Partial<k8s.EventsV1Event> = {}): k8s.EventsV1Event => ({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    eventTime: new k8s.V1MicroTime(Date.now() - 60_000),
    reportingController: 'egressgateway.kubernetes.azure.com/egret-relay',
    reportingInstance: 'relay-0',
    action: 'Validate',
    reason: 'InvalidSpec',
    type: 'Warning',
    note: 'spec.excludeCidrs[0]: "nope" is not a CIDR',
    regarding,
    ...extra,
  });

  it("an Event created through events.k8s.io/v1 is listed by core/v1 with kubectl describe's selectors", async () => {
    await events.createNamespacedEvent({ namespace: 'default', body: event('web.1') });
    const selector = [
      'involvedObject.name=web',
      'involvedObject.namespace=default',
      'involvedObject.kind=StaticGatewayConfiguration',
      `involvedObject.uid=${regarding.uid}`,
    ].join(',');
    const list = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: selector });
    assert.equal(list.items.length, 1);
    const e = list.items[0]!;
    assert.equal(e.message, 'spec.excludeCidrs[0]: "nope" is not a CIDR');
    assert.equal(e.reportingComponent, 'egressgateway.kubernetes.azure.com/egret-relay');
    assert.equal(e.involvedObject.uid, regarding.uid);
    assert.equal(e.type, 'Warning');
    const other = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.name=other',
    });
    assert.equal(other.items.length, 0);
  });

  it('events.k8s.io/v1 selects by regarding.* and reads core/v1-written Events in its own form', async () => {
    await core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'web.2', namespace: 'default' },
        involvedObject: regarding,
        reason: 'Legacy',
        message: 'written through core/v1',
        type: 'Normal',
        source: { component: 'someone' },
        count: 3,
      },
    });
    const list = await events.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `regarding.name=web,regarding.uid=${regarding.uid},reason=Legacy`,
    });
    assert.deepEqual(
      list.items.map((e) => [e.metadata?.name, e.note, e.deprecatedCount, e.deprecatedSource?.component]),
      [['web.2', 'written through core/v1', 3, 'someone']],
    );
    const none = await events.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'regarding.kind=Pod',
    });
    assert.equal(none.items.length, 0);
  });

  it('a series update is a merge PATCH of the same object, seen by both views', async () => {
    await events.patchNamespacedEvent(
      {
        namespace: 'default',
        name: 'web.1',
        body: { series: { count: 2, lastObservedTime: new k8s.V1MicroTime(Date.now()) } },
      },
      mergePatch,
    );
    const v1 = await events.readNamespacedEvent({ namespace: 'default', name: 'web.1' });
    assert.equal(v1.series?.count, 2);
    const legacy = await core.readNamespacedEvent({ namespace: 'default', name: 'web.1' });
    assert.equal(legacy.series?.count, 2);
    assert.equal(legacy.message, v1.note);
  });

  it('refuses what the API server refuses: v1 rules (422) and millisecond MicroTimes (400)', async () => {
    await assert.rejects(
      events.createNamespacedEvent({
        namespace: 'default',
        body: event('web.bad', { reportingController: '', action: '' }),
      }),
      (e: any) => e.code === 422 && /reportingController/.test(e.body) && /action/.test(e.body),
    );
    await assert.rejects(
      events.createNamespacedEvent({
        namespace: 'default',
        body: event('web.bad2', { series: { count: 1, lastObservedTime: new k8s.V1MicroTime() } }),
      }),
      (e: any) => e.code === 422 && /series\.count/.test(e.body),
    );
    await assert.rejects(
      events.createNamespacedEvent({
        namespace: 'default',
        body: event('web.bad3', { eventTime: new Date() }),
      }),
      (e: any) => e.code === 400 && /eventTime/.test(e.body),
    );
  });

  it(
    'kubectl describe lists the Events of the object, with the series count',
    { skip: kubectl === undefined ? 'kubectl is not installed' : false },
    async () => {
      const { stdout } = await run(
        kubectl!,
        ['describe', 'staticgatewayconfiguration', 'web', '-n', 'default'],
        { env: { PATH: process.env['PATH'] ?? '', HOME: home, KUBECONFIG: kube.kubeconfigPath } },
      );
      const section = stdout.slice(stdout.indexOf('Events:'));
      assert.match(
        section,
        /Warning\s+InvalidSpec\s+.*\(x2 over .*\)\s+egressgateway\.kubernetes\.azure\.com\/egret-relay\s+spec\.excludeCidrs\[0\]: "nope" is not a CIDR/,
      );
      assert.match(section, /Normal\s+Legacy\s+.*someone\s+written through core\/v1/);
    },
  );
});
