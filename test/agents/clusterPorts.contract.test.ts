/**
 * The agents' cluster ports: one suite, run against the in-memory implementation and against the
 * real @kubernetes/client-node adapter talking to the Kubernetes API stand-in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClientNodeAgentCluster,
  createClientNodeGatewayCluster,
} from '../../agents/common/kube/clientNodeCluster.js';
import type { GatewayDaemonCluster, NodeAgentCluster } from '../../agents/common/kube/clusterPorts.js';
import { MemoryCluster } from '../../agents/common/kube/memoryCluster.js';
import { normalizeStaticGatewayConfiguration } from '../../agents/common/kube/types.js';
import { createLogger } from '../../agents/common/logger.js';
import { generateWireGuardKeyPair } from '../../agents/common/wireguard.js';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { egretCrds } from '../datapath/support/crds.js';

const GV = 'egressgateway.kubernetes.azure.com/v1alpha1';
const [K1, K2, K3] = [1, 2, 3].map(() => generateWireGuardKeyPair().publicKey) as [string, string, string];
const sgcObject = {
  apiVersion: GV,
  kind: 'StaticGatewayConfiguration',
  metadata: { namespace: 'apps', name: 'sgc' },
  spec: { gatewayNodepoolName: 'gw', provisionPublicIps: true, excludeCidrs: ['1.2.3.4/32'] },
  status: {
    egressIpPrefix: '20.0.0.0/31',
    gatewayServerProfile: {
      ip: '10.0.1.4',
      port: 6000,
      publicKey: 'k',
      privateKeySecretRef: { name: 'sgw-x', namespace: 'egret' },
    },
    gatewayVMProfiles: [{ nodeName: 'n0', primaryIP: '10.0.0.4', secondaryIP: '10.0.0.5' }],
  },
};

interface Harness {
  gateway: GatewayDaemonCluster;
  agent: NodeAgentCluster;
  /** Creates the Pod, the configuration and the key Secret; returns the pod uid. */
  seed(): Promise<string>;
  gatewayStatus(name: string): Promise<unknown>;
  podEndpointOwner(name: string): Promise<string | undefined>;
  touchConfiguration(): Promise<void>;
  close(): Promise<void>;
}

function memoryHarness(): Promise<Harness> {
  const m = new MemoryCluster();
  return Promise.resolve({
    gateway: m.gatewayView(),
    agent: m.agentView(),
    seed: () => {
      m.pods.set('apps/web', {
        uid: 'pod-uid',
        annotations: { 'kubernetes.azure.com/static-gateway-configuration': 'sgc' },
      });
      m.putConfiguration(
        normalizeStaticGatewayConfiguration({ ...sgcObject, metadata: { ...sgcObject.metadata, uid: 'u' } }),
      );
      m.secrets.set('egret/sgw-x', { PrivateKey: 'priv' });
      return Promise.resolve('pod-uid');
    },
    gatewayStatus: (name) => Promise.resolve(m.gatewayStatuses.get(`egret/${name}`)),
    podEndpointOwner: (name) => Promise.resolve(m.podEndpoints.get(`apps/${name}`)?.ownerUid),
    touchConfiguration: () => {
      m.changed();
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
}

async function standInHarness(): Promise<Harness> {
  const kube: KubeStandIn = await startKubeStandIn({
    namespaces: ['default', 'apps', 'egret'],
    bookmarkIntervalMs: 0,
  });
  for (const crd of egretCrds()) kube.create(crd);
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  const log = createLogger('test', { write: () => undefined });
  return {
    gateway: createClientNodeGatewayCluster({ kubeConfig: kc, namespace: 'egret', nodeName: 'n0', log }),
    agent: createClientNodeAgentCluster({ kubeConfig: kc }),
    seed: () => {
      const pod = kube.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          namespace: 'apps',
          name: 'web',
          annotations: { 'kubernetes.azure.com/static-gateway-configuration': 'sgc' },
        },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      });
      kube.create(sgcObject, { keepStatus: true });
      kube.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { namespace: 'egret', name: 'sgw-x' },
        data: { PrivateKey: Buffer.from('priv').toString('base64') },
      });
      kube.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n0' } });
      return Promise.resolve((pod.metadata as { uid: string }).uid);
    },
    gatewayStatus: (name) =>
      Promise.resolve(kube.get({ apiVersion: GV, kind: 'GatewayStatus', namespace: 'egret', name })?.spec),
    podEndpointOwner: (name) =>
      Promise.resolve(
        (
          kube.get({ apiVersion: GV, kind: 'PodEndpoint', namespace: 'apps', name })?.metadata as
            { ownerReferences?: { uid: string }[] } | undefined
        )?.ownerReferences?.[0]?.uid,
      ),
    touchConfiguration: () => {
      const cur = kube.get({
        apiVersion: GV,
        kind: 'StaticGatewayConfiguration',
        namespace: 'apps',
        name: 'sgc',
      })!;
      kube.put({ ...cur, spec: { ...(cur.spec as object), excludeCidrs: ['5.6.7.8/32'] } });
      return Promise.resolve();
    },
    close: () => kube.stop(),
  };
}

