/**
 * The template's custom ARM roles are tied to the code both ways.
 *
 * Statically: every SDK call in shared/adapters/arm is in infra/azure/armPermissions.ts ARM_CALLS and
 * every listed call is made; each listed action is the one its REST path implies; the roles hold
 * exactly the derived actions.
 *
 * Behaviourally: the real adapters run a configuration on each pool kind against the ARM stand-in (VMSS,
 * VirtualMachines pool, standalone VMs, private mode, a BYO prefix in a resource group of its own, then
 * deletion). The template is deployed in memory with the matching parameters, and every request in the
 * stand-in's log must be allowed by a role the template assigns on a scope that contains its resource.
 * Every resource a written body points at needs that resource's join action at that resource. Every
 * listed call must show up in the log, except the few named here with the reason they cannot.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  actionOfRestCall,
  actionsAt,
  ARM_CALLS,
  EGRET_ROLES,
  LRO_ACTIONS,
  PERMISSION_SCOPES,
  REFERENCES,
} from '../../infra/azure/armPermissions.js';
import { parseArmId } from '../../shared/core/armId.js';
import type { PlannedConfiguration } from '../../shared/core/planPool.js';
import type { PlanStep } from '../../shared/core/plan.js';
import type { ResolvedPool } from '../../shared/core/pool.js';
import {
  deleting,
  FRONTEND_SUBNET,
  nodepoolSpec,
  present,
  standaloneSpec,
  startArmPoolWorld,
  uid,
  type ArmPoolWorld,
} from '../adapters/arm/support/armPoolWorld.js';
import { deployTemplate, type Deployment } from './support/armDeployment.js';
import { customRolesOf, readTemplate, roleAssignmentsOf } from './support/azureTemplate.js';

const adaptersDir = fileURLToPath(new URL('../../shared/adapters/arm/', import.meta.url));

/** `compute.<group>.<method>(` / `network.<group>.<method>(` in the adapters' source. */
async function sdkCallsInCode(): Promise<Set<string>> {
  const calls = new Set<string>();
  for (const file of (await readdir(adaptersDir)).filter((f) => f.endsWith('.ts'))) {
    const text = await readFile(`${adaptersDir}${file}`, 'utf8');
    for (const m of text.matchAll(/\b(compute|network)\s*\.\s*([a-zA-Z]+)\s*\.\s*([a-zA-Z]+)\s*\(/g))
      calls.add(`${m[1]!}.${m[2]!}.${m[3]!}`);
  }
  return calls;
}

describe('the ARM calls table matches the code', () => {
  it('lists every SDK call the adapters make, and only those', async () => {
    const code = await sdkCallsInCode();
    const listed = new Set(ARM_CALLS.map((c) => c.sdk));
    assert.ok(code.size >= 20, `found only ${code.size} calls: is the scan still matching the code?`);
    assert.deepEqual([...code].filter((c) => !listed.has(c)).sort(), [], 'calls missing from ARM_CALLS');
    assert.deepEqual([...listed].filter((c) => !code.has(c)).sort(), [], 'listed calls nobody makes');
    assert.equal(listed.size, ARM_CALLS.length, 'each SDK method is listed once');
  });

  it('names for each call the action its REST path implies (provider, resource types, verb)', () => {
    for (const c of ARM_CALLS) assert.equal(c.action, actionOfRestCall(c.method, c.path), c.sdk);
    assert.equal(
      actionOfRestCall('GET', 'Microsoft.Compute/virtualMachineScaleSets/vmss/virtualMachines'),
      'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read',
    );
    assert.equal(
      actionOfRestCall('DELETE', 'Microsoft.Network/loadBalancers/ilb'),
      'Microsoft.Network/loadBalancers/delete',
    );
  });

  it('derives each role from the calls at its scope: a call removed from the table leaves its role', () => {
    for (const r of EGRET_ROLES) assert.deepEqual(r.actions, actionsAt(r.scope));
    const withoutLbDelete = ARM_CALLS.filter((c) => c.sdk !== 'network.loadBalancers.delete');
    assert.ok(actionsAt('loadBalancer').includes('Microsoft.Network/loadBalancers/delete'));
    assert.ok(!actionsAt('loadBalancer', withoutLbDelete).includes('Microsoft.Network/loadBalancers/delete'));
    // Every scope kind is used by some call, and no role is empty.
    for (const s of PERMISSION_SCOPES) assert.ok(actionsAt(s).length > 0, s);
  });
});

/** A PUT straight to the stand-in (what the SDKs cannot: a resource group). */
function putResourceGroup(w: ArmPoolWorld, name: string): Promise<void> {
  const url = new URL(
    `/subscriptions/${w.standIn.subscriptionId}/resourcegroups/${name}?api-version=2021-04-01`,
    w.standIn.endpoint,
  );
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        ca: w.standIn.caPem,
        headers: { authorization: 'Bearer test', 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`PUT RG: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ location: w.world.location }));
  });
}

const key = (id: string): string => id.toLowerCase();
const within = (resource: string, scope: string): boolean =>
  key(resource) === key(scope) || key(resource).startsWith(`${key(scope)}/`);

/** The resource a request path names (query and trailing slash removed). */
const resourceOf = (path: string): string => path.split('?')[0]!.replace(/\/$/, '');

/** `/subscriptions/s/resourceGroups/rg/providers/<provider path>` → the provider path. */
function providerPath(resource: string): string | undefined {
  const i = resource.toLowerCase().lastIndexOf('/providers/');
  return i < 0 ? undefined : resource.slice(i + '/providers/'.length);
}

/** The provider path with names replaced by `{}` (the ARM_CALLS pattern). */
function pattern(path: string): string {
  return path
    .split('/')
    .map((s, i) => (i > 0 && i % 2 === 0 ? '{}' : s))
    .join('/');
}

/**
 * Read-only back-references in the REST specs (a backend pool's `backendIPConfigurations`, a NIC's
 * `virtualMachine`): Azure fills them in and the SDK serializer drops them, so they are not references
 * the write makes.
 */
const READ_ONLY_REFERENCES = new Set(['backendIPConfigurations', 'virtualMachine']);

/** Every ARM id a body holds (`id` fields), except its own, its own children's and read-only ones. */
function referencesOf(step: PlanStep): string[] {
  if (!('body' in step)) return [];
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (READ_ONLY_REFERENCES.has(k)) continue;
        if (
          k === 'id' &&
          typeof x === 'string' &&
          x.startsWith('/subscriptions/') &&
          !within(x, step.resourceId)
        )
          out.push(x);
        else walk(x);
      }
  };
  walk(step.body);
  return out;
}

/** The join action a referenced resource needs (REFERENCES), by its resource types. */
function joinActionOf(referenced: string): string | undefined {
  const parsed = parseArmId(referenced);
  if (parsed.kind !== 'ok') return undefined;
  const types = [parsed.resource.provider, ...parsed.resource.types].join('/').toLowerCase();
  const byType: Record<string, string> = {
    'microsoft.network/virtualnetworks/subnets': REFERENCES.subnet.action,
    'microsoft.network/loadbalancers/backendaddresspools': REFERENCES.backendAddressPool.action,
    'microsoft.network/publicipprefixes': REFERENCES.publicIpPrefix.action,
    'microsoft.network/publicipaddresses': REFERENCES.publicIpAddress.action,
    'microsoft.network/networksecuritygroups': REFERENCES.networkSecurityGroup.action,
  };
  return byType[types];
}

/**
 * References the Compute RP carries through unchanged in a model/instance PUT and does not re-check
 * (a linked access check is made when a reference is added): the instance's OS disk and image.
 */
const NOT_RECHECKED = new Set([
  'microsoft.compute/disks',
  'microsoft.compute/images',
  'microsoft.compute/galleries',
]);

/** Calls this scenario cannot provoke, each with the reason. */
const NOT_EXERCISED: Record<string, string> = {
  'network.networkInterfaces.getVirtualMachineScaleSetNetworkInterface':
    "a stray VMSS instance NIC in the ILB's backend pool (out-of-band drift; poolScenarios covers it)",
  'network.subnets.get':
    'GatewayPools.getSubnetId (the ILB frontend subnet check) is a port method no use case calls today; ' +
    'its read is granted on the VNet only',
};

describe('the roles allow every request the adapters make against the ARM stand-in', () => {
  let w: ArmPoolWorld;
  const steps: PlanStep[] = [];
  let byoId = '';
  let vmssId = '';

  async function converge(pool: ResolvedPool, configs: readonly PlannedConfiguration[]): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const { plan, report } = await w.reconcileOnce(pool, configs);
      steps.push(...plan.steps);
      if (plan.steps.length === 0) return;
      assert.ok(
        report.steps.every((s) => s.outcome.kind === 'ok' || s.outcome.kind === 'conflict'),
        JSON.stringify(report.steps.filter((s) => s.outcome.kind !== 'ok')),
      );
    }
    assert.fail('not converged');
  }

  before(async () => {
    w = await startArmPoolWorld({
      scaleSets: [{ name: 'aks-gw-12345-vmss', capacity: 2, poolName: 'gw', gatewayPrefixSize: 31 }],
      vmPools: [{ poolName: 'vmgw', nicCount: 2, vmCount: 2, gatewayPrefixSize: 31 }],
      vms: [{ name: 'sa-1' }, { name: 'sa-2' }],
    });
    await putResourceGroup(w, 'byo-rg');
    const byo = await w.clients.network.publicIPPrefixes.createOrUpdate('byo-rg', 'customer-prefix', {
      location: w.world.location,
      sku: { name: 'Standard', tier: 'Regional' },
      prefixLength: 30,
      publicIPAddressVersion: 'IPv4',
    });
    byoId = byo.id!;
    const vmss = await w.clients.compute.virtualMachineScaleSets.get(w.rg, 'aks-gw-12345-vmss');
    vmssId = vmss.id!;
    w.standIn.admin.clearRequests(); // from here on, only egret's adapters call the stand-in

    const vmssPool = await w.resolve(nodepoolSpec('gw'));
    const vmPool = await w.resolve(nodepoolSpec('vmgw'));
    const standalone = await w.resolve(standaloneSpec(w.rg, ['sa-1', 'sa-2'], 31));
    const byoEgress = { kind: 'public', prefix: { kind: 'byo', id: byoId } } as const;
    const vmssConfigs = [present(uid(1)), present(uid(2), byoEgress)];
    const vmConfigs = [present(uid(3)), present(uid(4), { kind: 'private' }), present(uid(5), byoEgress)];
    const saConfigs = [present(uid(6))];
    await converge(vmssPool, vmssConfigs);
    await converge(vmPool, vmConfigs);
    await converge(standalone, saConfigs);
    const gone = (cs: readonly PlannedConfiguration[]): PlannedConfiguration[] =>
      cs.map((c) => deleting(c.uid, c.state.egress));
    await converge(vmssPool, gone(vmssConfigs));
    await converge(vmPool, gone(vmConfigs));
    await converge(standalone, gone(saConfigs));
    await w.standIn.admin.waitForOperations();
  });
  after(() => w?.stop());

  /** The template deployed for this world (gateway, VNet, ILB groups = the world's; BYO prefixes apart). */
  function deployFor(gatewayPoolId: string): Deployment {
    return deployTemplate(
      readTemplate(),
      {
        subscriptionId: w.standIn.subscriptionId,
        tenantId: '99999999-8888-7777-6666-555555555555',
        resourceGroup: 'egret-rg',
        location: w.world.location,
      },
      {
        gatewayResourceGroup: w.rg,
        vnetName: w.config.network.vnetName,
        subnetName: FRONTEND_SUBNET,
        relaySharedSecret: 'r'.repeat(40),
        byoPrefixResourceGroup: 'byo-rg',
        gatewayPoolId,
      },
    );
  }

  /** Whether the ARM principal may do `action` on `resource`. */
  function allowed(d: Deployment, action: string, resource: string): boolean {
    const roles = customRolesOf(d);
    return roleAssignmentsOf(d).some(
      (a) => within(resource, a.scope) && (roles.get(a.roleDefinitionId)?.actions ?? []).includes(action),
    );
  }

  it('sends only calls of the table, and every call of the table but the named few', () => {
    const seen = new Set<string>();
    for (const r of w.standIn.admin.requests().filter((x) => x.category === 'arm')) {
      const path = providerPath(resourceOf(r.path));
      assert.ok(path !== undefined, `${r.method} ${r.path}`);
      const calls = ARM_CALLS.filter(
        (c) =>
          pattern(c.path) === pattern(path) &&
          (c.method === r.method || (r.method === 'GET' && c.finalGet === true)),
      );
      assert.ok(calls.length > 0, `${r.method} ${r.path} is no call of ARM_CALLS`);
      for (const c of calls) seen.add(c.sdk);
    }
    assert.deepEqual(
      ARM_CALLS.map((c) => c.sdk)
        .filter((s) => !seen.has(s))
        .sort(),
      Object.keys(NOT_EXERCISED).sort(),
    );
  });

  for (const poolId of ['', 'vmss'] as const)
    it(`allows every request on the resource it names (${poolId === '' ? 'no pool id' : 'gatewayPoolId = the VMSS'})`, () => {
      const d = deployFor(poolId === '' ? '' : vmssId);
      const denied: string[] = [];
      let checked = 0;
      for (const r of w.standIn.admin.requests()) {
        if (r.category === 'admin') continue;
        const resource = resourceOf(r.path);
        const action = actionOfRestCall(r.method, providerPath(resource)!);
        checked++;
        if (r.category === 'operation') {
          // An operation status URL is under the subscription; ARM lets the caller that started the
          // operation poll it, so only the action's presence in a role is checked.
          const lro: readonly string[] = [
            ...LRO_ACTIONS['Microsoft.Compute'],
            ...LRO_ACTIONS['Microsoft.Network'],
          ];
          assert.ok(lro.includes(action), `${action} (${r.path}) is not an LRO status read`);
          if (![...customRolesOf(d).values()].some((x) => x.actions.includes(action))) denied.push(action);
          continue;
        }
        if (!allowed(d, action, resource)) denied.push(`${action} on ${resource}`);
      }
      assert.ok(checked > 50, `only ${checked} requests`);
      assert.deepEqual([...new Set(denied)], []);
    });

  it('allows the join action of every resource a written body points at, where that resource lives', () => {
    for (const poolId of ['', vmssId]) {
      const d = deployFor(poolId);
      const kinds = new Set<string>();
      for (const step of steps)
        for (const ref of referencesOf(step)) {
          const action = joinActionOf(ref);
          if (action === undefined) {
            const parsed = parseArmId(ref);
            const types =
              parsed.kind === 'ok' ? [parsed.resource.provider, parsed.resource.types[0]].join('/') : ref;
            assert.ok(
              NOT_RECHECKED.has(types.toLowerCase()),
              `${step.kind} references ${ref}: which join action?`,
            );
            continue;
          }
          kinds.add(action);
          assert.ok(allowed(d, action, ref), `${step.kind} ${step.resourceId}: ${action} on ${ref}`);
        }
      // The scenario wrote bodies pointing at subnets, the ILB's backend pool, prefixes (managed and BYO)
      // and public IPs.
      assert.deepEqual(
        [...kinds].sort(),
        [
          REFERENCES.backendAddressPool.action,
          REFERENCES.publicIpAddress.action,
          REFERENCES.publicIpPrefix.action,
          REFERENCES.subnet.action,
        ].sort(),
      );
    }
  });

  it('denies what egret must not do: a request the roles do not cover is caught', () => {
    const d = deployFor(vmssId);
    const rg = `/subscriptions/${w.standIn.subscriptionId}/resourceGroups/${w.rg}`;
    assert.ok(
      !allowed(
        d,
        'Microsoft.Compute/virtualMachines/runCommand/action',
        `${rg}/providers/Microsoft.Compute/virtualMachines/sa-1`,
      ),
    );
    assert.ok(
      !allowed(
        d,
        'Microsoft.Compute/virtualMachineScaleSets/write',
        `${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/other-vmss`,
      ),
    );
    assert.ok(
      !allowed(
        d,
        'Microsoft.Network/publicIPPrefixes/write',
        `/subscriptions/${w.standIn.subscriptionId}/resourceGroups/byo-rg/providers/Microsoft.Network/publicIPPrefixes/x`,
      ),
    );
    assert.ok(allowed(d, 'Microsoft.Network/publicIPPrefixes/join/action', byoId));
  });
});
