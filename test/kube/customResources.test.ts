/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { GROUP, PE, podEndpointCrd, SGC, sgc, sgcCrd, VERSION } from './crdFixtures.js';
import { raw, statusOf, until } from './helpers.js';

describe('custom resources through client-node', () => {
  let kube: KubeStandIn;
  let kc: k8s.KubeConfig;
  let co: k8s.CustomObjectsApi;
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

  before(async () => {
    kube = await startKubeStandIn();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    co = kc.makeApiClient(k8s.CustomObjectsApi);
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    // client-node's typed models rename `default`, `enum` and `x-kubernetes-*` (to `_default`, ...):
    // a plain JSON CRD must go through loadYaml (as a CRD manifest would) or those keys are lost.
    const crd = await ext.createCustomResourceDefinition({ body: k8s.loadYaml(JSON.stringify(sgcCrd)) });
    assert.ok(crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
    await ext.createCustomResourceDefinition({ body: k8s.loadYaml(JSON.stringify(podEndpointCrd)) });
  });
  after(async () => {
    await kube.stop();
  });

  it("serves a CRD's kind in discovery once the CRD exists", async () => {
    const apis = kc.makeApiClient(k8s.ApisApi);
    const groups = await apis.getAPIVersions();
    assert.ok(groups.groups.some((g) => g.name === GROUP && g.preferredVersion?.version === VERSION));
    const res = await raw(kube, 'GET', `/apis/${GROUP}/${VERSION}`);
    const list = JSON.parse(res.body);
    const sgcRes = list.resources.find((r: any) => r.name === 'staticgatewayconfigurations');
    assert.deepEqual(
      { kind: sgcRes.kind, namespaced: sgcRes.namespaced, shortNames: sgcRes.shortNames },
      { kind: 'StaticGatewayConfiguration', namespaced: true, shortNames: ['sgc'] },
    );
    assert.ok(list.resources.some((r: any) => r.name === 'staticgatewayconfigurations/status'));
  });

  it('applies defaults, prunes unknown fields (with a warning), drops status on create, sets generation 1', async () => {
    const body = sgc('defaults', { gatewayNodepoolName: 'gwpool', surprise: 1 });
    (body as any).status = { egressIpPrefix: 'set-by-client' };
    const created: any = await co.createNamespacedCustomObject({ ...SGC, namespace: 'default', body });
    assert.equal(created.spec.defaultRoute, 'staticEgressGateway');
    assert.equal(created.spec.provisionPublicIps, true);
    assert.equal(created.spec.surprise, undefined);
    assert.equal(created.status, undefined);
    assert.equal(created.metadata.generation, 1);
    const strict = await raw(
      kube,
      'POST',
      `/apis/${GROUP}/${VERSION}/namespaces/default/staticgatewayconfigurations?fieldValidation=Strict`,
      {
        body: JSON.stringify(sgc('strict', { gatewayNodepoolName: 'p', surprise: 1 })),
        headers: { 'Content-Type': 'application/json' },
      },
    );
    assert.equal(strict.status, 400);
    assert.match(JSON.parse(strict.body).message, /unknown field "spec.surprise"/);
    const warn = await raw(
      kube,
      'POST',
      `/apis/${GROUP}/${VERSION}/namespaces/default/staticgatewayconfigurations`,
      {
        body: JSON.stringify(sgc('warned', { gatewayNodepoolName: 'p', surprise: 1 })),
        headers: { 'Content-Type': 'application/json' },
      },
    );
    assert.equal(warn.status, 201);
    assert.match(String(warn.headers['warning']), /unknown field \\"spec.surprise\\"/);
  });

  it('rejects schema violations with 422 Invalid naming each field', async () => {
    await assert.rejects(
      co.createNamespacedCustomObject({
        ...SGC,
        namespace: 'default',
        body: sgc('bad', {
          gatewayVmssProfile: { vmssResourceGroup: 'rg', vmssName: 'vmss', publicIpPrefixSize: 40 },
          defaultRoute: 'sideways',
        }),
      }),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 422);
        assert.equal(s.reason, 'Invalid');
        assert.deepEqual(s.details.causes.map((c: any) => c.field).sort(), [
          'spec.defaultRoute',
          'spec.gatewayVmssProfile.publicIpPrefixSize',
        ]);
        assert.match(
          s.message,
          /^StaticGatewayConfiguration\.egressgateway\.kubernetes\.azure\.com "bad" is invalid: \[/,
        );
        assert.match(
          s.message,
          /spec\.gatewayVmssProfile\.publicIpPrefixSize: Invalid value: 40: spec\.gatewayVmssProfile\.publicIpPrefixSize in body should be less than or equal to 31/,
        );
        assert.match(
          s.message,
          /spec\.defaultRoute: Unsupported value: "sideways": supported values: "azureNetworking", "staticEgressGateway"/,
        );
        return true;
      },
    );
    await assert.rejects(
      co.createNamespacedCustomObject({
        ...SGC,
        namespace: 'default',
        body: sgc('typed', { gatewayNodepoolName: 7 }),
      }),
      (e) => {
        assert.match(
          statusOf(e).message,
          /spec\.gatewayNodepoolName: Invalid value: "integer": spec\.gatewayNodepoolName in body must be of type string: "integer"/,
        );
        return true;
      },
    );
  });

  it('enforces the CEL rules: exactly one pool selector, publicIpPrefixId only with public IPs, CIDRs', async () => {
    const reject = async (
      name: string,
      spec: Record<string, unknown>,
      field: string,
      message: RegExp,
    ): Promise<void> => {
      await assert.rejects(
        co.createNamespacedCustomObject({ ...SGC, namespace: 'default', body: sgc(name, spec) }),
        (e) => {
          const s = statusOf(e);
          assert.equal(s.code, 422);
          assert.deepEqual(
            s.details.causes.map((c: any) => c.field),
            [field],
          );
          assert.match(s.message, message);
          return true;
        },
      );
    };
    await reject(
      'two',
      { gatewayNodepoolName: 'a', gatewayVmssProfile: { vmssName: 'v' } },
      'spec',
      /spec: Invalid value: "object": exactly one of gatewayNodepoolName, gatewayVmssProfile, gatewayProfile must be set/,
    );
    await reject('none', {}, 'spec', /exactly one of/);
    await reject(
      'byo',
      { gatewayNodepoolName: 'a', provisionPublicIps: false, publicIpPrefixId: '/subscriptions/x' },
      'spec.publicIpPrefixId',
      /publicIpPrefixId can only be set when provisionPublicIps is true/,
    );
    await reject(
      'cidr',
      { gatewayNodepoolName: 'a', excludeCidrs: ['10.0.0.0/8', '10.0.0.1'] },
      'spec.excludeCidrs',
      /every excludeCidrs entry must be a CIDR/,
    );
    const ok: any = await co.createNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      body: sgc('byo-ok', {
        gatewayProfile: { vmssProfile: {} },
        publicIpPrefixId: '/subscriptions/x',
        excludeCidrs: ['10.0.0.0/8'],
      }),
    });
    assert.equal(ok.spec.publicIpPrefixId, '/subscriptions/x');
  });

  it('keeps status and spec apart (status subresource) and bumps generation only on spec changes', async () => {
    const created: any = await co.createNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      body: sgc('gen', { gatewayNodepoolName: 'a' }),
    });
    const withStatus: any = await co.patchNamespacedCustomObjectStatus(
      {
        ...SGC,
        namespace: 'default',
        name: 'gen',
        body: {
          status: { egressIpPrefix: '1.2.3.4/31' },
          spec: { gatewayNodepoolName: 'ignored' },
          metadata: { labels: { ignored: 'yes' } },
        },
      },
      merge,
    );
    assert.equal(withStatus.status.egressIpPrefix, '1.2.3.4/31');
    assert.equal(withStatus.spec.gatewayNodepoolName, 'a');
    assert.equal(withStatus.metadata.labels, undefined);
    assert.equal(withStatus.metadata.generation, 1);
    assert.ok(Number(withStatus.metadata.resourceVersion) > Number(created.metadata.resourceVersion));

    const labelled: any = await co.patchNamespacedCustomObject(
      {
        ...SGC,
        namespace: 'default',
        name: 'gen',
        body: { metadata: { labels: { team: 'net' } }, status: { egressIpPrefix: 'ignored' } },
      },
      merge,
    );
    assert.equal(labelled.metadata.generation, 1);
    assert.equal(labelled.status.egressIpPrefix, '1.2.3.4/31');
    const specChanged: any = await co.patchNamespacedCustomObject(
      { ...SGC, namespace: 'default', name: 'gen', body: { spec: { gatewayNodepoolName: 'b' } } },
      merge,
    );
    assert.equal(specChanged.metadata.generation, 2);
    const same: any = await co.patchNamespacedCustomObject(
      { ...SGC, namespace: 'default', name: 'gen', body: { spec: { gatewayNodepoolName: 'b' } } },
      merge,
    );
    assert.equal(
      same.metadata.resourceVersion,
      specChanged.metadata.resourceVersion,
      'a no-op patch writes nothing',
    );
  });

  it('answers strategic merge patch on a custom resource with 415, like the real server', async () => {
    await co.createNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      body: sgc('smp', { gatewayNodepoolName: 'a' }),
    });
    await assert.rejects(
      co.patchNamespacedCustomObject(
        { ...SGC, namespace: 'default', name: 'smp', body: { spec: { gatewayNodepoolName: 'b' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      ),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 415);
        assert.equal(s.reason, 'UnsupportedMediaType');
        return true;
      },
    );
    const jp: any = await co.patchNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      name: 'smp',
      body: [{ op: 'replace', path: '/spec/gatewayNodepoolName', value: 'c' }],
    });
    assert.equal(jp.spec.gatewayNodepoolName, 'c');
  });

  it('requires metadata.resourceVersion on PUT of a custom resource and checks it', async () => {
    const created: any = await co.createNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      body: sgc('put', { gatewayNodepoolName: 'a' }),
    });
    const noRv = { ...created, metadata: { name: 'put' } };
    await assert.rejects(
      co.replaceNamespacedCustomObject({ ...SGC, namespace: 'default', name: 'put', body: noRv }),
      (e) => {
        assert.match(
          statusOf(e).message,
          /metadata\.resourceVersion: Invalid value: "0x0": must be specified for an update/,
        );
        return true;
      },
    );
    const next: any = await co.replaceNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      name: 'put',
      body: { ...created, spec: { ...created.spec, gatewayNodepoolName: 'b' } },
    });
    assert.equal(next.metadata.generation, 2);
    await assert.rejects(
      co.replaceNamespacedCustomObject({ ...SGC, namespace: 'default', name: 'put', body: created }),
      (e) => statusOf(e).code === 409,
    );
  });

  it('server-side apply: creates, merges, removes fields the manager dropped, reports conflicts unless forced', async () => {
    const ssa = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
    await assert.rejects(
      co.patchNamespacedCustomObject(
        { ...SGC, namespace: 'default', name: 'applied', body: sgc('applied', { gatewayNodepoolName: 'a' }) },
        ssa,
      ),
      (e) => {
        assert.equal(statusOf(e).code, 400);
        return true;
      },
    );
    const created: any = await co.patchNamespacedCustomObject(
      {
        ...SGC,
        namespace: 'default',
        name: 'applied',
        fieldManager: 'relay',
        body: sgc('applied', { gatewayNodepoolName: 'a', excludeCidrs: ['10.0.0.0/8'] }),
      },
      ssa,
    );
    assert.equal(created.spec.gatewayNodepoolName, 'a');
    assert.equal(created.spec.defaultRoute, 'staticEgressGateway');
    const dropped: any = await co.patchNamespacedCustomObject(
      {
        ...SGC,
        namespace: 'default',
        name: 'applied',
        fieldManager: 'relay',
        body: sgc('applied', { gatewayNodepoolName: 'a' }),
      },
      ssa,
    );
    assert.equal(dropped.spec.excludeCidrs, undefined, 'a field the manager stopped applying is removed');
    await assert.rejects(
      co.patchNamespacedCustomObject(
        {
          ...SGC,
          namespace: 'default',
          name: 'applied',
          fieldManager: 'other',
          body: sgc('applied', { gatewayNodepoolName: 'b' }),
        },
        ssa,
      ),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 409);
        assert.match(
          s.message,
          /Apply failed with 1 conflict: conflict with "relay": \.spec\.gatewayNodepoolName/,
        );
        return true;
      },
    );
    const forced: any = await co.patchNamespacedCustomObject(
      {
        ...SGC,
        namespace: 'default',
        name: 'applied',
        fieldManager: 'other',
        force: true,
        body: sgc('applied', { gatewayNodepoolName: 'b' }),
      },
      ssa,
    );
    assert.equal(forced.spec.gatewayNodepoolName, 'b');
    const status: any = await co.patchNamespacedCustomObjectStatus(
      {
        ...SGC,
        namespace: 'default',
        name: 'applied',
        fieldManager: 'relay',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'StaticGatewayConfiguration',
          metadata: { name: 'applied' },
          status: { egressIpPrefix: '10.0.0.4' },
        },
      },
      ssa,
    );
    assert.equal(status.status.egressIpPrefix, '10.0.0.4');
    assert.equal(status.spec.gatewayNodepoolName, 'b');
  });

  it('keeps an object with finalizers until they are removed, then deletes it', async () => {
    await co.createNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      body: sgc(
        'fin',
        { gatewayNodepoolName: 'a' },
        { finalizers: ['static-gateway-configuration-controller.microsoft.com'] },
      ),
    });
    const deleting: any = await co.deleteNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      name: 'fin',
    });
    assert.ok(deleting.metadata.deletionTimestamp);
    assert.equal(deleting.metadata.generation, 2, 'marking for deletion bumps generation');
    const still: any = await co.getNamespacedCustomObject({ ...SGC, namespace: 'default', name: 'fin' });
    assert.ok(still.metadata.deletionTimestamp);
    await assert.rejects(
      co.patchNamespacedCustomObject(
        {
          ...SGC,
          namespace: 'default',
          name: 'fin',
          body: {
            metadata: { finalizers: ['static-gateway-configuration-controller.microsoft.com', 'another'] },
          },
        },
        merge,
      ),
      (e) => {
        assert.match(statusOf(e).message, /no new finalizers can be added if the object is being deleted/);
        return true;
      },
    );
    await co.patchNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      name: 'fin',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    await assert.rejects(
      co.getNamespacedCustomObject({ ...SGC, namespace: 'default', name: 'fin' }),
      (e) => statusOf(e).code === 404,
    );
  });

  it('garbage-collects a PodEndpoint whose owning Pod is deleted', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pod = await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'client' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    });
    await co.createNamespacedCustomObject({
      ...PE,
      namespace: 'default',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'PodEndpoint',
        metadata: {
          name: 'client',
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Pod',
              name: 'client',
              uid: pod.metadata!.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: { staticGatewayConfiguration: 'gw', podIpAddress: '10.1.0.5/32', podPublicKey: 'k' },
      },
    });
    await core.deleteNamespacedPod({ namespace: 'default', name: 'client' });
    await until(
      async () => (await co.listNamespacedCustomObject({ ...PE, namespace: 'default' })).items.length === 0,
      'PodEndpoint garbage collection',
    );
  });

  it('KubernetesObjectApi resolves the CR kind through discovery and round-trips it', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const spec = {
      ...sgc('generic', { gatewayNodepoolName: 'a' }),
      metadata: { name: 'generic', namespace: 'default' },
    };
    const created = await objects.create(spec);
    assert.equal(created.metadata?.name, 'generic');
    const read: any = await objects.read({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'StaticGatewayConfiguration',
      metadata: { name: 'generic', namespace: 'default' },
    });
    assert.equal(read.spec.defaultRoute, 'staticEgressGateway');
    await objects.delete(read);
    await assert.rejects(objects.read(read));
  });

  it('renders a kubectl Table with the CRD printer columns', async () => {
    await co.createNamespacedCustomObject({
      ...SGC,
      namespace: 'default',
      body: sgc('table', { gatewayNodepoolName: 'pool-t' }),
    });
    const res = await raw(
      kube,
      'GET',
      `/apis/${GROUP}/${VERSION}/namespaces/default/staticgatewayconfigurations?fieldSelector=metadata.name%3Dtable`,
      {
        headers: {
          Accept:
            'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
        },
      },
    );
    const table = JSON.parse(res.body);
    assert.equal(table.kind, 'Table');
    assert.deepEqual(
      table.columnDefinitions.map((c: any) => c.name),
      ['Name', 'Nodepool', 'Egress', 'Age'],
    );
    assert.deepEqual(table.rows[0].cells.slice(0, 3), ['table', 'pool-t', null]);
    assert.equal(table.rows[0].object.kind, 'PartialObjectMetadata');
  });

  it('rejects a CRD whose CEL rule uses an unsupported feature or an undefined field, naming the rule', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const withRule = (rule: string): any => {
      const c = structuredClone(podEndpointCrd) as any;
      c.metadata.name = `widgets.${GROUP}`;
      c.spec.names = { plural: 'widgets', kind: 'Widget' };
      c.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'] = [{ rule }];
      return c;
    };
    await assert.rejects(
      ext.createCustomResourceDefinition({
        body: k8s.loadYaml(JSON.stringify(withRule('self.podIpAddress.format("%s")'))),
      }),
      (e) => {
        const s = statusOf(e);
        assert.equal(s.code, 422);
        assert.equal(
          s.details.causes[0].field,
          'spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-validations[0].rule',
        );
        assert.match(
          s.message,
          /compilation failed: .*found no matching overload for 'string\.format\(string\)'/,
        );
        return true;
      },
    );
    await assert.rejects(
      ext.createCustomResourceDefinition({
        body: k8s.loadYaml(JSON.stringify(withRule('has(self.podIPAddress)'))),
      }),
      (e) => {
        assert.match(statusOf(e).message, /undefined field 'podIPAddress'/);
        return true;
      },
    );
  });

  it('deleting a CRD deletes its objects and stops serving the kind', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const c = structuredClone(podEndpointCrd) as any;
    c.metadata.name = `gadgets.${GROUP}`;
    c.spec.names = { plural: 'gadgets', kind: 'Gadget' };
    await ext.createCustomResourceDefinition({ body: k8s.loadYaml(JSON.stringify(c)) });
    const G = { group: GROUP, version: VERSION, plural: 'gadgets' };
    await co.createNamespacedCustomObject({
      ...G,
      namespace: 'default',
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Gadget', metadata: { name: 'g1' }, spec: {} },
    });
    await ext.deleteCustomResourceDefinition({ name: `gadgets.${GROUP}` });
    await until(
      async () =>
        (await raw(kube, 'GET', `/apis/${GROUP}/${VERSION}/namespaces/default/gadgets`)).status === 404,
      'CRD removal',
    );
    const discovery = JSON.parse((await raw(kube, 'GET', `/apis/${GROUP}/${VERSION}`)).body);
    assert.ok(!discovery.resources.some((r: any) => r.name === 'gadgets'));
  });
});
