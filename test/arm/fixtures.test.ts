/**
 * Replays every official example in fixtures/azure-specs/Microsoft.Compute and Microsoft.Network
 * against the stand-in (raw HTTP, so no SDK deserializer hides a field): prerequisites the example
 * refers to are seeded first, the example's request body is sent where there is one, and the answer
 * must carry the example response's fields with the same nesting and JSON types (values may differ).
 * Fields the stand-in intentionally leaves out are listed per example with the reason. A fixture file
 * that is neither exercised nor excused fails the suite.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseResourceId, resourceTypeOf } from '../../infra/local/arm/core/resourceId.js';
import type { ArmStandIn } from '../../infra/local/arm/startArmStandIn.js';
import { startArmStandIn } from '../../infra/local/arm/startArmStandIn.js';
import type { RawResponse } from './support/rawRequest.js';
import { rawRequest } from './support/rawRequest.js';
import { AZURE_SPECS_DIR } from '../support/azureSpecFixtures.js';

const ROOT = AZURE_SPECS_DIR;
const COMPUTE = '2026-04-01';
const NETWORK = '2026-01-01';
const VMSS_NIC = '2018-10-01';
type J = Record<string, unknown>;
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

interface Example {
  readonly parameters: J;
  readonly responses: Record<string, { body?: unknown; headers?: Record<string, string> }>;
}

/** Fields the stand-in does not produce, per example (JSON paths with `[]` for any element). */
const OMITTED: Record<string, Record<string, string>> = {
  'VirtualMachineScaleSetVMs_Get__VirtualMachineScaleSetVM_Get_WithVMSizeProperties.json': {
    '$.resources': 'VM extensions are not modelled',
    '$.properties.userData': 'userData ($expand=userData) is not modelled',
  },
  'VirtualMachineScaleSetVMs_List__VirtualMachineScaleSetVM_List_WithResiliencyView.json': {
    '$.value[].resources': 'VM extensions are not modelled',
    '$.value[].properties.resilientVMDeletionStatus': 'resiliency view is not modelled',
  },
  'VirtualMachines_Get__VirtualMachine_Get_WithDiskControllerType.json': {
    '$.resources': 'VM extensions are not modelled',
  },
  'VirtualMachineScaleSets_Update__VirtualMachineScaleSet_Update_MaximumSet_Gen.json': {
    '$.properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties.ipConfigurations[].properties.publicIPAddressConfiguration.properties.ipTags':
      'PATCH replaces arrays: the request networkInterfaceConfigurations (without this field) replace the seeded ones; the generated example mixes in the previous state',
    '$.properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties.ipConfigurations[].properties.publicIPAddressConfiguration.properties.publicIPPrefix':
      'same: PATCH replaces arrays, the request has no publicIPPrefix',
    '$.properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties.ipConfigurations[].properties.publicIPAddressConfiguration.properties.publicIPAddressVersion':
      'same: PATCH replaces arrays',
    '$.properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties.ipConfigurations[].properties.publicIPAddressConfiguration.sku':
      'same: PATCH replaces arrays',
    '$.properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties.dnsSettings.dnsServers':
      'same: the request sends an empty dnsServers list',
    '$.tags.key8425':
      'a PATCH with tags replaces the tag set; the generated example shows a tag of the previous state',
  },
  'PublicIPAddresses_CreateOrUpdate__PublicIpAddressCreateDefaults.json': {
    '$.properties.ipConfiguration':
      'a public IP created by this very request is attached to nothing; the example shows a back-reference it cannot have yet',
  },
  'NetworkInterfaces_GetVirtualMachineScaleSetNetworkInterface__VmssNetworkInterfaceGet.json': {
    '$.properties.ipConfigurations[].properties.loadBalancerInboundNatRules':
      'inbound NAT pools of scale sets are not modelled',
  },
  'NetworkInterfaces_ListVirtualMachineScaleSetVMNetworkInterfaces__VmssVmNetworkInterfaceList.json': {
    '$.value[].properties.ipConfigurations[].properties.loadBalancerInboundNatRules':
      'inbound NAT pools of scale sets are not modelled',
  },
};

/**
 * Fixture files this suite does not replay. The Event Grid samples belong to the event-parsing work;
 * semantics.test.ts checks that the events the stand-in emits have the shape of the Success samples.
 */
const EXCUSED: Record<string, string> = Object.fromEntries(
  [
    'ResourceActionCancel__event-grid-schema_resource_action_cancel.json',
    'ResourceActionFailure__event-grid-schema_resource_action_failure.json',
    'ResourceActionSuccess__event-grid-schema_resource_action_success.json',
    'ResourceDeleteCancel__event-grid-schema_resource_delete_cancel.json',
    'ResourceDeleteFailure__event-grid-schema_resource_delete_failure.json',
    'ResourceDeleteSuccess__event-grid-schema_resource_delete_success.json',
    'ResourceWriteCancel__event-grid-schema_resource_write_cancel.json',
    'ResourceWriteFailure__event-grid-schema_resource_write_failure.json',
    'ResourceWriteSuccess__cloud-events-schema_resource_write_success.json',
    'ResourceWriteSuccess__event-grid-schema_resource_write_success.json',
  ].map((f) => [
    f,
    'Event Grid sample: parsed by the event-parsing work; emitted-event shape checked in semantics.test.ts',
  ]),
);

