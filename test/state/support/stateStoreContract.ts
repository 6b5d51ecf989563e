/**
 * The StateStore contract (shared/ports/stateStore.ts) as one suite, registered per table
 * implementation: the in-memory tables, Table Storage on Azurite by connection string, and — as a
 * smoke subset — Table Storage reached with a managed identity's bearer tokens. Every test uses its own
 * table prefix. Includes the table seam itself: ETags, create-only, atomic same-partition
 * transactions, Int64/DateTime round trips.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StateTableFactory } from '../../../shared/adapters/tables/stateTable.js';
import { createTableStateStore } from '../../../shared/adapters/tables/createTableStateStore.js';
import { ConflictError, NotFoundError, ValidationError } from '../../../shared/core/errors.js';
import type { StateStore } from '../../../shared/ports/stateStore.js';

const signal = new AbortController().signal;
const T0 = Date.parse('2026-02-01T12:00:00.000Z');

interface World {
  readonly store: StateStore;
  readonly tables: StateTableFactory;
  readonly prefix: string;
  /** Moves the store's clock forward. */
  advance(ms: number): void;
}

let worlds = 0;

/**
 * Registers the StateStore contract for one table implementation. `subset: 'smoke'` registers one
 * test per table and seam operation (create/get/replace/delete/query/transaction on every table), for
 * a second path to the same storage (identity-based access); the full contract runs elsewhere.
 */
