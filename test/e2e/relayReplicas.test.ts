/* eslint-disable @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Relay processes come and go, end to end with nothing doubled (issue 4 §5): every relay restarted →
 * the same WireGuard keys, no duplicate Secret; two replicas and the leader killed with SIGKILL (no
 * shutdown, its Lease left held) → the other takes over once the Lease expires and the changes made
 * after the kill reach Azure and the custom resources.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readyOf, startE2eWorld, type E2eWorld } from './support/e2eWorld.js';

describe('relay replicas, end to end', () => {
  let w: E2eWorld;
  before(async () => {
    w = await startE2eWorld({ relays: 2 });
  });
  after(() => w?.stop());

  const keys = async () =>
    (await w.keySecrets())
      .map((s) => ({
        name: s.metadata!.name!,
        uid: s.metadata!.uid!,
        resourceVersion: s.metadata!.resourceVersion!,
        data: s.data,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));

  it('every relay restarted: the same keys, no duplicate Secrets, and the new relay carries on', async () => {
    for (const name of ['alpha', 'beta']) await w.apply(name, { gatewayNodepoolName: 'gw' });
    const publicKeys = async () =>
      Promise.all(
        ['alpha', 'beta'].map(async (n) => (await w.ready(n)).status.gatewayServerProfile.publicKey),
      );
    const publicKeysBefore = await publicKeys();
    const before = await keys();
    assert.equal(before.length, 2);

    for (const r of [...w.sandbox.relays]) await r.stop();
    assert.equal(await w.leader(), undefined, 'the last one released the Lease');
    const restarted = await w.sandbox.startRelay('egret-relay-0');
    assert.equal((await w.leaderProcess()).pid, restarted.pid);

    // The restarted relay acts: a new configuration gets its key and its status.
    await w.apply('gamma', { gatewayNodepoolName: 'vmgw', provisionPublicIps: false });
    await w.ready('gamma');
    const after = await keys();
    assert.equal(after.length, 3, 'one Secret per configuration');
    assert.deepEqual(
      after.filter((k) => before.some((b) => b.name === k.name)),
      before,
      'the existing Secrets untouched: same object, same resourceVersion, same keys',
    );
    assert.deepEqual(await publicKeys(), publicKeysBefore);
  });

  it('two replicas, the leader killed: the other takes over and the changes made after the kill arrive', async () => {
    await w.sandbox.startRelay('egret-relay-1');
    const leader = await w.leaderProcess();
    const standby = w.sandbox.relays.find((r) => !r.hasExited() && r !== leader)!;
    await leader.kill();
    assert.equal(await w.leader(), leader.identity, 'a killed relay releases nothing');

    // Made right after the kill: only the standby can forward them, once the Lease has expired.
    const delta = (await w.apply('delta', { gatewayNodepoolName: 'gw' })).metadata.uid as string;
    await w.apply('alpha', { gatewayNodepoolName: 'gw', excludeCidrs: ['10.0.0.0/8'] });
    await w.delete('beta');

    const ready = await w.ready('delta');
    assert.equal(await w.leader(), standby.identity);
    const fp = await w.footprint(delta);
    assert.equal(ready.status.egressIpPrefix, fp.prefix);
    assert.deepEqual(Object.keys(fp.ipConfigs).sort(), ['aks-gw-vmss/0', 'aks-gw-vmss/1']);
    const alpha = await w.ready('alpha');
    assert.equal(alpha.status.observedGeneration, 2);
    await w.until('beta to disappear', async () => (await w.tryGet('beta')) === undefined);
    assert.equal(readyOf(await w.get('gamma'))?.status, 'True');

    const names = (await keys()).map((k) => k.name);
    assert.equal(names.length, 3, `one Secret per configuration: ${names.join(', ')}`);
    assert.equal(new Set(names).size, 3);
  });
});
