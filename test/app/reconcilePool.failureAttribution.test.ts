/**
 * reconcilePool reports an Azure failure on the configurations the failed write serves (the plan
 * step's typed `uids`), not on every configuration whose name is a substring of the step's reason:
 * `default/gw` is a substring of `create managed prefix for default/gw2`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER, createAppWorld, ready, sgc, vmssSpec } from './support/appWorld.js';

describe('reconcilePool: failure attribution', () => {
  it('a refused write of gw2 is reported on gw2 only, not on gw in the same namespace', async () => {
    const w = createAppWorld('vmss', 2);
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    await w.drain();
    const byName = async (): Promise<Map<string, string | undefined>> =>
      new Map((await w.status()).map((item) => [item.name, ready(item)]));
    assert.equal((await byName()).get('gw'), 'True/Reconciled');

    // gw2's first write is its managed prefix (create-prefixes runs first): Azure refuses it.
    w.arm.faults.push('refused');
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw2', vmssSpec()) }] });
    const [r] = await w.drain();
    assert.equal(r?.kind, 'retrying');
    const items = await w.status();
    const gw2 = items.find((i) => i.name === 'gw2');
    assert.equal(ready(gw2), 'False/AzureError');
    assert.match(gw2!.status.conditions![0]!.message, /SubnetIsFull/);
    assert.match(gw2!.status.conditions![0]!.message, /egressgateway-uid-gw2/);
    assert.equal(ready(items.find((i) => i.name === 'gw')), 'True/Reconciled', 'gw is not blamed');

    w.clock.advance((r as { delayMs: number }).delayMs);
    await w.drain();
    const after = await byName();
    assert.equal(after.get('gw'), 'True/Reconciled');
    assert.equal(after.get('gw2'), 'True/Reconciled');
  });
});