/** How an example's request is mapped to the stand-in when the example itself cannot be sent as is. */
const MAPPINGS: Record<string, string> = {
  'VirtualMachines_CreateOrUpdate__VirtualMachine_Create_WithNetworkInterfaceConfiguration.json':
    'VM-created NICs (networkInterfaceConfigurations + networkApiVersion) are not modelled: the request references a pre-created NIC instead; the response shape (networkInterfaces[].id/properties.primary) is compared',
  'VirtualMachineScaleSetVMs_Update__VirtualMachineScaleSetVM_Update_MinimumSet_Gen.json':
    "instance id 'aaaaaaaaaaaaaaaaaaaa' is mapped to instance 0 (the stand-in numbers instances)",
};

const SUBSCRIPTION_PLACEHOLDERS = [
  '{subscription-id}',
  '{subscriptionId}',
  'subid',
  '00000000-0000-0000-0000-000000000000',
];

/** Maps placeholders to the stand-in's world: subscription ids, `{name}` placeholders. */
function mapPlaceholders(value: unknown, sub: string): unknown {
  if (typeof value === 'string') {
    let s = value;
    for (const p of SUBSCRIPTION_PLACEHOLDERS)
      s = s.split(`/subscriptions/${p}/`).join(`/subscriptions/${sub}/`);
    if (s.startsWith('subscriptions/')) s = `/${s}`;
    return s.replace(/\{([^}]*)\}/g, (_, name: string) => name.replace(/[^A-Za-z0-9._-]/g, '-'));
  }
  if (Array.isArray(value)) return value.map((v) => mapPlaceholders(v, sub));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapPlaceholders(v, sub)]));
  return value;
}

/**
 * `*_MaximumSet_Gen` examples carry references of the wrong type (a prefix id naming an availability
 * set, a subnet id `aaaa`): point subnet / prefix / backend pool references at seeded resources of the
 * right type. Only request and seed bodies are repaired; responses are compared by shape.
 */
function repairRefs(value: unknown, rgPath: string, key?: string): unknown {
  const fix: Record<string, [string, string]> = {
    subnet: [
      'microsoft.network/virtualnetworks/subnets',
      `${rgPath}/providers/Microsoft.Network/virtualNetworks/seed-vnet/subnets/default`,
    ],
    publicIPPrefix: [
      'microsoft.network/publicipprefixes',
      `${rgPath}/providers/Microsoft.Network/publicIPPrefixes/seed-prefix`,
    ],
    loadBalancerBackendAddressPools: [
      'microsoft.network/loadbalancers/backendaddresspools',
      `${rgPath}/providers/Microsoft.Network/loadBalancers/seed-lb/backendAddressPools/seed-pool`,
    ],
  };
  const rule = key === undefined ? undefined : fix[key];
  const repairOne = (v: unknown): unknown => {
    const id = (v as J | null)?.['id'];
    if (rule && typeof id === 'string') {
      const p = parseResourceId(id);
      if ((p && resourceTypeOf(p))?.toLowerCase() !== rule[0]) return { ...(v as J), id: rule[1] };
    }
    return repairRefs(v, rgPath);
  };
  if (Array.isArray(value)) return value.map((v) => (rule ? repairOne(v) : repairRefs(v, rgPath)));
  if (value && typeof value === 'object') {
    if (rule) return repairOne(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, repairRefs(v, rgPath, k)]));
  }
  return value;
}

const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Every field of `expected` is in `actual` with the same JSON type (recursively), unless omitted. */
function compareShape(
  actual: unknown,
  expected: unknown,
  omitted: Record<string, string>,
  path = '$',
): string[] {
  const normalized = path.replace(/\[\d+\]/g, '[]');
  if (normalized in omitted) return [];
  if (typeOf(actual) !== typeOf(expected))
    return [`${normalized}: ${typeOf(actual)} instead of ${typeOf(expected)}`];
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    if (expected.length > 0 && a.length === 0)
      return [`${normalized}: empty array, example has ${expected.length}`];
    return expected.flatMap((e, i) => {
      const name = (e as J | null)?.['name'];
      const match =
        (name !== undefined && a.find((x) => (x as J | null)?.['name'] === name)) ||
        a[Math.min(i, a.length - 1)];
      return compareShape(match, e, omitted, `${path}[${i}]`);
    });
  }
  if (typeOf(expected) === 'object')
    return Object.entries(expected as J).flatMap(([k, v]) =>
      k in (actual as J)
        ? compareShape((actual as J)[k], v, omitted, `${path}.${k}`)
        : `${normalized}.${k}`.replace(/^\$\$/, '$') in omitted
          ? []
          : [`${normalized}.${k}: missing`],
    );
  return [];
}

