/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Restarts and failover (stand-in + control-plane CONTRACT DOUBLE, leases through the real client-node):
 * a restarted relay reuses the key Secrets (same keys, no duplicates); when the leader dies without
 * releasing its lease the standby takes over once the lease expires, and never while the old leader
 * could still act.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EGRET_NAMESPACE } from '../k8s/support/egretKube.js';
import { LEASE, readyOf, startRelayWorld, type RelayWorld } from './support/relayWorld.js';

describe('relay restarts and failover (stand-in + control-plane contract double)', () => {
  let world: RelayWorld;
  before(async () => {
    world = await startRelayWorld();
  });
  after(async () => world.stop());

  const keysOf = async () =>
    (await world.keySecrets())
      .map((s) => ({ name: s.metadata!.name!, uid: s.metadata!.uid!, data: s.data }))
      .sort((a, b) => a.name.localeCompare(b.name));

  it('a restarted relay reuses the existing key Secrets: same keys, no duplicates', async () => {
    const first = await world.startReplica('relay-1');
    await world.eventually(() => first.relay.isLeader(), 'relay-1 to lead');
    for (const name of ['alpha', 'beta']) await world.apply(name, { gatewayNodepoolName: 'gwpool' });
    await world.eventually(async () => {
      for (const name of ['alpha', 'beta'])
        if (readyOf(await world.get(name))?.status !== 'True') return false;
      return true;
    }, 'alpha and beta Ready');
    const keysBefore = await keysOf();
    const publicKeysBefore = await Promise.all(
      ['alpha', 'beta'].map(async (n) => (await world.get(n)).status.gatewayServerProfile.publicKey),
    );
    assert.equal(keysBefore.length, 2);

    await first.stop(); // graceful: releases the lease
    const lease = await world.kube.objects.read({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'egret-relay', namespace: EGRET_NAMESPACE },
    });
    assert.equal((lease as any).spec.holderIdentity, undefined, 'the lease was released');

    const syncs = world.controlPlane.eventsRequests().filter((r) => r.body!.fullSync === true).length;
    const startedAt = world.clock.nowMs();
    const second = await world.startReplica('relay-2');
    await world.eventually(() => second.relay.isLeader(), 'relay-2 to lead');
    assert.ok(
      world.clock.nowMs() - startedAt < LEASE.durationMs,
      'a released lease is taken without waiting for expiry',
    );
    await world.eventually(
      () => world.controlPlane.eventsRequests().filter((r) => r.body!.fullSync === true).length > syncs,
      'the new term to start with a full SYNC',
    );
    // Let the new leader reconcile everything (several status polls).
    const gets = world.controlPlane.received.length;
    await world.eventually(() => world.controlPlane.received.length > gets + 6, 'a few rounds');

    assert.deepEqual(await keysOf(), keysBefore, 'the same Secrets with the same keys');
    const publicKeysAfter = await Promise.all(
      ['alpha', 'beta'].map(async (n) => (await world.get(n)).status.gatewayServerProfile.publicKey),
    );
    assert.deepEqual(publicKeysAfter, publicKeysBefore);
    await second.stop();
  });

  it('when the leader dies, the standby takes over after the lease expires and carries on', async () => {
    const leader = await world.startReplica('relay-3');
    await world.eventually(() => leader.relay.isLeader(), 'relay-3 to lead');
    const standby = await world.startReplica('relay-4');
    // The standby keeps its informers warm but does not act.
    await world.eventually(() => standby.relay.isReady(), 'relay-4 ready');
    const quiet = world.clock.nowMs();
    await world.eventually(() => world.clock.nowMs() - quiet > LEASE.durationMs * 2, 'two lease durations');
    assert.equal(standby.relay.isLeader(), false, 'the standby must not lead while the leader renews');
    assert.equal((await standby.metrics.leader.get()).values[0]?.value ?? 0, 0);

    await leader.kill();
    const killedAt = world.clock.nowMs();
    await world.eventually(() => standby.relay.isLeader(), 'relay-4 to take over');
    const waited = world.clock.nowMs() - killedAt;
    assert.ok(
      // A dead leader releases nothing: the standby had to wait for expiry (a released lease is taken within
      // one retry period). The exact wait depends on when the leader last renewed, so only half is required.
      waited >= LEASE.durationMs / 2,
      `took over after ${waited} ms, before the lease could expire`,
    );

    const lease: any = await world.kube.objects.read({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'egret-relay', namespace: EGRET_NAMESPACE },
    });
    assert.equal(lease.spec.holderIdentity, 'relay-4');
    assert.match(lease.spec.renewTime, /\.\d{6}Z$/, 'MicroTime with microseconds');
    assert.ok(lease.spec.leaseTransitions >= 2);

    await world.apply('gamma', { gatewayNodepoolName: 'gwpool' });
    const gamma = await world.eventually(async () => {
      const o = await world.get('gamma');
      return readyOf(o)?.status === 'True' && o.status.gatewayServerProfile?.publicKey ? o : undefined;
    }, 'gamma Ready under the new leader');
    assert.ok(gamma.metadata.finalizers.length === 1);
    assert.equal((await world.keySecrets()).length, 3, 'one key Secret per configuration');
  });
});
