/**
 * planLeftovers: what a deleting configuration without a pool still owns — its managed prefix and
 * egret's per-NIC public IPs from it — is removed in the safe order, and only when nothing else holds it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublicIpAddress, PublicIpPrefix } from '../../shared/core/observed.js';
import { planLeftovers } from '../../shared/core/planLeftovers.js';
import { pipName } from '../../shared/core/planPool.js';
import { GW_RG, SUB } from './support/worlds.js';

const rgId = `/subscriptions/${SUB}/resourceGroups/${GW_RG}/providers/Microsoft.Network`;
const configuration = { uid: 'u1', namespace: 'default', name: 'sgc' };
const prefixId = `${rgId}/publicIPPrefixes/egressgateway-u1`;

function prefix(addresses: readonly string[]): PublicIpPrefix {
  return {
    id: prefixId,
    name: 'egressgateway-u1',
    etag: 'W/"p1"',
    publicIPAddresses: addresses.map((id) => ({ id })),
  };
}
function pip(name: string, attachedTo?: string, fromPrefix = prefixId): PublicIpAddress {
  return {
    id: `${rgId}/publicIPAddresses/${name}`,
    name,
    etag: `W/"${name}"`,
    publicIPPrefix: { id: fromPrefix },
    ...(attachedTo === undefined ? {} : { ipConfiguration: { id: attachedTo } }),
  };
}
const plan = (p: PublicIpPrefix | undefined, publicIps: readonly PublicIpAddress[] = []) =>
  planLeftovers({ poolKey: 'nodepool:rg-gw:nope', configuration, prefix: p, publicIps });

describe('planLeftovers', () => {
  it('nothing left: no steps, the configuration is removed', () => {
    const r = plan(undefined);
    assert.deepEqual(r.plan.steps, []);
    assert.deepEqual(r.blockers, []);
    assert.deepEqual(r.plan.outcomes, [{ uid: 'u1', kind: 'removed' }]);
  });

  it('an unused prefix is deleted, with its ETag', () => {
    const r = plan(prefix([]));
    assert.deepEqual(
      r.plan.steps.map((s) => [s.kind, s.resourceId, s.ifMatch]),
      [['delete-public-ip-prefix', prefixId, 'W/"p1"']],
    );
    assert.deepEqual(r.plan.outcomes, [{ uid: 'u1', kind: 'removing' }]);
  });

  it("egret's detached per-NIC addresses go first, then the prefix", () => {
    const a = pip(pipName('egressgateway-u1', 'nic-0'));
    const b = pip(pipName('egressgateway-u1', 'nic-1'));
    const r = plan(prefix([b.id, a.id]), [b, a]);
    assert.deepEqual(
      r.plan.steps.map((s) => [s.phase, s.resourceId]),
      [
        ...[a.id, b.id]
          .sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1))
          .map((id) => ['delete-public-ips', id]),
        ['delete-prefixes', prefixId],
      ],
    );
    assert.deepEqual(r.blockers, []);
  });

  it('an address still attached blocks the prefix and is not deleted', () => {
    const attached = pip(
      pipName('egressgateway-u1', 'nic-0'),
      `${rgId}/networkInterfaces/nic-0/ipConfigurations/x`,
    );
    const free = pip(pipName('egressgateway-u1', 'nic-1'));
    const r = plan(prefix([attached.id, free.id]), [attached, free]);
    assert.deepEqual(
      r.plan.steps.map((s) => s.resourceId),
      [free.id],
    );
    assert.deepEqual(r.blockers, [attached.id]);
  });

  it("an address that is not egret's (a VMSS instance's) blocks the prefix; it goes with its instance", () => {
    const vmssIp = `/subscriptions/${SUB}/resourceGroups/${GW_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/gw/virtualMachines/0/networkInterfaces/nic/ipConfigurations/egressgateway-u1/publicIPAddresses/pip`;
    const r = plan(prefix([vmssIp]));
    assert.deepEqual(r.plan.steps, []);
    assert.deepEqual(r.blockers, [vmssIp]);
  });

  it("addresses of other prefixes are never touched, even when named like this configuration's", () => {
    const other = pip(
      pipName('egressgateway-u1', 'nic-0'),
      undefined,
      `${rgId}/publicIPPrefixes/someone-else`,
    );
    const r = plan(prefix([]), [other]);
    assert.deepEqual(
      r.plan.steps.map((s) => s.resourceId),
      [prefixId],
    );
  });
});