for (const [name, make] of [
  ['in-memory', memoryHarness],
  ['client-node against the API stand-in', standInHarness],
] as const) {
  describe(`agent cluster ports (${name})`, () => {
    let h: Harness;
    let podUid = '';
    const signal = AbortSignal.timeout(30_000);
    before(async () => {
      h = await make();
      podUid = await h.seed();
    });
    after(async () => {
      await h.gateway.stop();
      await h.close();
    });

    it('the node agent reads pods and configurations, and misses are undefined', async () => {
      const pod = await h.agent.getPod({ namespace: 'apps', name: 'web' }, signal);
      assert.equal(pod?.uid, podUid);
      assert.equal(pod?.annotations['kubernetes.azure.com/static-gateway-configuration'], 'sgc');
      assert.equal(await h.agent.getPod({ namespace: 'apps', name: 'nope' }, signal), undefined);
      const sgc = await h.agent.getStaticGatewayConfiguration({ namespace: 'apps', name: 'sgc' }, signal);
      assert.equal(sgc?.status?.gatewayServerProfile?.port, 6000);
      assert.deepEqual(sgc?.status?.gatewayVMProfiles, [
        { nodeName: 'n0', primaryIP: '10.0.0.4', secondaryIP: '10.0.0.5' },
      ]);
    });

    it('PodEndpoints are owned by their pod, replaced on re-ADD, and only deleted by their own sandbox', async () => {
      const pe = {
        namespace: 'apps',
        name: 'web',
        staticGatewayConfiguration: 'sgc',
        podIpAddress: '10.244.0.9/32',
        podPublicKey: K1,
        containerId: 'c1',
      };
      await h.agent.applyPodEndpoint(pe, { name: 'web', uid: podUid }, signal);
      assert.equal(await h.podEndpointOwner('web'), podUid);
      await h.agent.applyPodEndpoint(
        { ...pe, podPublicKey: K2, containerId: 'c2' },
        { name: 'web', uid: podUid },
        signal,
      );
      assert.equal(
        await h.agent.deletePodEndpoint({ namespace: 'apps', name: 'web' }, { containerId: 'c1' }, signal),
        'kept',
      );
      assert.equal(
        await h.agent.deletePodEndpoint({ namespace: 'apps', name: 'web' }, { containerId: 'c2' }, signal),
        'deleted',
      );
      assert.equal(
        await h.agent.deletePodEndpoint({ namespace: 'apps', name: 'web' }, { containerId: 'c2' }, signal),
        'absent',
      );
    });

    it('the gateway daemon sees configurations, key Secrets and PodEndpoints, and hears about changes', async () => {
      let changes = 0;
      h.gateway.onChange(() => (changes += 1));
      await h.gateway.start(signal);
      await h.agent.applyPodEndpoint(
        {
          namespace: 'apps',
          name: 'web',
          staticGatewayConfiguration: 'sgc',
          podIpAddress: '10.244.0.9/32',
          podPublicKey: K3,
          containerId: 'c3',
        },
        { name: 'web', uid: podUid },
        signal,
      );
      const until = async (what: string, ok: () => boolean): Promise<void> => {
        const end = Date.now() + 10_000;
        while (!ok()) {
          if (Date.now() > end) assert.fail(what);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await until('PodEndpoint in snapshot', () =>
        h.gateway.snapshot().podEndpoints.some((p) => p.podPublicKey === K3),
      );
      const snap = h.gateway.snapshot();
      assert.deepEqual(
        snap.configurations.map((c) => `${c.metadata.namespace}/${c.metadata.name}`),
        ['apps/sgc'],
      );
      assert.equal(snap.secrets.get('egret/sgw-x')?.PrivateKey, 'priv');
      const before = changes;
      await h.touchConfiguration();
      await until('change notification', () => changes > before);
    });

    it('GatewayStatus is created, then replaced', async () => {
      const spec1 = {
        readyGatewayConfigurations: [{ staticGatewayConfiguration: 'apps/sgc', interfaceName: 'wg-6000' }],
        readyPeerConfigurations: [],
      };
      await h.gateway.upsertGatewayStatus({ namespace: 'egret', name: 'n0' }, spec1, signal);
      assert.deepEqual(await h.gatewayStatus('n0'), spec1);
      const spec2 = {
        ...spec1,
        readyPeerConfigurations: [{ podEndpoint: 'apps/web', interfaceName: 'wg-6000', publicKey: K3 }],
      };
      await h.gateway.upsertGatewayStatus({ namespace: 'egret', name: 'n0' }, spec2, signal);
      assert.deepEqual(await h.gatewayStatus('n0'), spec2);
    });
  });
}

describe('client-node adapter error translation', () => {
  it('an object the API refuses is a ValidationError naming it, not something to retry', async () => {
    const kube = await startKubeStandIn({ namespaces: ['default', 'apps'], bookmarkIntervalMs: 0 });
    try {
      for (const crd of egretCrds()) kube.create(crd);
      const kc = new KubeConfig();
      kc.loadFromFile(kube.kubeconfigPath);
      const agent = createClientNodeAgentCluster({ kubeConfig: kc });
      const bad = {
        namespace: 'apps',
        name: 'web',
        staticGatewayConfiguration: 'sgc',
        podIpAddress: '10.0.0.1/24',
        podPublicKey: 'x',
      };
      await assert.rejects(
        agent.applyPodEndpoint(bad, { name: 'web', uid: 'u' }, AbortSignal.timeout(10_000)),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'ValidationError');
          assert.match(e.message, /PodEndpoint apps\/web: refused by the API \(HTTP 422\)/);
          return true;
        },
      );
    } finally {
      await kube.stop();
    }
  });
});
