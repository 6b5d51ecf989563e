/* eslint-disable @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Control plane unreachable (stand-in + control-plane CONTRACT DOUBLE): the relay keeps handling
 * finalizers and keys, and once the control plane is back its first request is a full SYNC carrying
 * everything that changed meanwhile — creations, edits, deletions (including an object that vanished
 * without its finalizer). A periodic SYNC heals a control plane that lost state.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { STATIC_GATEWAY_CONFIGURATION_FINALIZER } from '../../shared/core/wellKnown.js';
import {
  CLUSTER_ID,
  readyOf,
  SGC,
  startRelayWorld,
  SYNC_INTERVAL_MS,
  type RelayWorld,
  type Replica,
} from './support/relayWorld.js';

describe('relay while the control plane is down (stand-in + control-plane contract double)', () => {
  let world: RelayWorld;
  let relay: Replica;
  const uids: Record<string, string> = {};

  before(async () => {
    world = await startRelayWorld();
    relay = await world.startReplica('relay-a');
    for (const name of ['keep', 'to-edit', 'to-delete', 'vanishes']) {
      uids[name] = (await world.apply(name, { gatewayNodepoolName: 'gwpool' })).metadata.uid;
    }
    await world.eventually(async () => {
      for (const name of Object.keys(uids))
        if (readyOf(await world.get(name))?.status !== 'True') return false;
      return true;
    }, 'all four Ready');
  });
  after(async () => world.stop());

  it('keeps working while the control plane is unreachable, and sends a full SYNC of every change once it is back', async () => {
    await world.controlPlane.setAvailability('refusing');
    const acceptedBefore = world.controlPlane.eventsRequests().length;

    uids['created-while-down'] = (
      await world.apply('created-while-down', { gatewayNodepoolName: 'gwpool' })
    ).metadata.uid;
    await world.apply('to-edit', { gatewayNodepoolName: 'gwpool', defaultRoute: 'azureNetworking' });
    await world.delete('to-delete');
    // An object that disappears without the relay's finalizer (removed by hand) while the control plane is down.
    await world.kube.custom.patchNamespacedCustomObject(
      { ...SGC, namespace: 'default', name: 'vanishes', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await world.delete('vanishes');

    // The relay does its cluster-side work without the control plane.
    const createdWhileDown = await world.eventually(async () => {
      const o = await world.get('created-while-down');
      return o.status?.gatewayServerProfile?.publicKey !== undefined ? o : undefined;
    }, 'the key of created-while-down');
    assert.deepEqual(createdWhileDown.metadata.finalizers, [STATIC_GATEWAY_CONFIGURATION_FINALIZER]);
    assert.equal(readyOf(createdWhileDown), undefined, 'no control-plane status yet');
    await world.eventually(
      async () => !(await world.keySecrets()).some((s) => s.metadata!.name === `sgw-${uids['vanishes']}`),
      'the key Secret of the vanished configuration to be deleted',
    );
    // The deleting object is held: the control plane has not said it is clean.
    assert.ok((await world.get('to-delete')).metadata.deletionTimestamp);

    // A while later (backoff keeps retrying) the control plane comes back.
    await world.eventually(async () => {
      const failures = (await relay.metrics.controlPlaneFailures.get()).values.reduce(
        (n, v) => n + v.value,
        0,
      );
      return failures >= 5;
    }, 'several failed attempts');
    assert.equal(
      world.controlPlane.eventsRequests().length,
      acceptedBefore,
      'nothing was accepted while down',
    );
    await world.controlPlane.setAvailability('up');

    const firstBack = await world.eventually(
      () => world.controlPlane.eventsRequests()[acceptedBefore],
      'the first request after the outage',
    );
    assert.equal(firstBack.body!.fullSync, true, 'the first request after an outage is a full SYNC');
    const byName = new Map(firstBack.body!.events.map((e) => [e.object.metadata.name, e]));
    assert.deepEqual([...byName.keys()].sort(), ['created-while-down', 'keep', 'to-delete', 'to-edit']);
    assert.ok(firstBack.body!.events.every((e) => e.type === 'SYNC'));
    assert.equal(byName.get('to-edit')!.object.spec.defaultRoute, 'azureNetworking');
    assert.ok(byName.get('to-delete')!.object.metadata.deletionTimestamp);
    assert.equal(
      world.controlPlane.known(CLUSTER_ID, uids['vanishes']!)?.gone,
      true,
      'missing from the SYNC means gone',
    );

    // Everything converges.
    await world.eventually(
      async () => readyOf(await world.get('created-while-down'))?.status === 'True',
      'created-while-down Ready',
    );
    await world.eventually(
      async () => (await world.get('to-edit')).status?.observedGeneration === 2,
      'to-edit at generation 2',
    );
    await world.eventually(async () => (await world.tryGet('to-delete')) === undefined, 'to-delete gone');
  });

  it('a periodic SYNC heals a control plane that lost a configuration', async () => {
    const uid = uids['keep']!;
    world.controlPlane.forget(CLUSTER_ID, uid);
    assert.equal(world.controlPlane.known(CLUSTER_ID, uid), undefined);
    const syncsBefore = world.controlPlane.eventsRequests().filter((r) => r.body!.fullSync === true).length;
    world.clock.advance(SYNC_INTERVAL_MS);
    await world.eventually(
      () => world.controlPlane.eventsRequests().filter((r) => r.body!.fullSync === true).length > syncsBefore,
      'a periodic SYNC',
      0,
    );
    assert.ok(world.controlPlane.known(CLUSTER_ID, uid), 'the SYNC told the control plane about keep again');
    await world.eventually(
      async () =>
        (await relay.metrics.lastSuccessfulSync.get()).values[0]!.value ===
        Math.floor(world.clock.nowMs() / 1000),
      'the last-successful-sync metric to move to now',
      0,
    );
  });

  it('a 503 answer is retried with backoff like an unreachable one', async () => {
    await world.controlPlane.setAvailability('failing');
    const accepted = world.controlPlane.eventsRequests().length;
    await world.apply('during-503', { gatewayNodepoolName: 'gwpool' });
    await world.eventually(
      () => world.controlPlane.refused.filter((r) => r.status === 503).length >= 3,
      'three refusals',
    );
    assert.equal(world.controlPlane.eventsRequests().length, accepted);
    await world.controlPlane.setAvailability('up');
    await world.eventually(
      async () => readyOf(await world.get('during-503'))?.status === 'True',
      'during-503 Ready',
    );
  });
});