/** Seeds what ids in a body refer to: resource groups, subnets, LB pools, prefixes, public IPs, NICs. */
class Seeder {
  private vnets = new Map<string, { index: number; subnets: string[] }>();
  private pools = new Map<string, string[]>();
  constructor(private readonly s: ArmStandIn) {}

  async put(path: string, body: unknown, api: string): Promise<RawResponse> {
    const p = parseResourceId(path);
    if (p?.provider !== undefined && p.resourceGroup !== undefined)
      await this.rg(p.subscriptionId, p.resourceGroup);
    const res = await rawRequest({
      endpoint: this.s.endpoint,
      caPem: this.s.caPem,
      method: 'PUT',
      path: `${path}?api-version=${api}`,
      body,
    });
    assert.ok(res.status < 300, `seeding PUT ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    await this.s.admin.waitForOperations();
    return res;
  }

  async rg(sub: string, rg: string): Promise<void> {
    await this.put(`/subscriptions/${sub}/resourcegroups/${rg}`, { location: 'westus' }, '2024-03-01');
  }

  async subnet(vnetId: string, name: string): Promise<string> {
    let v = this.vnets.get(vnetId.toLowerCase());
    if (!v) {
      v = { index: this.vnets.size + 1, subnets: [] };
      this.vnets.set(vnetId.toLowerCase(), v);
    }
    if (!v.subnets.includes(name)) {
      v.subnets.push(name);
      const p = parseResourceId(vnetId);
      await this.rg(p?.subscriptionId ?? '', p?.resourceGroup ?? '');
      const idx = v.index;
      await this.put(
        vnetId,
        {
          location: 'westus',
          properties: {
            addressSpace: { addressPrefixes: [`10.${idx}.0.0/16`] },
            subnets: v.subnets.map((n, k) => ({
              name: n,
              properties: { addressPrefix: `10.${idx}.${k}.0/24` },
            })),
          },
        },
        NETWORK,
      );
    }
    return `${vnetId}/subnets/${name}`;
  }

  async pool(lbId: string, name: string): Promise<void> {
    const pools = this.pools.get(lbId.toLowerCase()) ?? [];
    if (pools.includes(name)) return;
    pools.push(name);
    this.pools.set(lbId.toLowerCase(), pools);
    const rgId = lbId.split('/providers/')[0] ?? '';
    const subnet = await this.subnet(
      `${rgId}/providers/Microsoft.Network/virtualNetworks/seed-lb-vnet`,
      'frontend',
    );
    await this.put(
      lbId,
      {
        location: 'westus',
        sku: { name: 'Standard' },
        properties: {
          frontendIPConfigurations: [{ name: 'fe', properties: { subnet: { id: subnet } } }],
          backendAddressPools: pools.map((n) => ({ name: n })),
        },
      },
      NETWORK,
    );
  }

  async nic(nicId: string): Promise<void> {
    if (this.s.admin.resource(nicId)) return;
    const rgId = nicId.split('/providers/')[0] ?? '';
    const subnet = await this.subnet(
      `${rgId}/providers/Microsoft.Network/virtualNetworks/seed-vnet`,
      'default',
    );
    await this.put(
      nicId,
      {
        location: 'westus',
        properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: subnet } } }] },
      },
      NETWORK,
    );
  }

  /** Seeds everything the ids inside `body` refer to, except ids under `self`. */
  async refs(body: unknown, self: string): Promise<void> {
    const ids = new Set<string>();
    const walk = (v: unknown, key?: string) => {
      if (typeof v === 'string' && key === 'id' && v.startsWith('/subscriptions/')) ids.add(v);
      else if (Array.isArray(v)) v.forEach((x) => walk(x));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(body);
    for (const id of ids) {
      if (id.toLowerCase().startsWith(self.toLowerCase())) continue;
      const p = parseResourceId(id);
      if (!p?.resourceGroup) continue;
      const type = (p && resourceTypeOf(p))?.toLowerCase();
      const names = p.segments.map(([, n]) => n);
      const rgId = `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}`;
      if (type === 'microsoft.network/virtualnetworks/subnets')
        await this.subnet(
          `${rgId}/providers/Microsoft.Network/virtualNetworks/${names[0] ?? ''}`,
          names[1] ?? '',
        );
      else if (type === 'microsoft.network/loadbalancers/backendaddresspools')
        await this.pool(
          `${rgId}/providers/Microsoft.Network/loadBalancers/${names[0] ?? ''}`,
          names[1] ?? '',
        );
      else if (type === 'microsoft.network/publicipprefixes') {
        await this.rg(p.subscriptionId, p.resourceGroup);
        if (!this.s.admin.resource(id))
          await this.put(
            id,
            { location: 'westus', sku: { name: 'Standard' }, properties: { prefixLength: 28 } },
            NETWORK,
          );
      } else if (type === 'microsoft.network/publicipaddresses') {
        await this.rg(p.subscriptionId, p.resourceGroup);
        if (!this.s.admin.resource(id))
          await this.put(
            id,
            {
              location: 'westus',
              sku: { name: 'Standard' },
              properties: { publicIPAllocationMethod: 'Static' },
            },
            NETWORK,
          );
      } else if (type === 'microsoft.network/networkinterfaces') await this.nic(id);
      else await this.rg(p.subscriptionId, p.resourceGroup);
    }
  }
}

/** Drops what a client would not send back (ids, etags, read-only state). */
function forPut(body: unknown): J {
  const b = structuredClone(body) as J;
  for (const k of ['id', 'name', 'type', 'etag', 'resources']) delete b[k];
  const props = (b['properties'] ?? {}) as J;
  for (const k of [
    'provisioningState',
    'uniqueId',
    'vmId',
    'latestModelApplied',
    'instanceView',
    'timeCreated',
  ])
    delete props[k];
  return b;
}

interface Ctx {
  readonly s: ArmStandIn;
  readonly seed: Seeder;
  readonly sub: string;
  readonly ex: Example;
  readonly p: J;
  readonly rgPath: string;
}

type Scenario = (c: Ctx) => Promise<{ readonly res: RawResponse; readonly status: string }>;

const req = (c: Ctx, method: string, path: string, api: string, body?: unknown) =>
  rawRequest({
    endpoint: c.s.endpoint,
    caPem: c.s.caPem,
    method,
    path: `${path}${path.includes('?') ? '&' : '?'}api-version=${api}`,
    ...(body === undefined ? {} : { body }),
  });

const param = (c: Ctx, k: string) => String(c.p[k]);
const networkPath = (c: Ctx, type: string, name: string) =>
  `${c.rgPath}/providers/Microsoft.Network/${type}/${name}`;
const computePath = (c: Ctx, type: string, name: string) =>
  `${c.rgPath}/providers/Microsoft.Compute/${type}/${name}`;

/** Seeds a resource from an example response body, then answers a GET of it. */
async function seededGet(c: Ctx, path: string, body: unknown, api: string, extra?: () => Promise<void>) {
  await c.seed.refs(body, path);
  await c.seed.put(path, forPut(body), api);
  await extra?.();
  return { res: await req(c, 'GET', path, api), status: '200' };
}

async function seededDelete(c: Ctx, path: string, body: unknown, api: string) {
  await c.seed.refs(body, path);
  await c.seed.put(path, body, api);
  const res = await req(c, 'DELETE', path, api);
  await c.s.admin.waitForOperations();
  assert.equal(res.status, 202);
  assert.ok(
    typeof res.headers['location'] === 'string' && typeof res.headers['azure-asyncoperation'] === 'string',
    'Location + Azure-AsyncOperation',
  );
  const again = await req(c, 'DELETE', path, api);
  assert.equal(again.status, 204, 'deleting an absent resource answers 204');
  return { res, status: '202' };
}

const vmssSeedBody = (c: Ctx, instanceBody: J, capacity: number): J => {
  const props = (instanceBody['properties'] ?? {}) as J;
  const os = { ...((props['osProfile'] ?? {}) as J) };
  const prefix = text(os['computerName'] ?? 'vm').slice(0, 9);
  delete os['computerName'];
  return {
    location: instanceBody['location'],
    tags: instanceBody['tags'] ?? {},
    sku: { ...((instanceBody['sku'] ?? { name: 'Standard_D2s_v3', tier: 'Standard' }) as J), capacity },
    ...(instanceBody['identity'] === undefined ? {} : { identity: instanceBody['identity'] }),
    properties: {
      upgradePolicy: { mode: 'Manual' },
      virtualMachineProfile: {
        hardwareProfile: props['hardwareProfile'],
        storageProfile: props['storageProfile'],
        osProfile: { ...os, computerNamePrefix: prefix },
        securityProfile: props['securityProfile'],
        diagnosticsProfile: props['diagnosticsProfile'],
        networkProfile: (props['networkProfileConfiguration'] ?? {}) as J,
      },
    },
  };
};

const SCENARIOS: Record<string, Scenario> = {
  LoadBalancers_CreateOrUpdate: async (c) => {
    const path = networkPath(c, 'loadBalancers', param(c, 'loadBalancerName'));
    const body = c.p['parameters'];
    await c.seed.refs(body, path);
    return { res: await req(c, 'PUT', path, NETWORK, body), status: '201' };
  },
  LoadBalancers_Get: (c) =>
    seededGet(
      c,
      networkPath(c, 'loadBalancers', param(c, 'loadBalancerName')),
      c.ex.responses['200']?.body,
      NETWORK,
    ),
  LoadBalancers_List: async (c) => {
    const first = ((c.ex.responses['200']?.body as J)['value'] as J[])[0] as J;
    await seededGet(c, String(first['id']), first, NETWORK);
    return {
      res: await req(c, 'GET', `${c.rgPath}/providers/Microsoft.Network/loadBalancers`, NETWORK),
      status: '200',
    };
  },
  LoadBalancers_Delete: (c) =>
    seededDelete(
      c,
      networkPath(c, 'loadBalancers', param(c, 'loadBalancerName')),
      { location: 'westus', properties: {} },
      NETWORK,
    ),
  NetworkInterfaces_CreateOrUpdate: async (c) => {
    const path = networkPath(c, 'networkInterfaces', param(c, 'networkInterfaceName'));
    await c.seed.refs(c.p['parameters'], path);
    return { res: await req(c, 'PUT', path, NETWORK, c.p['parameters']), status: '201' };
  },
  NetworkInterfaces_Get: (c) => {
    const path = networkPath(c, 'networkInterfaces', param(c, 'networkInterfaceName'));
    const body = c.ex.responses['200']?.body as J;
    return seededGet(c, path, body, NETWORK, () => attachVm(c, body));
  },
  NetworkInterfaces_List: async (c) => {
    for (const nic of (c.ex.responses['200']?.body as J)['value'] as J[])
      await seededGet(c, String(nic['id']), nic, NETWORK, () => attachVm(c, nic));
    return {
      res: await req(c, 'GET', `${c.rgPath}/providers/Microsoft.Network/networkInterfaces`, NETWORK),
      status: '200',
    };
  },
  NetworkInterfaces_Delete: (c) => {
    const path = networkPath(c, 'networkInterfaces', param(c, 'networkInterfaceName'));
    return (async () => {
      await c.seed.nic(path);
      const res = await req(c, 'DELETE', path, NETWORK);
      await c.s.admin.waitForOperations();
      assert.equal(res.status, 202);
      assert.equal((await req(c, 'DELETE', path, NETWORK)).status, 204);
      return { res, status: '202' };
    })();
  },
  NetworkInterfaces_GetVirtualMachineScaleSetNetworkInterface: async (c) => {
    const vmss = computePath(c, 'virtualMachineScaleSets', param(c, 'virtualMachineScaleSetName'));
    await seedVmssForNic(c, vmss, c.ex.responses['200']?.body as J);
    return {
      res: await req(
        c,
        'GET',
        `${vmss}/virtualMachines/${param(c, 'virtualmachineIndex')}/networkInterfaces/${param(c, 'networkInterfaceName')}`,
        VMSS_NIC,
      ),
      status: '200',
    };
  },
  NetworkInterfaces_ListVirtualMachineScaleSetVMNetworkInterfaces: async (c) => {
    const vmss = computePath(c, 'virtualMachineScaleSets', param(c, 'virtualMachineScaleSetName'));
    await seedVmssForNic(c, vmss, ((c.ex.responses['200']?.body as J)['value'] as J[])[0] as J);
    return {
      res: await req(
        c,
        'GET',
        `${vmss}/virtualMachines/${param(c, 'virtualmachineIndex')}/networkInterfaces`,
        VMSS_NIC,
      ),
      status: '200',
    };
  },
  PublicIPAddresses_CreateOrUpdate: async (c) => {
    const path = networkPath(c, 'publicIPAddresses', param(c, 'publicIpAddressName'));
    await c.seed.rg(c.sub, param(c, 'resourceGroupName'));
    return { res: await req(c, 'PUT', path, NETWORK, c.p['parameters']), status: '201' };
  },
  PublicIPAddresses_Get: (c) => {
    const path = networkPath(c, 'publicIPAddresses', param(c, 'publicIpAddressName'));
    const body = c.ex.responses['200']?.body as J;
    return seededGet(c, path, body, NETWORK, async () => {
      const ipc = String(((body['properties'] as J)['ipConfiguration'] as J)['id']);
      const nicId = ipc.split('/ipConfigurations/')[0] ?? '';
      await c.seed.refs({ x: { id: nicId } }, path);
      const nic = c.s.admin.resource(nicId) as J;
      const cfg = structuredClone(((nic['properties'] as J)['ipConfigurations'] as J[])[0]) as J;
      cfg['name'] = ipc.split('/').pop();
      (cfg['properties'] as J)['publicIPAddress'] = { id: path };
      await c.seed.put(nicId, { location: 'westus', properties: { ipConfigurations: [cfg] } }, NETWORK);
    });
  },
  PublicIPAddresses_Delete: (c) =>
    seededDelete(
      c,
      networkPath(c, 'publicIPAddresses', param(c, 'publicIpAddressName')),
      { location: 'westus', properties: {} },
      NETWORK,
    ),
  PublicIPPrefixes_CreateOrUpdate: async (c) => {
    await c.seed.rg(c.sub, param(c, 'resourceGroupName'));
    return {
      res: await req(
        c,
        'PUT',
        networkPath(c, 'publicIPPrefixes', param(c, 'publicIpPrefixName')),
        NETWORK,
        c.p['parameters'],
      ),
      status: '201',
    };
  },
  PublicIPPrefixes_Get: (c) => {
    const path = networkPath(c, 'publicIPPrefixes', param(c, 'publicIpPrefixName'));
    const body = c.ex.responses['200']?.body as J;
    return seededGet(c, path, body, NETWORK, async () => {
      for (const ref of (body['properties'] as J)['publicIPAddresses'] as J[])
        await c.seed.put(
          String(ref['id']),
          { location: 'westus', sku: { name: 'Standard' }, properties: { publicIPPrefix: { id: path } } },
          NETWORK,
        );
    });
  },
  PublicIPPrefixes_List: async (c) => {
    for (const item of (c.ex.responses['200']?.body as J)['value'] as J[])
      await seededGet(c, String(item['id']), item, NETWORK);
    return {
      res: await req(c, 'GET', `${c.rgPath}/providers/Microsoft.Network/publicIPPrefixes`, NETWORK),
      status: '200',
    };
  },
  PublicIPPrefixes_Delete: (c) =>
    seededDelete(
      c,
      networkPath(c, 'publicIPPrefixes', param(c, 'publicIpPrefixName')),
      { location: 'westus', properties: { prefixLength: 31 } },
      NETWORK,
    ),
  Subnets_Get: async (c) => {
    const vnet = networkPath(c, 'virtualNetworks', param(c, 'virtualNetworkName'));
    await c.seed.subnet(vnet, param(c, 'subnetName'));
    return { res: await req(c, 'GET', `${vnet}/subnets/${param(c, 'subnetName')}`, NETWORK), status: '200' };
  },
  VirtualMachineScaleSets_CreateOrUpdate: async (c) => {
    const path = computePath(c, 'virtualMachineScaleSets', param(c, 'vmScaleSetName'));
    await c.seed.refs(c.p['parameters'], path);
    return { res: await req(c, 'PUT', path, COMPUTE, c.p['parameters']), status: '201' };
  },
  VirtualMachineScaleSets_Get: (c) =>
    seededGet(
      c,
      computePath(c, 'virtualMachineScaleSets', param(c, 'vmScaleSetName')),
      c.ex.responses['200']?.body,
      COMPUTE,
    ),
  VirtualMachineScaleSets_List: async (c) => {
    const first = ((c.ex.responses['200']?.body as J)['value'] as J[])[0] as J;
    await seededGet(
      c,
      String(first['id']),
      { ...first, sku: { name: 'Standard_D2s_v3', capacity: 0 } },
      COMPUTE,
    );
    return {
      res: await req(c, 'GET', `${c.rgPath}/providers/Microsoft.Compute/virtualMachineScaleSets`, COMPUTE),
      status: '200',
    };
  },
  VirtualMachineScaleSets_ListAll: async (c) => {
    const first = ((c.ex.responses['200']?.body as J)['value'] as J[])[0] as J;
    for (const name of ['', '-2'])
      await seededGet(
        c,
        `${String(first['id'])}${name}`,
        { ...first, sku: { ...(first['sku'] as J), capacity: 1 } },
        COMPUTE,
      );
    return {
      res: await req(
        c,
        'GET',
        `/subscriptions/${c.sub}/providers/Microsoft.Compute/virtualMachineScaleSets`,
        COMPUTE,
      ),
      status: '200',
    };
  },
  VirtualMachineScaleSets_Update: async (c) => {
    const path = computePath(c, 'virtualMachineScaleSets', param(c, 'vmScaleSetName'));
    const current = c.ex.responses['200']?.body as J;
    await seededGet(c, path, { ...current, sku: { ...(current['sku'] as J), capacity: 1 } }, COMPUTE);
    const body = c.p['parameters'] as J;
    await c.seed.refs(body, path);
    return {
      res: await req(c, 'PATCH', path, COMPUTE, {
        ...body,
        sku: { ...((body['sku'] ?? {}) as J), capacity: 1 },
      }),
      status: '200',
    };
  },
  VirtualMachineScaleSets_Delete: (c) =>
    (async () => {
      const path = computePath(c, 'virtualMachineScaleSets', param(c, 'vmScaleSetName'));
      await c.seed.rg(c.sub, param(c, 'resourceGroupName'));
      await c.seed.put(
        path,
        { location: 'westus', sku: { name: 'Standard_D2s_v3', capacity: 0 }, properties: {} },
        COMPUTE,
      );
      const res = await req(c, 'DELETE', `${path}?forceDeletion=true`, COMPUTE);
      await c.s.admin.waitForOperations();
      assert.equal(res.status, 202);
      assert.equal(typeof res.headers['location'], 'string');
      assert.equal((await req(c, 'DELETE', path, COMPUTE)).status, 204);
      return { res, status: '202' };
    })(),
  VirtualMachineScaleSetVMs_Get: async (c) => {
    const vmss = computePath(c, 'virtualMachineScaleSets', param(c, 'vmScaleSetName'));
    const body = c.ex.responses['200']?.body as J;
    const seed = vmssSeedBody(c, body, 1);
    await c.seed.refs(seed, vmss);
    await c.seed.put(vmss, seed, COMPUTE);
    return {
      res: await req(c, 'GET', `${vmss}/virtualMachines/${param(c, 'instanceId')}`, COMPUTE),
      status: '200',
    };
  },
  VirtualMachineScaleSetVMs_List: async (c) => {
    const vmss = computePath(c, 'virtualMachineScaleSets', param(c, 'virtualMachineScaleSetName'));
    const values = (c.ex.responses['200']?.body as J)['value'] as J[];
    const first = values[0] as J;
    // Instances carry the scale set's tags: seed the ones the example's tagged instance shows.
    const seed = vmssSeedBody(
      c,
      { ...first, tags: values.find((v) => v['tags'] !== undefined)?.['tags'] ?? {} },
      2,
    );
    await c.seed.refs(seed, vmss);
    await c.seed.put(vmss, seed, COMPUTE);
    return { res: await req(c, 'GET', `${vmss}/virtualMachines`, COMPUTE), status: '200' };
  },
  VirtualMachineScaleSetVMs_Update: async (c) => {
    const vmss = computePath(c, 'virtualMachineScaleSets', param(c, 'vmScaleSetName'));
    await c.seed.rg(c.sub, param(c, 'resourceGroupName'));
    const subnet = await c.seed.subnet(
      `${c.rgPath}/providers/Microsoft.Network/virtualNetworks/seed-vnet`,
      'default',
    );
    await c.seed.put(
      vmss,
      {
        location: 'westus',
        sku: { name: 'Standard_D2s_v3', capacity: 1 },
        properties: {
          virtualMachineProfile: {
            networkProfile: {
              networkInterfaceConfigurations: [
                {
                  name: 'nic',
                  properties: {
                    primary: true,
                    ipConfigurations: [{ name: 'ip', properties: { subnet: { id: subnet } } }],
                  },
                },
              ],
            },
          },
        },
      },
      COMPUTE,
    );
    return {
      res: await req(c, 'PUT', `${vmss}/virtualMachines/0`, COMPUTE, c.p['parameters']),
      status: '200',
    };
  },
  VirtualMachines_CreateOrUpdate: async (c) => {
    const path = computePath(c, 'virtualMachines', param(c, 'vmName'));
    const body = structuredClone(c.p['parameters']) as J;
    const network = (body['properties'] as J)['networkProfile'] as J;
    const nicId = `${c.rgPath}/providers/Microsoft.Network/networkInterfaces/toBeCreatedNetworkInterface`;
    await c.seed.rg(c.sub, param(c, 'resourceGroupName'));
    await c.seed.nic(nicId);
    (body['properties'] as J)['networkProfile'] = {
      networkInterfaces: [{ id: nicId, properties: { primary: true } }],
    };
    void network;
    return { res: await req(c, 'PUT', path, COMPUTE, body), status: '201' };
  },
  VirtualMachines_Get: (c) =>
    seededGet(c, computePath(c, 'virtualMachines', param(c, 'vmName')), c.ex.responses['200']?.body, COMPUTE),
  VirtualMachines_List: async (c) => {
    const first = ((c.ex.responses['200']?.body as J)['value'] as J[])[0] as J;
    await seededGet(c, String(first['id']), first, COMPUTE);
    return {
      res: await req(c, 'GET', `${c.rgPath}/providers/Microsoft.Compute/virtualMachines`, COMPUTE),
      status: '200',
    };
  },
  VirtualMachines_ListByLocation: async (c) => {
    const first = ((c.ex.responses['200']?.body as J)['value'] as J[])[0] as J;
    await seededGet(c, String(first['id']), first, COMPUTE);
    return {
      res: await req(
        c,
        'GET',
        `/subscriptions/${c.sub}/providers/Microsoft.Compute/locations/${param(c, 'location')}/virtualMachines`,
        COMPUTE,
      ),
      status: '200',
    };
  },
  VirtualMachines_Update: async (c) => {
    const path = computePath(c, 'virtualMachines', param(c, 'vmName'));
    await seededGet(c, path, c.ex.responses['200']?.body, COMPUTE);
    await c.seed.refs(c.p['parameters'], path);
    return { res: await req(c, 'PATCH', path, COMPUTE, c.p['parameters']), status: '200' };
  },
};

/** Creates the VM a NIC example names in `virtualMachine.id` (the back-reference comes from it). */
async function attachVm(c: Ctx, nic: J): Promise<void> {
  const vmId = (((nic['properties'] as J)['virtualMachine'] ?? {}) as J)['id'];
  if (typeof vmId !== 'string' || vmId.includes('virtualMachineScaleSets')) return;
  await c.seed.put(
    vmId,
    { location: 'westus', properties: { networkProfile: { networkInterfaces: [{ id: nic['id'] }] } } },
    COMPUTE,
  );
}

/** A scale set whose instance NICs look like the example NIC (same NIC, ipConfiguration, pool, public IP names). */
async function seedVmssForNic(c: Ctx, vmss: string, nic: J): Promise<void> {
  const props = nic['properties'] as J;
  const ipcs = (props['ipConfigurations'] as J[]).map((ic) => {
    const p = ic['properties'] as J;
    const pip = text(((p['publicIPAddress'] ?? {}) as J)['id'] ?? '')
      .split('/')
      .pop();
    return {
      name: ic['name'],
      properties: {
        primary: p['primary'],
        subnet: p['subnet'],
        loadBalancerBackendAddressPools: p['loadBalancerBackendAddressPools'] ?? [],
        ...(pip ? { publicIPAddressConfiguration: { name: pip, properties: {} } } : {}),
      },
    };
  });
  const body = {
    location: 'westus',
    sku: { name: 'Standard_D2s_v3', capacity: 2 },
    properties: {
      virtualMachineProfile: {
        networkProfile: {
          networkInterfaceConfigurations: [
            {
              name: nic['name'],
              properties: {
                primary: true,
                networkSecurityGroup: props['networkSecurityGroup'],
                ipConfigurations: ipcs,
              },
            },
          ],
        },
      },
    },
  };
  await c.seed.refs(body, vmss);
  await c.seed.put(vmss, body, COMPUTE);
}

describe('official ARM examples replayed against the stand-in', async () => {
  const files: { dir: string; file: string }[] = [];
  for (const dir of ['Microsoft.Compute', 'Microsoft.Network'])
    for (const f of (await readdir(join(ROOT, dir))).sort()) files.push({ dir, file: f });
  const stands: ArmStandIn[] = [];
  after(async () => {
    for (const s of stands) await s.stop();
  });

  it('every fixture file is exercised or explicitly excused', async () => {
    const all = [
      ...files,
      ...(await readdir(join(ROOT, 'Microsoft.Resources'))).map((f) => ({
        dir: 'Microsoft.Resources',
        file: f,
      })),
    ];
    const neither = all.filter(
      (f) => SCENARIOS[f.file.split('__')[0] ?? ''] === undefined && EXCUSED[f.file] === undefined,
    );
    assert.deepEqual(neither, [], 'fixture files neither exercised nor excused');
  });

  for (const { dir, file } of files) {
    it(`${dir}/${file}${MAPPINGS[file] ? ' (mapped)' : ''}`, async () => {
      const raw = JSON.parse(await readFile(join(ROOT, dir, file), 'utf8')) as Example;
      const paged = JSON.stringify(raw.responses['200']?.body ?? {}).includes('"nextLink"');
      const s = await startArmStandIn({ latency: { scale: 0 }, pageSize: paged ? 1 : 50 });
      stands.push(s);
      const mapped = mapPlaceholders(raw, s.subscriptionId) as Example;
      const rg =
        typeof mapped.parameters['resourceGroupName'] === 'string'
          ? mapped.parameters['resourceGroupName']
          : 'rg-fixture';
      const rgPath = `/subscriptions/${s.subscriptionId}/resourceGroups/${rg}`;
      const repaired = repairRefs(mapped, rgPath) as Example;
      const ex: Example = { parameters: repaired.parameters, responses: repaired.responses };
      const p = ex.parameters;
      const ctx: Ctx = { s, seed: new Seeder(s), sub: s.subscriptionId, ex, p, rgPath };
      const scenario = SCENARIOS[file.split('__')[0] ?? ''];
      assert.ok(scenario, `no scenario for ${file}`);
      const { res, status } = await scenario(ctx);
      await s.admin.waitForOperations();
      const expected = mapped.responses[status] ?? mapped.responses['200'];
      assert.ok(
        Object.keys(ex.responses).includes(String(res.status)),
        `status ${res.status} is not one of the example's ${Object.keys(ex.responses).join(',')}: ${JSON.stringify(res.body)}`,
      );
      const problems = compareShape(res.body ?? {}, expected?.body ?? {}, OMITTED[file] ?? {});
      assert.deepEqual(problems, [], `shape differs from ${file}`);
      if (typeof (res.body as J | undefined)?.['etag'] === 'string')
        assert.equal(res.headers['etag'], (res.body as J)['etag']);
    });
  }
});
