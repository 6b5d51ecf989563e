/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * The relay end to end: real @kubernetes/client-node against the Kubernetes API stand-in, and the
 * control-plane CONTRACT DOUBLE (test/relay/support/contractControlPlane.ts), so the exact requests
 * can be asserted on a manual clock (the same flows against the real control plane: test/e2e). Apply → finalizer, key Secret, status with Ready=True; edit → status
 * follows; deeper-invalid spec → Ready=False with the reason; delete → finalizer held until the
 * control plane reports `finalized`, then the object and its key disappear.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { wireGuardPublicKey } from '../../agents/common/wireguard.js';
import { STATIC_GATEWAY_CONFIGURATION_FINALIZER } from '../../shared/core/wellKnown.js';
import { EGRET_KEY_NAMESPACE } from '../k8s/support/egretKube.js';
import { CLUSTER_ID, readyOf, startRelayWorld, type RelayWorld, type Replica } from './support/relayWorld.js';

describe('relay lifecycle (stand-in + control-plane contract double)', () => {
  let world: RelayWorld;
  let relay: Replica;
  before(async () => {
    world = await startRelayWorld();
    relay = await world.startReplica('relay-a');
    await world.eventually(() => relay.relay.isLeader(), 'relay-a to lead');
  });
  after(async () => {
    const problems = relay.logs.filter((l) => l['level'] === 'warn' || l['level'] === 'error');
    if (problems.length > 0) console.log('relay warnings:', JSON.stringify(problems, null, 1));
    await world.stop();
  });

  it('sends the empty-cluster SYNC first: fullSync with no events', async () => {
    const first = await world.eventually(
      () => world.controlPlane.eventsRequests()[0],
      'a first relayEvents request',
    );
    assert.equal(first.body!.fullSync, true);
    assert.equal(first.body!.clusterId, CLUSTER_ID);
    assert.deepEqual(first.body!.events, []);
  });

  it('apply: adds the finalizer, creates the key Secret and shows Ready=True with prefix, IP, port and key', async () => {
    const created = await world.apply('web', { gatewayNodepoolName: 'gwpool' });
    const uid: string = created.metadata.uid;
    const sgc = await world.eventually(async () => {
      const o = await world.get('web');
      return readyOf(o)?.status === 'True' && o.status.gatewayServerProfile?.publicKey !== undefined
        ? o
        : undefined;
    }, 'web to become Ready with a key');

    assert.deepEqual(sgc.metadata.finalizers, [STATIC_GATEWAY_CONFIGURATION_FINALIZER]);
    assert.equal(readyOf(sgc)!.reason, 'Reconciled');
    assert.equal(sgc.status.observedGeneration, 1);
    assert.match(sgc.status.egressIpPrefix, /^20\.0\.\d+\.0\/31$/);
    assert.equal(sgc.status.gatewayServerProfile.ip, '10.0.0.4');
    assert.ok(sgc.status.gatewayServerProfile.port >= 6000);
    assert.equal(sgc.status.gatewayVMProfiles.length, 2);
    assert.deepEqual(sgc.status.gatewayServerProfile.privateKeySecretRef, {
      apiVersion: 'v1',
      kind: 'Secret',
      name: `sgw-${uid}`,
      namespace: EGRET_KEY_NAMESPACE,
    });

    const secret = await world.kube.core.readNamespacedSecret({
      namespace: EGRET_KEY_NAMESPACE,
      name: `sgw-${uid}`,
    });
    const privateKey = Buffer.from(secret.data!['PrivateKey']!, 'base64').toString();
    const publicKey = Buffer.from(secret.data!['PublicKey']!, 'base64').toString();
    assert.equal(wireGuardPublicKey(privateKey), publicKey);
    assert.equal(sgc.status.gatewayServerProfile.publicKey, publicKey);
    assert.deepEqual(secret.metadata!.labels, {
      'egressgateway.kubernetes.azure.com/owning-gateway-config-namespace': 'default',
      'egressgateway.kubernetes.azure.com/owning-gateway-config-name': 'web',
      'app.kubernetes.io/managed-by': 'egret-relay',
    });

    // The private key never leaves the cluster: not in any request to the control plane, not in a log line.
    for (const r of world.controlPlane.received)
      assert.ok(!r.rawBody.includes(privateKey), 'private key sent to the control plane');
    assert.ok(!JSON.stringify(relay.logs).includes(privateKey), 'private key logged');
    const forwarded = world.controlPlane.eventsRequests().flatMap((r) => r.body!.events);
    assert.ok(forwarded.some((e) => e.object.metadata.uid === uid && ['ADDED', 'SYNC'].includes(e.type)));
  });

  it('writes status only when it changes', async () => {
    const before = await relay.metrics.statusPatches.get();
    const polls = world.controlPlane.received.filter((r) => r.method === 'GET').length;
    await world.eventually(
      () => world.controlPlane.received.filter((r) => r.method === 'GET').length >= polls + 5,
      'five more status polls',
    );
    const afterPatches = await relay.metrics.statusPatches.get();
    assert.ok((before.values[0]?.value ?? 0) >= 1, 'the status was written at least once');
    assert.equal(afterPatches.values[0]?.value, before.values[0]?.value);
  });

  it('edit: the control plane receives the new spec and the status follows the new generation', async () => {
    await world.apply('web', { gatewayNodepoolName: 'gwpool', excludeCidrs: ['10.0.0.0/8'] });
    const sgc = await world.eventually(async () => {
      const o = await world.get('web');
      return o.status?.observedGeneration === 2 && readyOf(o)?.status === 'True' ? o : undefined;
    }, 'observedGeneration 2');
    assert.equal(sgc.metadata.generation, 2);
    const modified = world.controlPlane
      .eventsRequests()
      .flatMap((r) => r.body!.events)
      .filter((e) => e.object.metadata.name === 'web' && e.object.metadata.generation === 2);
    assert.ok(modified.length >= 1);
    assert.deepEqual(modified[0]!.object.spec.excludeCidrs, ['10.0.0.0/8']);
    assert.equal(
      (modified[0]!.object.metadata as any).managedFields,
      undefined,
      'managedFields are not forwarded',
    );
  });

  it('a spec that passes the schema but fails deeper validation gets Ready=False with the reason', async () => {
    await world.apply('bad-cidr', { gatewayNodepoolName: 'gwpool', excludeCidrs: ['10.0.0.0/33'] });
    const sgc = await world.eventually(async () => {
      const o = await world.get('bad-cidr');
      return readyOf(o)?.status === 'False' ? o : undefined;
    }, 'bad-cidr to become Ready=False');
    assert.equal(readyOf(sgc)!.reason, 'InvalidSpec');
    assert.match(readyOf(sgc)!.message, /spec\.excludeCidrs\[0\]/);
    // The relay still owns the key, so the object is consistent once the spec is fixed.
    assert.ok(sgc.status.gatewayServerProfile.publicKey);
  });

  it('delete: the finalizer holds the object until the control plane reports finalized', async () => {
    world.controlPlane.holdDeletions = true;
    const sgc = await world.apply('doomed', { gatewayNodepoolName: 'gwpool' });
    const uid: string = sgc.metadata.uid;
    await world.eventually(
      async () => (await world.keySecrets()).some((s) => s.metadata!.name === `sgw-${uid}`),
      'doomed key Secret',
    );
    await world.eventually(async () => readyOf(await world.get('doomed'))?.status === 'True', 'doomed Ready');

    await world.delete('doomed');
    const deleting = await world.eventually(async () => {
      const o = await world.get('doomed');
      return readyOf(o)?.reason === 'Deleting' ? o : undefined;
    }, 'the Deleting condition');
    assert.ok(deleting.metadata.deletionTimestamp);
    assert.deepEqual(deleting.metadata.finalizers, [STATIC_GATEWAY_CONFIGURATION_FINALIZER]);
    // Several polls later it is still held.
    const polls = world.controlPlane.received.length;
    await world.eventually(
      () => world.controlPlane.received.length > polls + 4,
      'more control-plane traffic',
    );
    assert.ok(await world.tryGet('doomed'), 'deleted before the control plane finalized');

    world.controlPlane.releaseDeletion(uid);
    await world.eventually(async () => (await world.tryGet('doomed')) === undefined, 'doomed to disappear');
    const secrets = await world.keySecrets();
    assert.ok(!secrets.some((s) => s.metadata!.name === `sgw-${uid}`), 'key Secret left behind');
    await world.eventually(
      () =>
        world.controlPlane
          .eventsRequests()
          .some((r) => r.body!.events.some((e) => e.type === 'DELETED' && e.object.metadata.uid === uid)),
      'DELETED forwarded',
    );
    world.controlPlane.holdDeletions = false;
  });

  it('exposes the metrics', async () => {
    const text = await relay.metrics.registry.metrics();
    for (const name of [
      'egret_relay_forwarded_events_total',
      'egret_relay_status_patches_total',
      'egret_relay_queue_depth',
      'egret_relay_last_successful_sync_timestamp_seconds',
      'egret_relay_leader 1',
    ]) {
      assert.ok(text.includes(name), name);
    }
    assert.match(text, /egret_relay_forwarded_events_total\{type="SYNC"\} \d+/);
  });
});
