/** Key Secrets through the real client-node against the API stand-in: create once, reuse, repair. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../agents/common/logger.js';
import { wireGuardPublicKey } from '../../agents/common/wireguard.js';
import { createClientNodeRelayCluster } from '../../agents/relay/clientNodeRelayCluster.js';
import { ensureKeySecret } from '../../agents/relay/keySecrets.js';
import type { RelayCluster } from '../../agents/relay/relayCluster.js';
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';
import { EGRET_NAMESPACE, startEgretKube, type EgretKube } from '../k8s/support/egretKube.js';
import { ManualClock } from './support/manualClock.js';

function sgc(name: string, uid: string): StaticGatewayConfiguration {
  return {
    apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
    kind: 'StaticGatewayConfiguration',
    metadata: { name, namespace: 'team-a', uid },
    spec: { gatewayNodepoolName: 'gw' },
  };
}

describe('ensureKeySecret on the API stand-in', () => {
  let world: EgretKube;
  let cluster: RelayCluster;
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('test', {
    level: 'debug',
    write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>),
  });
  const ensure = (c: StaticGatewayConfiguration) =>
    ensureKeySecret(c, { cluster, namespace: EGRET_NAMESPACE, log, signal: AbortSignal.timeout(10_000) });
  const read = async (name: string) => {
    const s = await world.core.readNamespacedSecret({ namespace: EGRET_NAMESPACE, name });
    const data = Object.fromEntries(
      Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    return { secret: s, data };
  };
  const writes = (name: string) =>
    world.kube
      .requests()
      .filter(
        (r) => r.resource === 'secrets' && r.name === name && ['create', 'update', 'patch'].includes(r.verb),
      ).length;

  before(async () => {
    world = await startEgretKube();
    cluster = createClientNodeRelayCluster({ kubeConfig: world.kc, clock: new ManualClock(), log });
  });
  after(async () => world.stop());

  it('creates the Secret once and reuses it afterwards, without writing', async () => {
    const c = sgc('web', 'uid-1');
    const first = await ensure(c);
    const { secret, data } = await read('sgw-uid-1');
    assert.equal(first.publicKey, data['PublicKey']);
    assert.equal(wireGuardPublicKey(data['PrivateKey']!), data['PublicKey']);
    assert.equal(secret.type, 'Opaque');
    assert.equal(
      secret.metadata!.labels!['egressgateway.kubernetes.azure.com/owning-gateway-config-name'],
      'web',
    );
    const before = writes('sgw-uid-1');
    const again = await ensure(c);
    assert.deepEqual(again, first);
    assert.equal(writes('sgw-uid-1'), before, 'reuse does not write');
  });

  it('two replicas ensuring at once end with one Secret and the same key', async () => {
    const c = sgc('race', 'uid-2');
    const [x, y] = await Promise.all([ensure(c), ensure(c)]);
    assert.equal(x.publicKey, y.publicKey);
    assert.equal((await read('sgw-uid-2')).data['PublicKey'], x.publicKey);
  });

  it('repairs a wrong PublicKey and missing labels, keeping the private key', async () => {
    const c = sgc('repair', 'uid-3');
    const original = await ensure(c);
    const { secret, data } = await read('sgw-uid-3');
    await world.core.replaceNamespacedSecret({
      namespace: EGRET_NAMESPACE,
      name: 'sgw-uid-3',
      body: {
        ...secret,
        metadata: { ...secret.metadata, labels: {} },
        data: { ...secret.data, PublicKey: Buffer.from('garbage').toString('base64') },
      },
    });
    const repaired = await ensure(c);
    assert.equal(repaired.publicKey, original.publicKey);
    const after = await read('sgw-uid-3');
    assert.equal(after.data['PrivateKey'], data['PrivateKey']);
    assert.equal(after.data['PublicKey'], original.publicKey);
    assert.equal(
      after.secret.metadata!.labels!['egressgateway.kubernetes.azure.com/owning-gateway-config-namespace'],
      'team-a',
    );
  });

  it('replaces an unusable private key with a new pair, and says so', async () => {
    const c = sgc('broken', 'uid-4');
    await world.core.createNamespacedSecret({
      namespace: EGRET_NAMESPACE,
      body: {
        metadata: { name: 'sgw-uid-4' },
        data: { PrivateKey: Buffer.from('not a key').toString('base64') },
      },
    });
    const result = await ensure(c);
    const { data } = await read('sgw-uid-4');
    assert.equal(wireGuardPublicKey(data['PrivateKey']!), result.publicKey);
    assert.ok(
      logs.some((l) => l['level'] === 'warn' && String(l['message']).includes('no valid private key')),
    );
    assert.ok(!JSON.stringify(logs).includes(data['PrivateKey']!), 'the private key is never logged');
  });

  it('a configuration name longer than a label value allows gets no name label but a Secret all the same', async () => {
    const long = `x${'y'.repeat(80)}`;
    await ensure(sgc(long, 'uid-5'));
    const { secret } = await read('sgw-uid-5');
    assert.equal(
      secret.metadata!.labels!['egressgateway.kubernetes.azure.com/owning-gateway-config-name'],
      undefined,
    );
    assert.equal(
      secret.metadata!.labels!['egressgateway.kubernetes.azure.com/owning-gateway-config-namespace'],
      'team-a',
    );
  });
});
