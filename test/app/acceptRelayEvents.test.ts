/**
 * The relayEvents / relayStatus contract at the use-case level: authentication (401 reasons), body
 * problems named with their path (400), idempotence by uid + resourceVersion, full SYNC deletions (with
 * the guard for objects created after the relay listed), and configurations that never reach a pool.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hmacSha256Hex } from '../../shared/adapters/system/hmacSha256Hex.js';
import { acceptRelayEvents } from '../../shared/app/acceptRelayEvents.js';
import { reconcilePool } from '../../shared/app/reconcilePool.js';
import type { StateStore } from '../../shared/ports/stateStore.js';
import { readRelayStatus } from '../../shared/app/readRelayStatus.js';
import { signRelayRequest } from '../../shared/core/relaySignature.js';
import { CLUSTER, SECRET, createAppWorld, ready, sgc, vmssSpec } from './support/appWorld.js';

const signal = AbortSignal.timeout(60_000);

describe('acceptRelayEvents', () => {
  it('refuses a missing, wrong or stale signature', async () => {
    const w = createAppWorld('vmss');
    const body = JSON.stringify({ clusterId: CLUSTER, events: [] });
    const now = w.clock.nowMs() / 1000;
    const good = signRelayRequest({ secret: SECRET, body, nowSeconds: now, hmac: hmacSha256Hex });
    const send = (timestamp: string | undefined, signature: string | undefined) =>
      acceptRelayEvents(w.deps, { timestamp, signature, rawBody: body }, signal);
    assert.deepEqual(await send(undefined, undefined), { kind: 'unauthorized', reason: 'missing-header' });
    const other = signRelayRequest({
      secret: 'another-secret-of-at-least-32-chars!!',
      body,
      nowSeconds: now,
      hmac: hmacSha256Hex,
    });
    assert.deepEqual(await send(other['X-Egret-Timestamp'], other['X-Egret-Signature']), {
      kind: 'unauthorized',
      reason: 'bad-signature',
    });
    const old = signRelayRequest({ secret: SECRET, body, nowSeconds: now - 301, hmac: hmacSha256Hex });
    assert.deepEqual(await send(old['X-Egret-Timestamp'], old['X-Egret-Signature']), {
      kind: 'unauthorized',
      reason: 'stale',
    });
    const tampered = await acceptRelayEvents(
      w.deps,
      { timestamp: good['X-Egret-Timestamp'], signature: good['X-Egret-Signature'], rawBody: body + ' ' },
      signal,
    );
    assert.equal(tampered.kind, 'unauthorized');
    assert.equal((await send(good['X-Egret-Timestamp'], good['X-Egret-Signature'])).kind, 'accepted');
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
      (() => {
        const h = signRelayRequest({
          secret: SECRET,
          body: '{',
          nowSeconds: w.clock.nowMs() / 1000,
          hmac: hmacSha256Hex,
        });
        return { timestamp: h['X-Egret-Timestamp'], signature: h['X-Egret-Signature'], rawBody: '{' };
      })(),
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
    const h = signRelayRequest({
      secret: SECRET,
      body,
      nowSeconds: w.clock.nowMs() / 1000,
      hmac: hmacSha256Hex,
    });
    const request = acceptRelayEvents(
      { ...w.deps, state },
      { timestamp: h['X-Egret-Timestamp'], signature: h['X-Egret-Signature'], rawBody: body },
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

  it('relayStatus answers 400 without a cluster id and 401 without a signature', async () => {
    const w = createAppWorld('vmss');
    const h = signRelayRequest({
      secret: SECRET,
      body: '',
      nowSeconds: w.clock.nowMs() / 1000,
      hmac: hmacSha256Hex,
    });
    const signed = { timestamp: h['X-Egret-Timestamp'], signature: h['X-Egret-Signature'], rawBody: '' };
    assert.equal(
      (await readRelayStatus(w.deps, { ...signed, clusterId: undefined }, signal)).kind,
      'invalid',
    );
    assert.equal((await readRelayStatus(w.deps, { ...signed, clusterId: 'a/b' }, signal)).kind, 'invalid');
    assert.equal(
      (
        await readRelayStatus(
          w.deps,
          { timestamp: undefined, signature: undefined, rawBody: '', clusterId: CLUSTER },
          signal,
        )
      ).kind,
      'unauthorized',
    );
    assert.deepEqual(await readRelayStatus(w.deps, { ...signed, clusterId: CLUSTER }, signal), {
      kind: 'ok',
      body: { items: [] },
    });
  });
});
