/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * egret's CRDs served by the Kubernetes API stand-in, driven through the real client-node: the API
 * server refuses what the schema can refuse and names the field, applies defaults, serves the status
 * subresource, printer columns, the short name and the category.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../shared/core/wellKnown.js';
import { raw, statusOf } from '../kube/helpers.js';
import { startEgretKube, type EgretKube } from './support/egretKube.js';

const SGC = { group: API_GROUP, version: API_VERSION, plural: 'staticgatewayconfigurations' };

function sgc(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: 'StaticGatewayConfiguration',
    metadata: { name },
    spec,
  };
}

describe('egret CRDs on the API stand-in', () => {
  let world: EgretKube;
  before(async () => {
    world = await startEgretKube();
  });
  after(async () => world.stop());

  const create = (body: Record<string, unknown>) =>
    world.custom.createNamespacedCustomObject({ ...SGC, namespace: 'default', body });

  async function refusal(
    body: Record<string, unknown>,
  ): Promise<{ code: number; message: string; causes: any[] }> {
    try {
      await create(body);
    } catch (e) {
      const status = statusOf(e);
      return { code: status.code, message: status.message, causes: status.details?.causes ?? [] };
    }
    assert.fail('the API server accepted an invalid object');
  }

  it('accepts a valid configuration and applies the schema defaults', async () => {
    const created = await create(sgc('ok', { gatewayNodepoolName: 'gwpool' }));
    assert.equal(created.spec.provisionPublicIps, true);
    assert.equal(created.spec.defaultRoute, 'staticEgressGateway');
    assert.equal(created.metadata.generation, 1);
  });

  it('refuses an unknown defaultRoute, naming the field', async () => {
    const r = await refusal(sgc('bad-route', { gatewayNodepoolName: 'gwpool', defaultRoute: 'viaTheMoon' }));
    assert.equal(r.code, 422);
    assert.match(r.message, /spec\.defaultRoute/);
    assert.match(r.message, /viaTheMoon/);
  });

  it('refuses a prefix size out of range, naming the field', async () => {
    const r = await refusal(
      sgc('bad-size', {
        gatewayVmssProfile: { vmssResourceGroup: 'rg', vmssName: 'gw', publicIpPrefixSize: 40 },
      }),
    );
    assert.equal(r.code, 422);
    assert.match(r.message, /spec\.gatewayVmssProfile\.publicIpPrefixSize/);
  });

  it('refuses two pool selectors (CEL: exactly one)', async () => {
    const r = await refusal(
      sgc('two-pools', {
        gatewayNodepoolName: 'gwpool',
        gatewayProfile: { vmssProfile: { vmssResourceGroup: 'rg', vmssName: 'gw' } },
      }),
    );
    assert.equal(r.code, 422);
    assert.match(r.message, /exactly one of gatewayNodepoolName/);
  });

  it('refuses no pool selector at all', async () => {
    const r = await refusal(sgc('no-pool', { provisionPublicIps: true }));
    assert.match(r.message, /exactly one of/);
  });

  it('refuses a BYO prefix in private-IP mode, naming spec.publicIpPrefixId', async () => {
    const r = await refusal(
      sgc('byo-private', {
        gatewayNodepoolName: 'gwpool',
        provisionPublicIps: false,
        publicIpPrefixId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/p',
      }),
    );
    assert.equal(r.code, 422);
    assert.match(r.message, /spec\.publicIpPrefixId/);
    assert.match(r.message, /only be set when provisionPublicIps is true/);
  });

  it('refuses an empty standalone VM list, naming the field', async () => {
    const r = await refusal(
      sgc('no-vms', { gatewayProfile: { standaloneVMProfile: { vmResourceGroup: 'rg', vmNames: [] } } }),
    );
    assert.match(r.message, /spec\.gatewayProfile\.standaloneVMProfile\.vmNames/);
  });

  it('serves status as a subresource: the main resource ignores status, /status ignores spec', async () => {
    const created = await create({
      ...sgc('status', { gatewayNodepoolName: 'gwpool' }),
      status: { egressIpPrefix: '1.2.3.0/31' },
    });
    assert.equal(created.status, undefined);
    const patched = await world.custom.patchNamespacedCustomObjectStatus(
      {
        ...SGC,
        namespace: 'default',
        name: 'status',
        body: { status: { egressIpPrefix: '1.2.3.0/31' }, spec: { gatewayNodepoolName: 'other' } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(patched.status.egressIpPrefix, '1.2.3.0/31');
    assert.equal(patched.spec.gatewayNodepoolName, 'gwpool');
    assert.equal(patched.metadata.generation, 1);
  });

  it('refuses a status the schema does not allow (port must be an integer)', async () => {
    await create(sgc('bad-status', { gatewayNodepoolName: 'gwpool' }));
    await assert.rejects(
      world.custom.patchNamespacedCustomObjectStatus(
        {
          ...SGC,
          namespace: 'default',
          name: 'bad-status',
          body: { status: { gatewayServerProfile: { port: 'six thousand' } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
      (e) => /status\.gatewayServerProfile\.port/.test(statusOf(e).message),
    );
  });

  it('prints the egress prefix, gateway IP, port, ready and age columns', async () => {
    await create(sgc('columns', { gatewayNodepoolName: 'gwpool' }));
    await world.custom.patchNamespacedCustomObjectStatus(
      {
        ...SGC,
        namespace: 'default',
        name: 'columns',
        body: {
          status: {
            egressIpPrefix: '20.1.2.0/31',
            gatewayServerProfile: { ip: '10.0.0.4', port: 6000 },
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'Reconciled',
                message: 'ok',
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
            ],
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const res = await raw(
      world.kube,
      'GET',
      `/apis/${API_GROUP}/${API_VERSION}/namespaces/default/staticgatewayconfigurations?fieldSelector=metadata.name%3Dcolumns`,
      {
        headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      },
    );
    const table = JSON.parse(res.body);
    assert.equal(res.status, 200, res.body);
    const names = table.columnDefinitions.map((c: any) => c.name);
    assert.deepEqual(names, ['Name', 'Egress Prefix', 'Gateway IP', 'Port', 'Ready', 'Reason', 'Age']);
    const cells = table.rows[0].cells;
    assert.deepEqual(cells.slice(0, 6), ['columns', '20.1.2.0/31', '10.0.0.4', 6000, 'True', 'Reconciled']);
  });

  it('is discoverable by its short name sgc and the egressgateway category', async () => {
    const res = await raw(world.kube, 'GET', `/apis/${API_GROUP}/${API_VERSION}`);
    const resources = JSON.parse(res.body).resources as any[];
    const sgcResource = resources.find((r) => r.name === 'staticgatewayconfigurations');
    assert.deepEqual(sgcResource.shortNames, ['sgc']);
    for (const plural of ['staticgatewayconfigurations', 'podendpoints', 'gatewaystatuses']) {
      assert.deepEqual(resources.find((r) => r.name === plural)?.categories, ['egressgateway'], plural);
      assert.ok(
        resources.some((r) => r.name === `${plural}/status`),
        `${plural}/status`,
      );
    }
  });

  it('PodEndpoint refuses a malformed public key and a pod IP that is not a /32', async () => {
    const body = (spec: Record<string, unknown>) => ({
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: 'PodEndpoint',
      metadata: { name: 'pod-a' },
      spec: { staticGatewayConfiguration: 'ok', ...spec },
    });
    const ref = { group: API_GROUP, version: API_VERSION, plural: 'podendpoints', namespace: 'default' };
    await assert.rejects(
      world.custom.createNamespacedCustomObject({
        ...ref,
        body: body({ podIpAddress: '10.1.0.5/24', podPublicKey: 'x' }),
      }),
      (e) => /spec\.podIpAddress/.test(statusOf(e).message) && /spec\.podPublicKey/.test(statusOf(e).message),
    );
    const created = await world.custom.createNamespacedCustomObject({
      ...ref,
      body: body({
        podIpAddress: '10.1.0.5/32',
        podPublicKey: 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=',
      }),
    });
    assert.equal(created.spec.podIpAddress, '10.1.0.5/32');
  });
});
