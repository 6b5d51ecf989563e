/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * A cluster that ran Azure/kube-egress-gateway can switch to egret (issue 10 §5): the objects of
 * upstream's e2e suite (`e2e/e2e_test.go`: managed prefix, BYO prefix, excludeCidrs, two gateways on
 * one scale set, private mode with `defaultRoute: azureNetworking` on a VMSS) and its sample, written
 * as upstream's Go client serialises them (an unused `gatewayProfile` is `{}`), go through the real
 * chain: kubectl-style server-side apply against the API stand-in with egret's CRD, the relay process,
 * the control plane and the ARM stand-in. What upstream accepts is accepted; where egret behaves
 * differently it says so with an `Accepted` condition, never a refusal. The one object refused is the
 * one upstream's reconciler refuses too (its sample sets two pool selectors); egret's CRD refuses it
 * at admission with the same rule.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RG, startE2eWorld, type E2eWorld } from './support/e2eWorld.js';

const VMSS = 'aks-gw-vmss';
const profile = (size: number) => ({ vmssResourceGroup: RG, vmssName: VMSS, publicIpPrefixSize: size });
const acceptedOf = (sgc: any) =>
  (sgc.status?.conditions as any[] | undefined)?.find((c) => c.type === 'Accepted') as
    { status: string; reason: string; message: string } | undefined;

describe('upstream kube-egress-gateway objects, end to end', () => {
  let w: E2eWorld;
  before(async () => {
    w = await startE2eWorld();
  });
  after(() => w?.stop());

  it('e2e case 1: a gatewayVmssProfile with a managed /31 becomes Ready with its prefix', async () => {
    await w.apply('sgw1', { gatewayVmssProfile: profile(31), gatewayProfile: {}, provisionPublicIps: true });
    const sgc = await w.ready('sgw1');
    assert.match(sgc.status.egressIpPrefix, /\/31$/);
    assert.equal(acceptedOf(sgc), undefined, 'nothing to warn about');
    await w.delete('sgw1');
    await w.until('sgw1 gone', async () => (await w.tryGet('sgw1')) === undefined);
  });

  it('e2e case 2: a BYO prefix: the status shows the prefix itself', async () => {
    const created = await w.sdk.network.publicIPPrefixes.beginCreateOrUpdateAndWait(RG, 'test-prefix-1a2b', {
      location: 'westeurope',
      prefixLength: 31,
      publicIPAddressVersion: 'IPv4',
      sku: { name: 'Standard', tier: 'Regional' },
    });
    await w.apply('byo', {
      gatewayVmssProfile: profile(31),
      provisionPublicIps: true,
      publicIpPrefixId: created.id,
    });
    const sgc = await w.ready('byo');
    assert.equal(sgc.status.egressIpPrefix, created.ipPrefix);
    await w.delete('byo');
    await w.until('byo gone', async () => (await w.tryGet('byo')) === undefined);
  });

  it('e2e case 4/5: excludeCidrs and two gateways on one scale set, each with its own prefix', async () => {
    await w.apply('sgw1', {
      gatewayVmssProfile: profile(31),
      provisionPublicIps: true,
      excludeCidrs: ['34.117.59.81/32'],
    });
    await w.apply('sgw2', { gatewayVmssProfile: profile(31), provisionPublicIps: true });
    const [one, two] = [await w.ready('sgw1'), await w.ready('sgw2')];
    assert.match(one.status.egressIpPrefix, /\/31$/);
    assert.match(two.status.egressIpPrefix, /\/31$/);
    assert.notEqual(one.status.egressIpPrefix, two.status.egressIpPrefix);
    assert.notEqual(one.status.gatewayServerProfile.port, two.status.gatewayServerProfile.port);
    await w.delete('sgw1');
    await w.delete('sgw2');
    await w.until(
      'both gone',
      async () => (await w.tryGet('sgw1')) === undefined && (await w.tryGet('sgw2')) === undefined,
    );
  });

  it('e2e case 6: private mode on a VMSS with azureNetworking is served, with a warning that its IPs can change', async () => {
    await w.apply('private', {
      gatewayVmssProfile: profile(31),
      provisionPublicIps: false,
      defaultRoute: 'azureNetworking',
    });
    const sgc = await w.ready('private');
    const ips = String(sgc.status.egressIpPrefix).split(',');
    assert.equal(ips.length, 2, 'one private IP per gateway node, comma-separated as upstream');
    for (const ip of ips) assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
    const accepted = acceptedOf(sgc);
    assert.equal(accepted?.status, 'True');
    assert.equal(accepted?.reason, 'AcceptedWithWarnings');
    assert.match(accepted?.message ?? '', /spec\.provisionPublicIps: .*can change when it is reimaged/);
    await w.delete('private');
    await w.until('private gone', async () => (await w.tryGet('private')) === undefined);
  });

  it('a CIDR with host bits is normalised, with a warning naming the field', async () => {
    await w.apply('hostbits', { gatewayNodepoolName: 'gw', excludeCidrs: ['10.1.2.3/16'] });
    const sgc = await w.ready('hostbits');
    assert.match(
      acceptedOf(sgc)?.message ?? '',
      /spec\.excludeCidrs\[0\]: "10\.1\.2\.3\/16" has host bits set; used as 10\.1\.0\.0\/16/,
    );
    await w.delete('hostbits');
    await w.until('hostbits gone', async () => (await w.tryGet('hostbits')) === undefined);
  });

  it('upstream’s sample sets both gatewayNodepoolName and gatewayVmssProfile: refused by the API, as upstream’s reconciler refuses it', async () => {
    await assert.rejects(
      w.apply('sample', {
        gatewayNodepoolName: 'gwnodepool',
        gatewayVmssProfile: {
          vmssResourceGroup: 'gw-rg',
          vmssName: 'gatewaypool1-12345678-vmss',
          publicIpPrefixSize: 31,
        },
      }),
      /exactly one of gatewayNodepoolName/,
    );
    assert.equal(await w.tryGet('sample'), undefined, 'nothing stored');
  });
});