export function stateStoreContract(
  kind: string,
  makeTables: () => StateTableFactory,
  options: { readonly subset?: 'full' | 'smoke' } = {},
): void {
  const smoke = it;
  const full: (name: string, fn: () => Promise<void>) => unknown =
    options.subset === 'smoke' ? () => undefined : it;
  const world = (): World => {
    let now = T0;
    const prefix = `t${++worlds}x${Date.now() % 100000}`;
    const tables = makeTables();
    let id = 0;
    const store = createTableStateStore({
      tables,
      tablePrefix: prefix,
      clock: { nowMs: () => now },
      newId: () => String(++id).padStart(6, '0'),
    });
    return { store, tables, prefix, advance: (ms) => (now += ms) };
  };
  const cfg = (over: Partial<Parameters<StateStore['upsertConfiguration']>[0]> = {}) => ({
    clusterId: 'cluster-a',
    uid: 'uid-1',
    namespace: 'ns',
    name: 'gw',
    poolKey: 'vmss:rg:gw',
    version: { generation: 1, sequence: 100 },
    spec: { gatewayNodepoolName: 'gw', excludeCidrs: ['10.0.0.0/8'] },
    ...over,
  });

  describe(`${kind}: table seam`, () => {
    smoke('guards replace and delete with ETags, and create is create-only', async () => {
      const { tables, prefix } = world();
      const t = await tables(`${prefix}Seam`, signal);
      const e1 = await t.create(
        { partitionKey: 'p', rowKey: 'r', props: { n: 1n, at: new Date(T0), s: 'x' } },
        signal,
      );
      await assert.rejects(t.create({ partitionKey: 'p', rowKey: 'r', props: {} }, signal), ConflictError);
      const e2 = await t.replace({ partitionKey: 'p', rowKey: 'r', props: { n: 2n } }, e1, signal);
      assert.notEqual(e2, e1);
      await assert.rejects(
        t.replace({ partitionKey: 'p', rowKey: 'r', props: { n: 3n } }, e1, signal),
        ConflictError,
      );
      await assert.rejects(t.delete('p', 'r', e1, signal), ConflictError);
      const got = await t.get('p', 'r', signal);
      assert.deepEqual(got?.props, { n: 2n });
      await t.delete('p', 'r', e2, signal);
      assert.equal(await t.get('p', 'r', signal), undefined);
      await assert.rejects(t.delete('p', 'r', '*', signal), NotFoundError);
      await assert.rejects(
        t.replace({ partitionKey: 'p', rowKey: 'r', props: {} }, '*', signal),
        NotFoundError,
      );
    });

    smoke(
      'round-trips Int64 beyond 2^31 as bigint, DateTime as Date, strings, booleans and small ints',
      async () => {
        const { tables, prefix } = world();
        const t = await tables(`${prefix}Types`, signal);
        const props = { big: 2n ** 40n, at: new Date(T0 + 123), s: 'héllo', yes: true, small: 6001 };
        await t.create({ partitionKey: 'p', rowKey: 'r', props }, signal);
        assert.deepEqual((await t.get('p', 'r', signal))?.props, props);
      },
    );

    smoke('applies a same-partition transaction atomically', async () => {
      const { tables, prefix } = world();
      const t = await tables(`${prefix}Tx`, signal);
      await t.create({ partitionKey: 'p', rowKey: 'taken', props: { v: 'old' } }, signal);
      await assert.rejects(
        t.transact(
          'p',
          [
            { kind: 'create', row: { partitionKey: 'p', rowKey: 'new', props: { v: 'new' } } },
            { kind: 'create', row: { partitionKey: 'p', rowKey: 'taken', props: { v: 'clash' } } },
          ],
          signal,
        ),
        ConflictError,
      );
      assert.equal(await t.get('p', 'new', signal), undefined, 'the first create was rolled back');
      const taken = (await t.get('p', 'taken', signal))!;
      await t.transact(
        'p',
        [
          { kind: 'create', row: { partitionKey: 'p', rowKey: 'new', props: { v: 'new' } } },
          {
            kind: 'replace',
            row: { partitionKey: 'p', rowKey: 'taken', props: { v: 'mine' } },
            etag: taken.etag,
          },
        ],
        signal,
      );
      assert.deepEqual(
        (await t.query({ partitionKey: 'p' }, signal)).map((r) => [r.rowKey, r.props.v]),
        [
          ['new', 'new'],
          ['taken', 'mine'],
        ],
      );
      await assert.rejects(
        t.transact(
          'p',
          [{ kind: 'replace', row: { partitionKey: 'p', rowKey: 'new', props: {} }, etag: taken.etag }],
          signal,
        ),
        ConflictError,
      );
    });

    full('rejects keys Table Storage cannot hold before sending anything', async () => {
      const { tables, prefix } = world();
      const t = await tables(`${prefix}Keys`, signal);
      for (const bad of ['a/b', 'a\\b', 'a#b', 'a?b', 'tab\there', '\u007f', '', 'x'.repeat(513)])
        await assert.rejects(
          t.create({ partitionKey: 'p', rowKey: bad, props: {} }, signal),
          ValidationError,
          JSON.stringify(bad),
        );
      await t.create({ partitionKey: 'vmss:rg(1):gw.pool', rowKey: 'x'.repeat(512), props: {} }, signal);
    });

    full('stops when the signal is aborted', async () => {
      const { tables, prefix } = world();
      const t = await tables(`${prefix}Abort`, signal);
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(t.get('p', 'r', ac.signal), (e: Error) => e.name === 'AbortError');
    });
  });

  describe(`${kind}: desired configurations`, () => {
    smoke('stores newer versions, ignores replays and older versions', async () => {
      const { store } = world();
      assert.equal(await store.upsertConfiguration(cfg(), signal), 'created');
      assert.equal(await store.upsertConfiguration(cfg(), signal), 'unchanged');
      const newer = cfg({ version: { generation: 1, sequence: 200 }, spec: { gatewayNodepoolName: 'gw2' } });
      assert.equal(await store.upsertConfiguration(newer, signal), 'updated');
      const older = cfg({ version: { generation: 1, sequence: 150 }, spec: { gatewayNodepoolName: 'old' } });
      assert.equal(await store.upsertConfiguration(older, signal), 'stale');
      const lowerGeneration = cfg({ version: { generation: 0, sequence: 999 }, spec: { x: 1 } });
      assert.equal(await store.upsertConfiguration(lowerGeneration, signal), 'stale');
      const got = await store.getConfiguration({ clusterId: 'cluster-a', uid: 'uid-1' }, signal);
      assert.deepEqual(got, {
        clusterId: 'cluster-a',
        uid: 'uid-1',
        namespace: 'ns',
        name: 'gw',
        poolKey: 'vmss:rg:gw',
        version: { generation: 1, sequence: 200 },
        spec: { gatewayNodepoolName: 'gw2' },
        updatedAt: new Date(T0),
      });
    });

    full('lists by cluster and by pool', async () => {
      const { store } = world();
      await store.upsertConfiguration(cfg({ uid: 'u2' }), signal);
      await store.upsertConfiguration(cfg({ uid: 'u1', poolKey: 'vmss:rg:other' }), signal);
      await store.upsertConfiguration(cfg({ clusterId: 'cluster-b', uid: 'u3' }), signal);
      assert.deepEqual(
        (await store.listConfigurations({ clusterId: 'cluster-a' }, signal)).map((c) => c.uid),
        ['u1', 'u2'],
      );
      assert.deepEqual(
        (await store.listConfigurationsByPool({ poolKey: 'vmss:rg:gw' }, signal)).map(
          (c) => `${c.clusterId}/${c.uid}`,
        ),
        ['cluster-a/u2', 'cluster-b/u3'],
      );
      assert.deepEqual(
        (await store.listAllConfigurations(signal)).map((c) => `${c.clusterId}/${c.uid}/${c.poolKey}`),
        ['cluster-a/u1/vmss:rg:other', 'cluster-a/u2/vmss:rg:gw', 'cluster-b/u3/vmss:rg:gw'],
      );
    });

    full(
      'keeps a tombstone after delete, so late upserts are ignored, until finalized and purged',
      async () => {
        const w = world();
        const { store } = w;
        await store.upsertConfiguration(cfg(), signal);
        w.advance(1000);
        const deleted = await store.markConfigurationDeleted(
          { clusterId: 'cluster-a', uid: 'uid-1' },
          signal,
        );
        assert.deepEqual(deleted.deletedAt, new Date(T0 + 1000));
        assert.deepEqual(deleted.spec, cfg().spec, 'the spec is kept for the cleanup');
        const again = await store.markConfigurationDeleted({ clusterId: 'cluster-a', uid: 'uid-1' }, signal);
        assert.deepEqual(again.deletedAt, new Date(T0 + 1000), 'idempotent');
        const newer = cfg({ version: { generation: 2, sequence: 1 } });
        assert.equal(await store.upsertConfiguration(newer, signal), 'tombstoned');

        w.advance(1000);
        const fin = await store.finalizeConfiguration({ clusterId: 'cluster-a', uid: 'uid-1' }, signal);
        assert.deepEqual(fin.finalizedAt, new Date(T0 + 2000));
        assert.deepEqual(
          (await store.finalizeConfiguration({ clusterId: 'cluster-a', uid: 'uid-1' }, signal)).finalizedAt,
          new Date(T0 + 2000),
        );
        assert.equal(
          await store.purgeFinalizedConfigurations({ finalizedBefore: new Date(T0 + 2000) }, signal),
          0,
        );
        assert.equal(
          await store.purgeFinalizedConfigurations({ finalizedBefore: new Date(T0 + 2001) }, signal),
          1,
        );
        assert.equal(
          await store.getConfiguration({ clusterId: 'cluster-a', uid: 'uid-1' }, signal),
          undefined,
        );
      },
    );

    full(
      'records a delete that arrives before the create, and refuses to finalize what is not deleted',
      async () => {
        const { store } = world();
        const tomb = await store.markConfigurationDeleted(
          { clusterId: 'c', uid: 'early', poolKey: 'vmss:rg:gw' },
          signal,
        );
        assert.equal(tomb.spec, null);
        assert.equal(tomb.poolKey, 'vmss:rg:gw');
        assert.equal(
          await store.upsertConfiguration(cfg({ clusterId: 'c', uid: 'early' }), signal),
          'tombstoned',
        );
        await store.upsertConfiguration(cfg({ clusterId: 'c', uid: 'live' }), signal);
        await assert.rejects(
          store.finalizeConfiguration({ clusterId: 'c', uid: 'live' }, signal),
          ConflictError,
        );
        await assert.rejects(
          store.finalizeConfiguration({ clusterId: 'c', uid: 'nope' }, signal),
          NotFoundError,
        );
      },
    );

    full('stores a spec larger than one property and refuses one too large for an entity', async () => {
      const { store } = world();
      const excludeCidrs = Array.from({ length: 6000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
      await store.upsertConfiguration(cfg({ spec: { excludeCidrs } }), signal);
      const got = await store.getConfiguration({ clusterId: 'cluster-a', uid: 'uid-1' }, signal);
      assert.deepEqual(got?.spec, { excludeCidrs });
      await assert.rejects(
        store.upsertConfiguration(cfg({ uid: 'huge', spec: { blob: 'x'.repeat(500_000) } }), signal),
        (e: unknown) => e instanceof ValidationError && e.problems[0]?.field === 'spec',
      );
    });

    full('validates keys and versions with the field named', async () => {
      const { store } = world();
      const field = (f: string) => (e: unknown) => e instanceof ValidationError && e.problems[0]?.field === f;
      await assert.rejects(store.upsertConfiguration(cfg({ clusterId: 'a/b' }), signal), field('clusterId'));
      await assert.rejects(store.upsertConfiguration(cfg({ uid: 'x#y' }), signal), field('uid'));
      await assert.rejects(store.upsertConfiguration(cfg({ poolKey: 'p?q' }), signal), field('poolKey'));
      await assert.rejects(
        store.upsertConfiguration(cfg({ version: { generation: -1, sequence: 1.5 } }), signal),
        (e: unknown) => e instanceof ValidationError && e.problems.length === 2,
      );
    });
  });

  describe(`${kind}: pools`, () => {
    const pool = 'vmss:rg:gw';

    full('takes a burst of 1,000 dirty marks on one pool without a failure (issue 12)', async () => {
      // 200 concurrent deliveries gave 47 × "still conflicting after 20 attempts" and a 1000-event
      // Event Grid delivery failed 896 invocations. Marks that race coalesce: each returns a
      // generation the pool has reached, and the pool ends dirty past every one of them.
      const { store } = world();
      assert.deepEqual(await store.markPoolDirty({ poolKey: pool }, signal), { dirtyGeneration: 1 });
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, () => store.markPoolDirty({ poolKey: pool }, signal)),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 0, String(failed[0]?.reason));
      const generations = results.map((r) => (r.status === 'fulfilled' ? r.value.dirtyGeneration : 0));
      const final = (await store.getPool({ poolKey: pool }, signal))?.dirtyGeneration ?? 0;
      assert.ok(final > 1 && generations.every((g) => g > 1 && g <= final), `final ${final}`);
    });

    full(
      'a mark after a completed reconcile always leaves the pool dirty, even when marks coalesce',
      async () => {
        const { store } = world();
        await store.markPoolDirty({ poolKey: pool }, signal);
        const a = await store.acquirePoolLease({ poolKey: pool, holderId: 'A', durationMs: 60_000 }, signal);
        assert.ok(a.kind === 'acquired');
        const done = await store.completePoolReconcile(
          {
            poolKey: pool,
            holderId: 'A',
            reconciledGeneration: a.lease.dirtyGeneration,
            durationMs: 60_000,
            outcome: { kind: 'succeeded' },
          },
          signal,
        );
        assert.equal(done.kind, 'released');
        await Promise.all(Array.from({ length: 50 }, () => store.markPoolDirty({ poolKey: pool }, signal)));
        const p = await store.getPool({ poolKey: pool }, signal);
        assert.ok(p !== undefined && p.dirtyGeneration > p.reconciledGeneration, 'the pool is dirty');
      },
    );

    smoke('gives the lease to one holder; the loser’s dirty mark makes the holder go again', async () => {
      const { store } = world();
      await store.markPoolDirty({ poolKey: pool }, signal);
      const a = await store.acquirePoolLease({ poolKey: pool, holderId: 'A', durationMs: 60_000 }, signal);
      assert.equal(a.kind, 'acquired');
      assert.equal(a.kind === 'acquired' && a.lease.dirtyGeneration, 1);

      // B: mark dirty, try the lease, lose, return.
      await store.markPoolDirty({ poolKey: pool }, signal);
      const b = await store.acquirePoolLease({ poolKey: pool, holderId: 'B', durationMs: 60_000 }, signal);
      assert.deepEqual(b, { kind: 'held', holderId: 'A', expiresAt: new Date(T0 + 60_000) });

      // A finishes generation 1: new dirt arrived, so it keeps the lease and goes again.
      const first = await store.completePoolReconcile(
        {
          poolKey: pool,
          holderId: 'A',
          reconciledGeneration: 1,
          outcome: { kind: 'succeeded' },
          durationMs: 60_000,
        },
        signal,
      );
      assert.equal(first.kind, 'dirty');
      assert.equal(first.kind === 'dirty' && first.lease.dirtyGeneration, 2);
      const second = await store.completePoolReconcile(
        {
          poolKey: pool,
          holderId: 'A',
          reconciledGeneration: 2,
          outcome: { kind: 'succeeded', members: [{ vm: 'gw-0', ip: '10.0.0.4' }] },
          durationMs: 60_000,
        },
        signal,
      );
      assert.deepEqual(second, { kind: 'released' });
      const state = await store.getPool({ poolKey: pool }, signal);
      assert.deepEqual(state, {
        poolKey: pool,
        dirtyGeneration: 2,
        reconciledGeneration: 2,
        lastReconcile: { at: new Date(T0), outcome: 'succeeded', generation: 2 },
        members: [{ vm: 'gw-0', ip: '10.0.0.4' }],
      });
      assert.equal(
        (await store.acquirePoolLease({ poolKey: pool, holderId: 'B', durationMs: 1000 }, signal)).kind,
        'acquired',
      );
    });

    full('never loses a dirty mark that races with the release', async () => {
      for (let round = 0; round < 5; round++) {
        const { store } = world();
        await store.markPoolDirty({ poolKey: pool }, signal);
        await store.acquirePoolLease({ poolKey: pool, holderId: 'A', durationMs: 60_000 }, signal);
        const [done] = await Promise.all([
          store.completePoolReconcile(
            {
              poolKey: pool,
              holderId: 'A',
              reconciledGeneration: 1,
              outcome: { kind: 'succeeded' },
              durationMs: 60_000,
            },
            signal,
          ),
          store.markPoolDirty({ poolKey: pool }, signal),
        ]);
        // Either A saw the new dirt and keeps going, or the lease is free for the marker to take.
        if (done.kind === 'released') {
          const b = await store.acquirePoolLease(
            { poolKey: pool, holderId: 'B', durationMs: 60_000 },
            signal,
          );
          assert.equal(b.kind, 'acquired');
          assert.equal(b.kind === 'acquired' && b.lease.dirtyGeneration, 2);
        } else {
          assert.equal(done.lease.dirtyGeneration, 2);
        }
      }
    });

    full('expires leases on the injected clock; the old holder then learns it lost', async () => {
      const w = world();
      const { store } = w;
      await store.acquirePoolLease({ poolKey: pool, holderId: 'A', durationMs: 30_000 }, signal);
      w.advance(29_999);
      assert.equal(
        (await store.acquirePoolLease({ poolKey: pool, holderId: 'B', durationMs: 30_000 }, signal)).kind,
        'held',
      );
      const renewed = await store.renewPoolLease(
        { poolKey: pool, holderId: 'A', durationMs: 30_000 },
        signal,
      );
      assert.deepEqual(renewed.expiresAt, new Date(T0 + 59_999));
      w.advance(30_001);
      assert.equal((await store.getPool({ poolKey: pool }, signal))?.lease, undefined);
      assert.equal(
        (await store.acquirePoolLease({ poolKey: pool, holderId: 'B', durationMs: 30_000 }, signal)).kind,
        'acquired',
      );
      await assert.rejects(
        store.renewPoolLease({ poolKey: pool, holderId: 'A', durationMs: 30_000 }, signal),
        (e: unknown) => e instanceof ConflictError && e.detail === 'LeaseLost',
      );
      await assert.rejects(
        store.completePoolReconcile(
          {
            poolKey: pool,
            holderId: 'A',
            reconciledGeneration: 0,
            outcome: { kind: 'succeeded' },
            durationMs: 1,
          },
          signal,
        ),
        ConflictError,
      );
    });

    full('records a failed reconcile, releases the lease and keeps the pool dirty', async () => {
      const { store } = world();
      await store.markPoolDirty({ poolKey: pool }, signal);
      await store.acquirePoolLease({ poolKey: pool, holderId: 'A', durationMs: 60_000 }, signal);
      await store.markPoolDirty({ poolKey: pool }, signal);
      const done = await store.completePoolReconcile(
        {
          poolKey: pool,
          holderId: 'A',
          reconciledGeneration: 1,
          outcome: { kind: 'failed', error: 'ARM 429' },
          durationMs: 1,
        },
        signal,
      );
      assert.deepEqual(done, { kind: 'released' });
      const state = await store.getPool({ poolKey: pool }, signal);
      assert.equal(state?.reconciledGeneration, 0);
      assert.equal(state?.dirtyGeneration, 2);
      assert.deepEqual(state?.lastReconcile, {
        at: new Date(T0),
        outcome: 'failed',
        generation: 1,
        error: 'ARM 429',
      });
      assert.equal(state?.lease, undefined);
    });

    full('lists pools in key order', async () => {
      const { store } = world();
      for (const k of ['vmss:rg:b', 'aks-vm-pool:rg:a', 'standalone-vms:rg:vm-1,vm-2'])
        await store.markPoolDirty({ poolKey: k }, signal);
      assert.deepEqual(
        (await store.listPools(signal)).map((p) => p.poolKey),
        ['aks-vm-pool:rg:a', 'standalone-vms:rg:vm-1,vm-2', 'vmss:rg:b'],
      );
    });
  });

  describe(`${kind}: port claims`, () => {
    const pool = 'vmss:rg:gw';
    const range = { min: 6000, max: 6002 };

    smoke('claims the lowest free port once per configuration and frees it again', async () => {
      const { store } = world();
      assert.equal((await store.claimPort({ poolKey: pool, configUid: 'c1', range }, signal)).port, 6000);
      assert.equal((await store.claimPort({ poolKey: pool, configUid: 'c2', range }, signal)).port, 6001);
      assert.equal((await store.claimPort({ poolKey: pool, configUid: 'c1', range }, signal)).port, 6000);
      await store.releasePort({ poolKey: pool, configUid: 'c1' }, signal);
      await store.releasePort({ poolKey: pool, configUid: 'c1' }, signal);
      assert.equal((await store.claimPort({ poolKey: pool, configUid: 'c3', range }, signal)).port, 6000);
      assert.deepEqual(
        (await store.listPortClaims({ poolKey: pool }, signal)).map((c) => [c.port, c.configUid]),
        [
          [6000, 'c3'],
          [6001, 'c2'],
        ],
      );
    });

    full('never gives one port to two configurations or two ports to one, under races', async () => {
      const { store } = world();
      const wide = { min: 6000, max: 6999 };
      const claims = await Promise.all([
        ...['a', 'b', 'c', 'd'].map((uid) =>
          store.claimPort({ poolKey: pool, configUid: uid, range: wide }, signal),
        ),
        store.claimPort({ poolKey: pool, configUid: 'a', range: wide }, signal),
      ]);
      const listed = await store.listPortClaims({ poolKey: pool }, signal);
      assert.deepEqual(
        listed.map((c) => c.port),
        [6000, 6001, 6002, 6003],
      );
      assert.deepEqual(new Set(listed.map((c) => c.configUid)), new Set(['a', 'b', 'c', 'd']));
      assert.equal(claims[0].port, claims[4]!.port, 'both claims of a got the same port');
    });

    full('says so when the range is exhausted', async () => {
      const { store } = world();
      for (const uid of ['x', 'y', 'z'])
        await store.claimPort({ poolKey: pool, configUid: uid, range }, signal);
      await assert.rejects(
        store.claimPort({ poolKey: pool, configUid: 'w', range }, signal),
        (e: unknown) => e instanceof ValidationError && /every port of 6000-6002 is claimed/.test(e.message),
      );
    });
  });

  describe(`${kind}: processed events`, () => {
    smoke('is create-only until the record expires', async () => {
      const w = world();
      const { store } = w;
      const id = 'f0a1b2c3-0000-4000-8000-000000000001';
      assert.equal(await store.markEventProcessed({ eventId: id, ttlMs: 60_000 }, signal), true);
      assert.equal(await store.markEventProcessed({ eventId: id, ttlMs: 60_000 }, signal), false);
      w.advance(60_001);
      assert.equal(await store.markEventProcessed({ eventId: id, ttlMs: 60_000 }, signal), true);
      assert.equal(await store.markEventProcessed({ eventId: id, ttlMs: 60_000 }, signal), false);
      await store.forgetEvent({ eventId: id }, signal);
      await store.forgetEvent({ eventId: id }, signal);
      assert.equal(await store.markEventProcessed({ eventId: id, ttlMs: 60_000 }, signal), true);
    });

    full('accepts ids with characters keys cannot hold, without mixing them up', async () => {
      const { store } = world();
      for (const id of ['a/b', 'a%2Fb', 'x#?\\y', 'tab\tid'])
        assert.equal(await store.markEventProcessed({ eventId: id, ttlMs: 1000 }, signal), true, id);
      assert.equal(await store.markEventProcessed({ eventId: 'a/b', ttlMs: 1000 }, signal), false);
    });

    full('lets exactly one of several concurrent handlers through', async () => {
      const { store } = world();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => store.markEventProcessed({ eventId: 'dup', ttlMs: 60_000 }, signal)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    full('purges only expired records', async () => {
      const w = world();
      const { store } = w;
      await store.markEventProcessed({ eventId: 'short', ttlMs: 1000 }, signal);
      await store.markEventProcessed({ eventId: 'long', ttlMs: 10_000 }, signal);
      w.advance(5000);
      assert.equal(await store.purgeExpiredEvents(signal), 1);
      assert.equal(await store.markEventProcessed({ eventId: 'long', ttlMs: 10_000 }, signal), false);
      assert.equal(await store.markEventProcessed({ eventId: 'short', ttlMs: 10_000 }, signal), true);
    });
  });

  describe(`${kind}: status projections`, () => {
    smoke('writes only when the status changed (key order ignored)', async () => {
      const w = world();
      const { store } = w;
      const key = { clusterId: 'c', uid: 'u' };
      const status = { egressIpPrefix: '20.1.2.0/31', conditions: [{ type: 'Ready', status: 'True' }] };
      assert.deepEqual(await store.putStatus({ ...key, status }, signal), { changed: true });
      w.advance(1000);
      const reordered = { conditions: [{ status: 'True', type: 'Ready' }], egressIpPrefix: '20.1.2.0/31' };
      assert.deepEqual(await store.putStatus({ ...key, status: reordered }, signal), { changed: false });
      assert.deepEqual(await store.getStatus(key, signal), { ...key, status, updatedAt: new Date(T0) });
      assert.deepEqual(await store.putStatus({ ...key, status: { egressIpPrefix: '' } }, signal), {
        changed: true,
      });
      assert.deepEqual(
        (await store.listStatuses({ clusterId: 'c' }, signal)).map((s) => s.status),
        [{ egressIpPrefix: '' }],
      );
      await store.deleteStatus(key, signal);
      await store.deleteStatus(key, signal);
      assert.equal(await store.getStatus(key, signal), undefined);
    });
  });

  describe(`${kind}: audit of ARM writes`, () => {
    smoke('appends records and lists the newest first', async () => {
      const w = world();
      const { store } = w;
      const entry = {
        poolKey: 'vmss:rg:gw',
        resourceId:
          '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/gw',
        method: 'PUT' as const,
        reason: 'vmss-model: add ipConfig egressgateway-u1',
        correlationId: 'corr-1',
        actor: 'reconcile/inv-1',
        outcome: 'succeeded' as const,
      };
      await store.appendAudit(entry, signal);
      await store.appendAudit({ ...entry, correlationId: 'corr-2' }, signal); // same millisecond
      w.advance(10);
      await store.appendAudit(
        { ...entry, correlationId: 'corr-3', outcome: 'failed', error: 'Conflict' },
        signal,
      );
      const all = await store.listAudit({ poolKey: 'vmss:rg:gw' }, signal);
      assert.equal(all.length, 3);
      assert.deepEqual(all[0], {
        ...entry,
        correlationId: 'corr-3',
        outcome: 'failed',
        error: 'Conflict',
        at: new Date(T0 + 10),
      });
      assert.deepEqual(
        (await store.listAudit({ poolKey: 'vmss:rg:gw', limit: 1 }, signal)).map((a) => a.correlationId),
        ['corr-3'],
      );
    });
  });
}
