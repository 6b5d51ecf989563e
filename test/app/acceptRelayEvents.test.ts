/**
 * The relayEvents / relayStatus contract at the use-case level: authentication (401 reasons), body
 * problems named with their path (400), idempotence by uid + resourceVersion, full SYNC deletions (with
 * the guard for objects created after the relay listed), and configurations that never reach a pool.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { acceptRelayEvents } from '../../shared/app/acceptRelayEvents.js';
import { TransientError, ValidationError } from '../../shared/core/errors.js';
import { reconcilePool } from '../../shared/app/reconcilePool.js';
import type { StateStore } from '../../shared/ports/stateStore.js';
import { readRelayStatus } from '../../shared/app/readRelayStatus.js';
import type { SignedRequest } from '../../shared/app/authenticateRelayRequest.js';
import { relayAuth, signedRelayRequest } from '../support/relaySigning.js';
import { CLUSTER, SECRET, createAppWorld, ready, sgc, vmssSpec } from './support/appWorld.js';

const signal = AbortSignal.timeout(60_000);

describe('acceptRelayEvents', () => {
  it('refuses a missing, wrong, stale, tampered or replayed signature', async () => {
    const w = createAppWorld('vmss');
    const body = JSON.stringify({ clusterId: CLUSTER, events: [] });
    const now = w.clock.nowMs() / 1000;
    const sign = (over: Partial<Parameters<typeof signedRelayRequest>[0]> = {}) =>
      signedRelayRequest({
        secret: SECRET,
        method: 'POST',
        url: '/api/relay/events',
        body,
        nowSeconds: now,
        ...over,
      });
    const send = (r: SignedRequest) => acceptRelayEvents(w.deps, r, signal);
    const good = sign();
    const noHeaders = { ...good, headers: { ...good.headers, nonce: undefined } };
    assert.deepEqual(await send(noHeaders), { kind: 'unauthorized', reason: 'missing-header' });
    assert.deepEqual(await send(sign({ secret: 'another-secret-of-at-least-32-chars!!' })), {
      kind: 'unauthorized',
      reason: 'bad-signature',
    });
    assert.deepEqual(await send(sign({ nowSeconds: now - 301 })), { kind: 'unauthorized', reason: 'stale' });
    const tampered = { ...good, body: new TextEncoder().encode(body + ' ') };
    assert.equal((await send(tampered)).kind, 'unauthorized');
    const otherPath = { ...good, target: { ...good.target, path: '/api/relay/other' } };
    assert.equal((await send(otherPath)).kind, 'unauthorized', 'the path is signed');
    const otherMethod = { ...good, target: { ...good.target, method: 'PUT' } };
    assert.equal((await send(otherMethod)).kind, 'unauthorized', 'the method is signed');
    assert.equal((await send(good)).kind, 'accepted');
    // An exact replay within the window (issue 12: each one enqueued work) is refused.
    assert.deepEqual(await send(good), { kind: 'unauthorized', reason: 'replayed' });
    assert.equal((await send(sign())).kind, 'accepted', 'a new nonce is a new request');
  });

  it('binds the body to the cluster it was signed for, and a cluster may have its own secret', async () => {
    const w = createAppWorld('vmss');
    const own = 'own-secret-of-cluster-b-at-least-32-chars';
    const deps = { ...w.deps, relay: relayAuth(SECRET, w.clock, { 'cluster-b': own }) };
    const now = w.clock.nowMs() / 1000;
    const body = (clusterId: string) => JSON.stringify({ clusterId, events: [] });
    const req = (secret: string, clusterId: string, signedFor = clusterId) =>
      signedRelayRequest({
        secret,
        method: 'POST',
        url: '/api/relay/events',
        body: body(clusterId),
        nowSeconds: now,
        clusterId: signedFor,
      });
    assert.equal((await acceptRelayEvents(deps, req(own, 'cluster-b'), signal)).kind, 'accepted');
    assert.deepEqual(await acceptRelayEvents(deps, req(SECRET, 'cluster-b'), signal), {
      kind: 'unauthorized',
      reason: 'bad-signature',
    });
    const crossed = await acceptRelayEvents(deps, req(SECRET, 'cluster-b', CLUSTER), signal);
    assert.equal(crossed.kind, 'invalid');
    assert.deepEqual(crossed.kind === 'invalid' ? crossed.problems.map((p) => p.field) : [], ['clusterId']);
  });

  it('names every problem of a malformed body and stores nothing', async () => {
    const w = createAppWorld('vmss');
    const good = sgc('ok', vmssSpec());
    const r = await w.send({
      clusterId: CLUSTER,
      events: [
        { type: 'ADDED', object: good },
        { type: 'UPSERT', object: { ...good, metadata: { ...good.metadata, uid: '' } } },
      ],
    });
    assert.equal(r.kind, 'invalid');
    assert.deepEqual(
      (r.kind === 'invalid' ? r.problems : []).map((p) => p.field),
      ['events[1].type', 'events[1].object.metadata.uid'],
    );
    assert.deepEqual(await w.state.listConfigurations({ clusterId: CLUSTER }, signal), []);
    const notJson = await acceptRelayEvents(
      w.deps,
      signedRelayRequest({
        secret: SECRET,
        method: 'POST',
        url: '/api/relay/events',
        body: '{',
        nowSeconds: w.clock.nowMs() / 1000,
        clusterId: CLUSTER,
      }),
      signal,
    );
    assert.equal(notJson.kind, 'invalid');
  });

  it('takes replays, duplicates and out-of-order events without changing the outcome', async () => {
    const w = createAppWorld('vmss');
    const v1 = sgc('gw', vmssSpec(31), { generation: 1, resourceVersion: '500' });
    const v2 = sgc(
      'gw',
      { ...vmssSpec(31), excludeCidrs: ['10.0.0.0/8'] },
      { generation: 2, resourceVersion: '501' },
    );
    const r = await w.send({
      clusterId: CLUSTER,
      events: [
        { type: 'MODIFIED', object: v2 },
        { type: 'ADDED', object: v1 },
      ],
    });
    assert.deepEqual((r as { outcomes: unknown }).outcomes, { created: 1, stale: 1 });
    const again = await w.send({ clusterId: CLUSTER, events: [{ type: 'MODIFIED', object: v2 }] });
    assert.deepEqual((again as { outcomes: unknown }).outcomes, { unchanged: 1 });
    const stored = await w.state.getConfiguration({ clusterId: CLUSTER, uid: 'uid-gw' }, signal);
    assert.deepEqual((stored?.spec as { excludeCidrs?: string[] }).excludeCidrs, ['10.0.0.0/8']);
  });

  it('a reconcile that runs while a request is still storing leaves the pool dirty for what it missed', async () => {
    // Found by the control-plane bench: the request marked the pool dirty before its first store, a
    // reconcile round ran between two stores and reported that dirt handled, and the configuration
    // stored afterwards waited for the resync timer.
    const w = createAppWorld('vmss');
    let releaseSecond!: () => void;
    const secondStored = new Promise<void>((resolve) => (releaseSecond = resolve));
    let firstStored!: () => void;
    const firstDone = new Promise<void>((resolve) => (firstStored = resolve));
    const state: StateStore = Object.create(w.state) as StateStore;
    state.upsertConfiguration = async (input, s) => {
      if (input.uid === 'uid-b') await secondStored;
      const outcome = await w.state.upsertConfiguration(input, s);
      if (input.uid === 'uid-a') firstStored();
      return outcome;
    };
    const body = JSON.stringify({
      clusterId: CLUSTER,
      events: [
        { type: 'ADDED', object: sgc('a', vmssSpec(31)) },
        { type: 'ADDED', object: sgc('b', vmssSpec(31)) },
      ],
    });
    const request = acceptRelayEvents(
      { ...w.deps, state },
      signedRelayRequest({
        secret: SECRET,
        method: 'POST',
        url: '/api/relay/events',
        body,
        nowSeconds: w.clock.nowMs() / 1000,
      }),
      signal,
    );
    await firstDone;
    const [a] = await w.state.listConfigurations({ clusterId: CLUSTER }, signal);
    const poolKey = a!.poolKey;
    const early = await reconcilePool(w.deps, { poolKey, reason: 'test', holderId: 'early' }, signal);
    assert.notEqual(early.kind, 'busy', 'the early reconcile ran while b was not stored yet');
    releaseSecond();
    assert.equal((await request).kind, 'accepted');

    const pool = await w.state.getPool({ poolKey }, signal);
    assert.ok(
      pool !== undefined && pool.dirtyGeneration > pool.reconciledGeneration,
      `the pool must still need work after b was stored: ${JSON.stringify(pool)}`,
    );
    await w.drain();
    const items = await w.status();
    assert.deepEqual(
      items.map((i) => [i.name, ready(i)]),
      [
        ['a', 'True/Reconciled'],
        ['b', 'True/Reconciled'],
      ],
    );
  });

  it('a full SYNC deletes configurations missing from it, but not ones created after the relay listed', async () => {
    const w = createAppWorld('vmss');
    await w.send({
      clusterId: CLUSTER,
      events: [
        { type: 'ADDED', object: sgc('a', vmssSpec(), { resourceVersion: '10' }) },
        { type: 'ADDED', object: sgc('b', vmssSpec(), { resourceVersion: '11' }) },
      ],
    });
    // b is deleted in the cluster but its DELETED is lost; later `late` is created and forwarded
    // before a SYNC that was listed earlier arrives (a delayed or replayed request)
    w.clock.advance(10 * 60_000);
    await w.send({
      clusterId: CLUSTER,
      events: [{ type: 'ADDED', object: sgc('late', vmssSpec(), { resourceVersion: '40' }) }],
    });
    const r = await w.send({
      clusterId: CLUSTER,
      fullSync: true,
      events: [{ type: 'SYNC', object: sgc('a', vmssSpec(), { resourceVersion: '10' }) }],
    });
    assert.equal((r as { deletedBySync: number }).deletedBySync, 1);
    const byName = new Map(
      (await w.state.listConfigurations({ clusterId: CLUSTER }, signal)).map((c) => [
        c.name,
        c.deletedAt !== undefined,
      ]),
    );
    assert.deepEqual(Object.fromEntries(byName), { a: false, b: true, late: false });
    // an empty cluster says so explicitly; `late` is still too recent to be judged by a list that may
    // predate it, the next SYNC deletes it
    const empty = await w.send({ clusterId: CLUSTER, fullSync: true, events: [] });
    assert.equal((empty as { deletedBySync: number }).deletedBySync, 1);
    w.clock.advance(6 * 60_000);
    const next = await w.send({ clusterId: CLUSTER, fullSync: true, events: [] });
    assert.equal((next as { deletedBySync: number }).deletedBySync, 1);
    assert.ok(
      (await w.state.listConfigurations({ clusterId: CLUSTER }, signal)).every(
        (c) => c.deletedAt !== undefined,
      ),
    );
  });

  it('refuses non-SYNC events in a fullSync request', async () => {
    const w = createAppWorld('vmss');
    const r = await w.send({
      clusterId: CLUSTER,
      fullSync: true,
      events: [{ type: 'ADDED', object: sgc('a', vmssSpec()) }],
    });
    assert.deepEqual(r, {
      kind: 'invalid',
      problems: [{ field: 'events[0].type', message: 'must be SYNC in a fullSync request' }],
    });
  });

  it('reports an invalid new configuration at once and finalizes it on delete without any pool', async () => {
    const w = createAppWorld('vmss');
    await w.send({
      clusterId: CLUSTER,
      events: [{ type: 'ADDED', object: sgc('bad', { provisionPublicIps: true }) }],
    });
    let [item] = await w.status();
    assert.equal(ready(item), 'False/InvalidSpec');
    assert.equal(w.queue.size, 0, 'no pool to reconcile');
    await w.send({
      clusterId: CLUSTER,
      events: [{ type: 'DELETED', object: sgc('bad', { provisionPublicIps: true }) }],
    });
    [item] = await w.status();
    assert.equal(item?.finalized, true);
    assert.equal(ready(item), 'False/Finalized');
  });

  it('keeps the pool of a configuration whose spec became invalid (its gateway is not stripped)', async () => {
    const w = createAppWorld('vmss');
    await w.send({
      clusterId: CLUSTER,
      events: [{ type: 'ADDED', object: sgc('gw', vmssSpec(), { generation: 1 }) }],
    });
    await w.drain();
    const writes = w.arm.writes.length;
    await w.send({
      clusterId: CLUSTER,
      events: [
        {
          type: 'MODIFIED',
          object: sgc('gw', { ...vmssSpec(), defaultRoute: 'nowhere' as never }, { generation: 2 }),
        },
      ],
    });
    await w.drain();
    const [item] = await w.status();
    assert.equal(ready(item), 'False/InvalidSpec');
    assert.match(item!.status.egressIpPrefix ?? '', /\/31$/, 'the egress prefix is still reported');
    assert.equal(w.arm.writes.length, writes, 'no Azure write for the invalid spec');
    assert.equal(w.arm.world.prefixes.length, 1);
  });

  it('relayStatus answers 400 without a cluster id, 401 without a signature, and binds cluster and query', async () => {
    const w = createAppWorld('vmss');
    const status = (clusterId: string | undefined, signedFor = CLUSTER, url?: string) =>
      readRelayStatus(
        w.deps,
        {
          ...signedRelayRequest({
            secret: SECRET,
            method: 'GET',
            url: url ?? `/api/relay/status?clusterId=${encodeURIComponent(clusterId ?? '')}`,
            body: '',
            nowSeconds: w.clock.nowMs() / 1000,
            clusterId: signedFor,
          }),
          clusterId,
        },
        signal,
      );
    assert.equal((await status(undefined, CLUSTER, '/api/relay/status')).kind, 'invalid');
    assert.equal((await status('a/b')).kind, 'invalid');
    const unsigned = signedRelayRequest({
      secret: SECRET,
      method: 'GET',
      url: '/api/relay/status',
      body: '',
      nowSeconds: 0,
      clusterId: CLUSTER,
    });
    assert.equal(
      (
        await readRelayStatus(
          w.deps,
          { ...unsigned, headers: { ...unsigned.headers, signature: undefined }, clusterId: CLUSTER },
          signal,
        )
      ).kind,
      'unauthorized',
    );
    assert.deepEqual(await status(CLUSTER), { kind: 'ok', body: { items: [] } });
    // Issue 12: one captured signature read five clusters' status. Now the query and the cluster are signed.
    const captured = signedRelayRequest({
      secret: SECRET,
      method: 'GET',
      url: `/api/relay/status?clusterId=${CLUSTER}`,
      body: '',
      nowSeconds: w.clock.nowMs() / 1000,
      clusterId: CLUSTER,
    });
    const elsewhere = {
      ...captured,
      target: { ...captured.target, query: 'clusterId=other' },
      clusterId: 'other',
    };
    assert.deepEqual(await readRelayStatus(w.deps, elsewhere, signal), {
      kind: 'unauthorized',
      reason: 'bad-signature',
    });
    const otherCluster = await status('other', CLUSTER, '/api/relay/status?clusterId=other');
    assert.equal(otherCluster.kind, 'invalid', 'a signature for one cluster never reads another');
  });
});

describe('acceptRelayEvents when the store fails part-way (issue 12: a 400 after a partial store)', () => {
  const failing = (w: ReturnType<typeof createAppWorld>, error: Error): StateStore => {
    const state: StateStore = Object.create(w.state) as StateStore;
    state.upsertConfiguration = async (input, s) => {
      if (input.uid === 'uid-b') throw error;
      return w.state.upsertConfiguration(input, s);
    };
    return state;
  };
  const body = {
    clusterId: CLUSTER,
    events: [
      { type: 'ADDED', object: sgc('a', vmssSpec(31)) },
      { type: 'ADDED', object: sgc('b', vmssSpec(31)) },
    ],
  };
  const send = (w: ReturnType<typeof createAppWorld>, state: StateStore) =>
    acceptRelayEvents(
      { ...w.deps, state },
      signedRelayRequest({
        secret: SECRET,
        method: 'POST',
        url: '/api/relay/events',
        body: JSON.stringify(body),
        nowSeconds: w.clock.nowMs() / 1000,
      }),
      signal,
    );

  it('answers exactly what it accepted when the store refuses one event', async () => {
    const w = createAppWorld('vmss');
    const r = await send(w, failing(w, new ValidationError([{ field: 'uid', message: 'refused' }])));
    assert.equal(r.kind, 'accepted');
    if (r.kind !== 'accepted') return;
    assert.deepEqual(r.outcomes, { created: 1 });
    assert.deepEqual(r.rejected, [{ index: 1, field: 'events[1].uid', message: 'refused' }]);
    assert.deepEqual(
      w.queue.takeVisible().map((m) => m.poolKey),
      r.pools,
      'what was stored is enqueued',
    );
  });

  it('enqueues what was stored before a storage outage, then fails for the retry', async () => {
    const w = createAppWorld('vmss');
    await assert.rejects(send(w, failing(w, new TransientError('storage down'))), TransientError);
    const stored = await w.state.listConfigurations({ clusterId: CLUSTER }, signal);
    assert.deepEqual(
      stored.map((c) => c.uid),
      ['uid-a'],
    );
    assert.deepEqual(
      w.queue.takeVisible().map((m) => m.poolKey),
      [stored[0]!.poolKey],
      'the stored event is not left for the resync',
    );
  });
});
