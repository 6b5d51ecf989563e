/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * A StaticGatewayConfiguration's life, end to end with nothing doubled (issue 4 §5): applied with
 * server-side apply through client-node → the relay process adds its finalizer and key Secret and
 * forwards it → the control plane (Functions host, Azurite, ARM stand-in) provisions Azure → the
 * relay writes the status onto the custom resource. Edits follow; the API stand-in refuses a
 * schema-invalid spec naming the field; a spec that passes the schema but not egret's validation gets
 * `Ready=False InvalidSpec` and no ARM write; deletion holds the finalizer until Azure is clean.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { wireGuardPublicKey } from '../../agents/common/wireguard.js';
import { EGRET_SYSTEM_NAMESPACE } from '../../infra/local/sandbox/startSandboxKube.js';
import { STATIC_GATEWAY_CONFIGURATION_FINALIZER } from '../../shared/core/wellKnown.js';
import { isClean, readyOf, startE2eWorld, type E2eWorld } from './support/e2eWorld.js';

describe('a configuration applied to the cluster, end to end', () => {
  let w: E2eWorld;
  let uid: string;
  before(async () => {
    w = await startE2eWorld();
  });
  after(() => w?.stop());

  it('apply: Ready=True on the custom resource with prefix, IP, port and key, and the Azure state behind it', async () => {
    uid = (await w.apply('web', { gatewayNodepoolName: 'gw' })).metadata.uid;
    const sgc = await w.ready('web');

    assert.deepEqual(sgc.metadata.finalizers, [STATIC_GATEWAY_CONFIGURATION_FINALIZER]);
    assert.equal(readyOf(sgc)!.reason, 'Reconciled');
    assert.equal(sgc.status.observedGeneration, 1);
    assert.equal(sgc.spec.provisionPublicIps, true, 'the CRD default applied by the API');

    const fp = await w.footprint(uid);
    assert.match(fp.prefix ?? '', /\/31$/, 'a managed /31 prefix (the nodepool tag)');
    assert.equal(sgc.status.egressIpPrefix, fp.prefix);
    assert.equal(fp.rule?.port, sgc.status.gatewayServerProfile.port);
    assert.equal(fp.rule?.frontendIp, sgc.status.gatewayServerProfile.ip);
    assert.ok(fp.probe, 'the health probe /gw/<uid>');
    assert.deepEqual(Object.keys(fp.ipConfigs).sort(), ['aks-gw-vmss/0', 'aks-gw-vmss/1']);
    assert.deepEqual(
      (sgc.status.gatewayVMProfiles as any[]).map((p) => p.secondaryIP).sort(),
      Object.values(fp.ipConfigs).sort(),
      'each gateway node egresses from the secondary ipConfig egret put on its NIC',
    );

    const secret = await w.kube.core.readNamespacedSecret({
      namespace: EGRET_SYSTEM_NAMESPACE,
      name: `sgw-${uid}`,
    });
    const privateKey = Buffer.from(secret.data!['PrivateKey']!, 'base64').toString();
    assert.equal(sgc.status.gatewayServerProfile.publicKey, wireGuardPublicKey(privateKey));
  });

  it('edit: moving to the VirtualMachines pool in private mode moves Azure and the status follows', async () => {
    const before = await w.get('web');
    const frontendBefore = (await w.footprint(uid)).rule?.frontend;
    await w.apply('web', { gatewayNodepoolName: 'vmgw', provisionPublicIps: false });
    const sgc = await w.ready('web');
    assert.equal(sgc.metadata.generation, 2);
    assert.equal(sgc.status.observedGeneration, 2);

    const fp = await w.until('the ipConfigs on the VM pool only, the prefix gone', async () => {
      const f = await w.footprint(uid);
      return f.prefix === undefined && Object.keys(f.ipConfigs).every((k) => k.startsWith('nic/'))
        ? f
        : undefined;
    });
    assert.deepEqual(
      Object.keys(fp.ipConfigs).sort(),
      [0, 1, 2, 3].map((i) => `nic/aks-vmgw-${i}-nic`),
    );
    assert.equal(
      sgc.status.egressIpPrefix,
      Object.values(fp.ipConfigs).sort().join(','),
      'private mode: the sorted private egress IPs',
    );
    assert.equal(fp.publicIps, 0);
    assert.equal(fp.rule?.port, sgc.status.gatewayServerProfile.port);
    assert.equal(fp.rule?.frontendIp, sgc.status.gatewayServerProfile.ip);
    assert.notEqual(fp.rule?.frontend, frontendBefore, "the rule is on the VM pool's frontend now");
    assert.equal(
      sgc.status.gatewayServerProfile.publicKey,
      before.status.gatewayServerProfile.publicKey,
      'the same WireGuard key',
    );
  });

  it('a schema-invalid spec is refused by the API with the field named, and never reaches the control plane', async () => {
    const refused = await w.apply('typo', { gatewayNodepoolName: 'gw', defaultRoute: 'everything' }).then(
      () => assert.fail('the API accepted an invalid spec'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof k8s.ApiException, String(refused));
    assert.equal(refused.code, 422);
    const status = JSON.parse(String(refused.body)) as {
      message: string;
      details: { causes: { field: string; reason: string }[] };
    };
    assert.match(status.message, /spec\.defaultRoute: Unsupported value: "everything"/);
    assert.deepEqual(
      status.details.causes.map((c) => [c.field, c.reason]),
      [['spec.defaultRoute', 'FieldValueNotSupported']],
    );
    assert.equal(await w.tryGet('typo'), undefined);
    assert.ok(!(await w.sandbox.relay.status()).some((i) => i.name === 'typo'));
  });

  it('specs that pass the schema but not deeper validation get Ready=False InvalidSpec naming the field, and no ARM write', async () => {
    await w.settle();
    const writesBefore = w.armWrites().length;
    const foreignPrefix =
      '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-other/providers/Microsoft.Network/publicIPPrefixes/theirs';
    const cases = {
      'byo-foreign': {
        spec: { gatewayNodepoolName: 'gw', publicIpPrefixId: foreignPrefix },
        field: 'spec.publicIpPrefixId',
      },
      'not-a-cidr': {
        spec: { gatewayNodepoolName: 'gw', excludeCidrs: ['10.0.0.0/33'] },
        field: 'spec.excludeCidrs[0]',
      },
    };
    for (const [name, c] of Object.entries(cases)) await w.apply(name, c.spec);
    for (const [name, c] of Object.entries(cases)) {
      const sgc = await w.ready(name, 'False');
      assert.equal(readyOf(sgc)!.reason, 'InvalidSpec', name);
      assert.ok(readyOf(sgc)!.message.includes(c.field), `${name}: ${readyOf(sgc)!.message}`);
      assert.ok(sgc.status.gatewayServerProfile.publicKey, `${name}: the relay still owns its key`);
    }
    await w.settle();
    assert.deepEqual(w.armWrites().slice(writesBefore), [], 'no ARM write for invalid configurations');
    for (const name of Object.keys(cases)) await w.delete(name);
    await w.until('the invalid ones gone', async () => {
      for (const name of Object.keys(cases)) if ((await w.tryGet(name)) !== undefined) return false;
      return true;
    });
  });

  it('delete: the finalizer holds the object while Azure is not clean, then it disappears with everything it had', async () => {
    const doomed = (await w.apply('doomed', { gatewayNodepoolName: 'gw' })).metadata.uid as string;
    await w.ready('doomed');
    const before = await w.footprint(doomed);
    assert.ok(before.prefix !== undefined && before.rule !== undefined);
    await w.settle();

    // Azure refuses to delete the prefix for a while (as it does while an IP still uses it).
    const fault = w.sandbox.arm.admin.addFault({
      method: 'DELETE',
      path: `/publicIPPrefixes/egressgateway-${doomed}$`,
      status: 400,
      code: 'InUsePublicIpPrefixCannotBeDeleted',
      message: 'held by the test',
    });
    await w.delete('doomed');
    await w.until('the prefix deletion refused twice', () => fault.fired >= 2);
    const held = await w.get('doomed');
    assert.ok(held.metadata.deletionTimestamp, 'being deleted');
    assert.deepEqual(
      held.metadata.finalizers,
      [STATIC_GATEWAY_CONFIGURATION_FINALIZER],
      'the finalizer held',
    );
    const meanwhile = await w.footprint(doomed);
    assert.equal(meanwhile.prefix, before.prefix, 'the prefix is still in Azure');
    assert.ok(
      (await w.keySecrets()).some((s) => s.metadata!.name === `sgw-${doomed}`),
      'the key Secret is kept until the end',
    );

    w.sandbox.arm.admin.removeFault(fault.id);
    await w.until('doomed to disappear', async () => (await w.tryGet('doomed')) === undefined, 90_000);
    assert.ok(isClean(await w.footprint(doomed)), 'nothing of it is left in Azure');
    assert.ok(
      !(await w.keySecrets()).some((s) => s.metadata!.name === `sgw-${doomed}`),
      'key Secret deleted',
    );
    assert.equal(readyOf(await w.get('web'))?.status, 'True', 'the other configuration is untouched');
  });
});
