/**
 * reconcilePool over in-memory fakes: convergence and status, idempotence (clean pools, no status
 * rewrites), leases (one holder, losers leave the pool dirty), deletion and finalization, ARM
 * failures (conflict re-observed within the invocation, throttling retried later with Retry-After),
 * invalid specs (condition, no Azure write) and pending nodepools.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reconcilePool } from '../../shared/app/reconcilePool.js';
import { CLUSTER, createAppWorld, ready, sgc, vmssSpec } from './support/appWorld.js';

const signal = AbortSignal.timeout(60_000);

describe('reconcilePool', () => {
  it('converges a VMSS configuration and reports prefix, ILB IP, port and nodes', async () => {
    const w = createAppWorld('vmss', 2);
    const accepted = await w.send({
      clusterId: CLUSTER,
      events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }],
    });
    assert.equal(accepted.kind, 'accepted');
    const results = await w.drain();
    assert.equal(results[0]?.kind, 'reconciled');
    const [item] = await w.status();
    assert.equal(ready(item), 'True/Reconciled');
    assert.match(item!.status.egressIpPrefix ?? '', /^20\.\d+\.\d+\.0\/31$/);
    assert.equal(item!.status.gatewayServerProfile?.port, 6000);
    assert.ok(item!.status.gatewayServerProfile?.ip, 'the ILB frontend IP is reported');
    assert.deepEqual(
      item!.status.gatewayVMProfiles?.map((p) => p.nodeName),
      ['gw000000', 'gw000001'],
    );
    assert.equal(item!.finalized, false);
    // one write per touched resource: prefix, LB, VMSS model, two instances
    assert.deepEqual([...w.arm.writeCounts().values()].sort(), [1, 1, 1, 1, 1]);
  });

  it('leaves a clean pool alone and does not rewrite an unchanged status', async () => {
    const w = createAppWorld('vmss', 2);
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    await w.drain();
    const before = (await w.state.getStatus({ clusterId: CLUSTER, uid: 'uid-gw' }, signal))!;
    const writes = w.arm.writes.length;
    // a replay of the same event: stored already, the pool is enqueued but clean
    await w.send({
      clusterId: CLUSTER,
      events: [{ type: 'ADDED', object: sgc('gw', vmssSpec(), { resourceVersion: '100' }) }],
    });
    assert.deepEqual(
      (await w.drain()).map((r) => r.kind),
      ['clean'],
    );
    // a forced reconcile (resync) re-observes, plans nothing and keeps the status row as it was
    w.clock.advance(60_000);
    await w.state.markPoolDirty({ poolKey: 'vmss:rg-gw:gw' }, signal);
    await w.queue.enqueue({ poolKey: 'vmss:rg-gw:gw', reason: 'resync' }, signal);
    const [r] = await w.drain();
    assert.deepEqual(r, { kind: 'reconciled', rounds: 1, passes: 0, writes: 0, continued: false });
    assert.equal(w.arm.writes.length, writes);
    const after = (await w.state.getStatus({ clusterId: CLUSTER, uid: 'uid-gw' }, signal))!;
    assert.deepEqual(after.status, before.status);
    assert.equal(after.updatedAt.getTime(), before.updatedAt.getTime(), 'status row not rewritten');
  });

  it('a loser of the lease marks the pool dirty and the holder reconciles it', async () => {
    const w = createAppWorld('vmss', 2);
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    const poolKey = 'vmss:rg-gw:gw';
    const held = await w.state.acquirePoolLease({ poolKey, holderId: 'other', durationMs: 60_000 }, signal);
    assert.equal(held.kind, 'acquired');
    const dirtyBefore = (await w.state.getPool({ poolKey }, signal))!.dirtyGeneration;
    const [r] = await w.drain();
    assert.deepEqual(r, { kind: 'busy', holderId: 'other' });
    assert.equal(w.queue.size, 1, 'the loser comes back once the lease has expired');
    assert.equal(w.arm.writes.length, 0, 'the loser wrote nothing');
    const pool = (await w.state.getPool({ poolKey }, signal))!;
    assert.equal(pool.dirtyGeneration, dirtyBefore + 1, 'the loser left the pool dirty for the holder');
    // the holder finishes: its completion sees the new dirt and keeps the lease for another round
    const completion = await w.state.completePoolReconcile(
      {
        poolKey,
        holderId: 'other',
        reconciledGeneration: dirtyBefore,
        outcome: { kind: 'succeeded' },
        durationMs: 60_000,
      },
      signal,
    );
    assert.equal(completion.kind, 'dirty');
  });

  it('takes over a pool whose lease holder died, once the lease expired', async () => {
    const w = createAppWorld('vmss', 2);
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    const poolKey = 'vmss:rg-gw:gw';
    await w.state.acquirePoolLease({ poolKey, holderId: 'dead', durationMs: 60_000 }, signal);
    assert.equal((await w.drain())[0]?.kind, 'busy');
    w.clock.advance(61_000);
    const [r] = await w.drain();
    assert.equal(r?.kind, 'reconciled');
    assert.equal(ready((await w.status())[0]), 'True/Reconciled');
  });

  it('deletes every Azure resource of a deleted configuration, then finalizes it and frees its port', async () => {
    const w = createAppWorld('vmss', 2);
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    await w.drain();
    await w.send({
      clusterId: CLUSTER,
      events: [
        {
          type: 'MODIFIED',
          object: sgc('gw', vmssSpec(), { generation: 2, deletionTimestamp: '2026-01-01T00:00:00Z' }),
        },
      ],
    });
    await w.drain();
    const [item] = await w.status();
    assert.equal(item?.finalized, true);
    assert.equal(ready(item), 'False/Finalized');
    assert.equal(w.arm.world.prefixes.length, 0, 'the managed prefix is gone');
    assert.equal(w.arm.world.loadBalancer, undefined, 'the ILB is gone with its last frontend');
    assert.deepEqual(await w.state.listPortClaims({ poolKey: 'vmss:rg-gw:gw' }, signal), []);
  });

  it('writes nothing to Azure for an invalid spec and says why', async () => {
    const w = createAppWorld('vmss', 2);
    const bad = { ...vmssSpec(), excludeCidrs: ['10.0.0.0/33'] };
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('bad', bad) }] });
    await w.drain();
    const [item] = await w.status();
    assert.equal(ready(item), 'False/InvalidSpec');
    assert.match(item!.status.conditions![0]!.message, /spec\.excludeCidrs\[0\]/);
    assert.equal(w.arm.writes.length, 0);
  });

  it('re-observes after a conflict and still converges in the same invocation', async () => {
    const w = createAppWorld('vmss', 2);
    w.arm.faults.push('conflict');
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    const [r] = await w.drain();
    assert.equal(r?.kind, 'reconciled');
    assert.equal(ready((await w.status())[0]), 'True/Reconciled');
  });

  it('retries a throttled write after Retry-After without losing the change', async () => {
    const w = createAppWorld('vmss', 2);
    w.arm.faults.push('throttled');
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    const [r] = await w.drain();
    assert.equal(r?.kind, 'retrying');
    assert.equal((r as { delayMs: number }).delayMs, 7000);
    assert.equal(ready((await w.status())[0]), 'False/AzureError');
    assert.equal(w.queue.size, 1, 're-enqueued, invisible for now');
    w.clock.advance(7000);
    const [again] = await w.drain();
    assert.equal(again?.kind, 'reconciled');
    assert.equal(ready((await w.status())[0]), 'True/Reconciled');
  });

  it('backs off longer with every failed attempt, counted in the queue message, and starts over once converged', async () => {
    const w = createAppWorld('vmss', 2);
    w.arm.faults.push('throttled', 'throttled', 'throttled', 'throttled');
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    const delays: number[] = [];
    const attempts: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const [request] = w.queue.takeVisible();
      assert.ok(request !== undefined);
      attempts.push(request.attempt);
      const r = await reconcilePool(w.deps, { ...request, holderId: `worker-${i}` }, signal);
      assert.equal(r.kind, 'retrying');
      delays.push((r as { delayMs: number }).delayMs);
      w.clock.advance(delays[i]!);
    }
    // Retry-After (7 s) while it is longer, then 2 s doubling per attempt.
    assert.deepEqual(delays, [7000, 7000, 8000, 16_000]);
    assert.deepEqual(attempts, [undefined, 1, 2, 3]);
    const [retry] = w.queue.takeVisible();
    assert.equal(retry?.attempt, 4);
    assert.equal(
      (await reconcilePool(w.deps, { ...retry, holderId: 'worker-9' }, signal)).kind,
      'reconciled',
    );
    assert.equal(ready((await w.status())[0]), 'True/Reconciled');
  });

  it('reports a write Azure refused for a user-caused reason and backs off instead of hot-looping', async () => {
    const w = createAppWorld('vmss', 2);
    w.arm.faults.push('refused');
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    const [r] = await w.drain();
    assert.equal(r?.kind, 'retrying');
    assert.ok((r as { delayMs: number }).delayMs >= 30_000, 'a refusal waits much longer than a throttle');
    const [item] = await w.status();
    assert.equal(ready(item), 'False/AzureError');
    assert.match(item!.status.conditions![0]!.message, /SubnetIsFull/);
    const audit = await w.state.listAudit({ poolKey: 'vmss:rg-gw:gw' }, signal);
    assert.ok(
      audit.some((a) => a.outcome === 'failed' && /SubnetIsFull/.test(a.error ?? '')),
      'the refusal is audited',
    );
    w.clock.advance((r as { delayMs: number }).delayMs);
    await w.drain();
    assert.equal(ready((await w.status())[0]), 'True/Reconciled');
  });

  it('resolves a nodepool name to its pool, then reconciles that pool', async () => {
    const w = createAppWorld('aks-vm-pool', 3);
    w.arm.nicTags = { 'aks-managed-gatewayIPPrefixSize': '30' };
    await w.send({
      clusterId: CLUSTER,
      events: [
        { type: 'ADDED', object: sgc('np', { gatewayNodepoolName: 'gwpool', provisionPublicIps: true }) },
      ],
    });
    const stored = await w.state.getConfiguration({ clusterId: CLUSTER, uid: 'uid-np' }, signal);
    assert.equal(stored?.poolKey, 'nodepool:rg-gw:gwpool');
    await w.drain();
    const moved = await w.state.getConfiguration({ clusterId: CLUSTER, uid: 'uid-np' }, signal);
    assert.equal(moved?.poolKey, 'aks-vm-pool:rg-gw:gwpool');
    const [item] = await w.status();
    assert.equal(ready(item), 'True/Reconciled');
    assert.match(item!.status.egressIpPrefix ?? '', /\/30$/);
    assert.equal(item!.status.gatewayVMProfiles?.length, 3);
  });

  it('a configuration moved to an unknown nodepool, then deleted, takes its managed prefix with it', async () => {
    const w = createAppWorld('aks-vm-pool', 2);
    w.arm.nicTags = { 'aks-managed-gatewayIPPrefixSize': '30' };
    const spec = (nodepool: string) => ({ gatewayNodepoolName: nodepool, provisionPublicIps: true });
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('np', spec('gwpool')) }] });
    await w.drain();
    const prefixName = 'egressgateway-uid-np';
    assert.equal(w.arm.world.prefixes.filter((p) => p.name === prefixName).length, 1);
    assert.equal(w.arm.world.publicIps.length, 2, 'one public IP per NIC from the prefix');
    // Renamed to a nodepool that does not exist, then deleted, before any reconcile ran.
    await w.send({
      clusterId: CLUSTER,
      events: [{ type: 'MODIFIED', object: sgc('np', spec('nope'), { generation: 2 }) }],
    });
    await w.send({
      clusterId: CLUSTER,
      events: [
        {
          type: 'MODIFIED',
          object: sgc('np', spec('nope'), { generation: 2, deletionTimestamp: '2026-01-01T00:00:00Z' }),
        },
      ],
    });
    // The unknown nodepool's round first: the pool it left still holds the addresses.
    const first = await reconcilePool(
      w.deps,
      { poolKey: 'nodepool:rg-gw:nope', reason: 'test', holderId: 'worker-x' },
      signal,
    );
    assert.equal(first.kind, 'retrying');
    assert.match((first as { error: string }).error, /waiting for Azure to release: .*egressgateway-uid-np-/);
    assert.equal((await w.status())[0]?.finalized, false, 'not finalized while the prefix exists');
    assert.equal(w.arm.world.prefixes.length, 1);
    // The pool it left removes its ipConfigs and public IPs; the retry then deletes the prefix.
    await w.drain();
    w.clock.advance(10 * 60_000);
    await w.drain();
    assert.deepEqual(w.arm.world.prefixes, [], 'prefix gone');
    assert.deepEqual(w.arm.world.publicIps, [], 'public IPs gone');
    assert.equal((await w.status())[0]?.finalized, true);
    const kinds = w.arm.writes.map((x) => x.kind);
    assert.equal(kinds.at(-1), 'delete-public-ip-prefix');
  });

  it('reports PoolNotFound for a nodepool that does not exist, with no Azure write', async () => {
    const w = createAppWorld('vmss', 2);
    await w.send({
      clusterId: CLUSTER,
      events: [
        { type: 'ADDED', object: sgc('np', { gatewayNodepoolName: 'nope', provisionPublicIps: true }) },
      ],
    });
    await w.drain();
    assert.equal(ready((await w.status())[0]), 'False/PoolNotFound');
    assert.equal(w.arm.writes.length, 0);
  });
});
