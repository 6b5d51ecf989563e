/**
 * Scenario (issue §3 and §7): 50 configurations created at once on one pool converge, and the ARM
 * writes stay within the batching bound.
 *
 * A PASS is one observe → plan → apply cycle of one reconcile round (its audit rows share the
 * correlation id `<holder>:round-<r>:pass-<p>`). The bound: within a pass, at most one write per Azure
 * resource — one VMSS model PUT, one PUT per instance, one ILB PUT, one PUT per prefix — however many
 * configurations changed. The test checks it per pass from the audit log, checks that the audit log
 * accounts for every write the ARM stand-in accepted (no write escapes it), and prints the counts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configurationObject } from '../../infra/local/sandbox/startSandbox.js';
import type { RelayEvent } from '../../shared/core/relayContract.js';
import { createWorld, readyOf, type World } from './support/world.js';

const COUNT = 50;
const POOL = 'vmss:rg-egret:aks-gw-vmss';

describe(`${COUNT} configurations created at once on one pool`, () => {
  let w: World;
  before(async () => {
    w = await createWorld();
  });
  after(() => w.stop());

  it('converge with at most one write per touched resource per pass', async () => {
    const events: RelayEvent[] = Array.from({ length: COUNT }, (_, i) => ({
      type: 'ADDED',
      object: configurationObject({
        namespace: 'tenants',
        name: `sgc-${String(i).padStart(2, '0')}`,
        uid: `batch-${String(i).padStart(4, '0')}`,
        spec: { gatewayNodepoolName: 'gw', provisionPublicIps: true },
        resourceVersion: String(5000 + i),
      }),
    }));
    const started = Date.now();
    await w.send(events);
    await w.until(
      `all ${COUNT} Ready`,
      async () => {
        const items = await w.sandbox.relay.status();
        return items.length === COUNT && items.every((i) => readyOf(i) === 'True/Reconciled');
      },
      120_000,
    );
    const convergedMs = Date.now() - started;
    await w.settle();

    const items = await w.sandbox.relay.status();
    const ports = items.map((i) => i.status.gatewayServerProfile?.port).sort((a, b) => (a ?? 0) - (b ?? 0));
    assert.deepEqual(
      ports,
      Array.from({ length: COUNT }, (_, i) => 6000 + i),
      'ports 6000–6049, one per configuration',
    );
    assert.equal(new Set(items.map((i) => i.status.egressIpPrefix)).size, COUNT, 'a prefix each');

    const audit = (await w.admin('GET', `pools/${encodeURIComponent(POOL)}/audit?limit=1000`)).body as {
      items: { resourceId: string; correlationId: string; outcome: string; method: string }[];
    };
    const passes = new Map<string, Map<string, number>>();
    for (const a of audit.items) {
      const perResource = passes.get(a.correlationId) ?? new Map<string, number>();
      perResource.set(a.resourceId.toLowerCase(), (perResource.get(a.resourceId.toLowerCase()) ?? 0) + 1);
      passes.set(a.correlationId, perResource);
    }
    for (const [pass, perResource] of passes)
      for (const [resource, n] of perResource)
        assert.equal(n, 1, `${resource} written ${n} times in ${pass}`);

    const accepted = w.writes();
    const audited = new Map<string, number>();
    for (const a of audit.items)
      if (a.outcome === 'succeeded')
        audited.set(a.resourceId.toLowerCase(), (audited.get(a.resourceId.toLowerCase()) ?? 0) + 1);
    assert.deepEqual(
      [...accepted].sort(),
      [...audited].sort(),
      'every write the stand-in accepted is in the audit log, and nothing else',
    );

    const byType = new Map<string, number>();
    for (const [id, n] of accepted) {
      const type = /\/virtualmachinescalesets\/[^/]+\/virtualmachines\//.test(id)
        ? 'VMSS instance PUT'
        : /\/virtualmachinescalesets\//.test(id)
          ? 'VMSS model PUT'
          : /\/loadbalancers\//.test(id)
            ? 'ILB PUT'
            : /\/publicipprefixes\//.test(id)
              ? 'prefix PUT'
              : id;
      byType.set(type, (byType.get(type) ?? 0) + n);
    }
    const total = [...accepted.values()].reduce((a, b) => a + b, 0);
    const report = {
      configurations: COUNT,
      convergedMs,
      passesWithWrites: passes.size,
      totalWrites: total,
      resourcesWritten: accepted.size,
      byType: Object.fromEntries([...byType].sort()),
      maxWritesPerResource: Math.max(...accepted.values()),
    };
    console.log(`# batching: ${JSON.stringify(report)}`);
    // A resync re-plans all 50 from a fresh observation: nothing to write, and no status changes.
    w.sandbox.arm.admin.clearRequests();
    await w.sandbox.host.invokeTimer('resync');
    await w.settle();
    assert.deepEqual([...w.writes()], [], 're-planning the converged pool writes nothing');
    assert.deepEqual(
      await w.sandbox.relay.status(),
      items,
      'status does not flap between identical reconciles',
    );
    // Everything arrived in one request, so one pass covers it: each resource written exactly once.
    assert.equal(report.maxWritesPerResource, 1);
    assert.deepEqual(report.byType, {
      'ILB PUT': 1,
      'VMSS instance PUT': 2,
      'VMSS model PUT': 1,
      'prefix PUT': COUNT,
    });
  });
});
