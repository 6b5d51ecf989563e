/**
 * Load balancers (egret uses one Standard internal LB). PUT replaces the whole LB: frontends get a
 * private address from their subnet, rules must reference a frontend / pool / probe of the same PUT,
 * and a backend pool still referenced by a NIC, a scale set model or instance cannot be dropped.
 * `backendIPConfigurations` of a pool are derived from the ipConfigurations that reference it.
 */
import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, isObject, num, obj, str, text } from '../../core/json.js';
import { sameId } from '../../core/resourceId.js';
import type { Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { requireLocation } from '../context.js';
import { resourceType } from '../resourceType.js';
import {
  assignPrivateAddress,
  findSubnet,
  ipConsumers,
  LB_TYPE,
  PIP_TYPE,
  usedSubnetAddresses,
} from './addressing.js';
import { networkWriteRoutes, renderChildren } from './networkWrites.js';

export const VMSS_TYPE = 'Microsoft.Compute/virtualMachineScaleSets';

export function loadBalancerRoutes(ctx: ProviderContext): Route[] {
  const loadBalancers = resourceType(ctx, {
    type: LB_TYPE,
    api: 'network',
    nameParam: 'loadBalancerName',
    render: (r) => renderLoadBalancer(ctx, r),
  });
  return [
    ...loadBalancers.readRoutes(),
    ...networkWriteRoutes(ctx, loadBalancers, {
      what: 'load balancer',
      build: (id, input, existing) => buildLoadBalancer(ctx, id, input, existing),
      checkDeletable: (r) => {
        for (const p of arr(obj(r.body['properties'])['backendAddressPools']))
          checkPoolUnused(ctx, `${r.id}/backendAddressPools/${text(obj(p)['name'])}`);
      },
    }),
  ];
}

function namedList(props: JsonObject, key: string, lbIdValue: string): JsonObject[] {
  const list = arr(props[key]).filter(isObject);
  const seen = new Set<string>();
  for (const item of list) {
    const name = str(item['name']);
    if (name === undefined || name === '')
      throw armErrors.invalidParameter(`Every entry of ${key} needs a name.`, key);
    if (seen.has(name.toLowerCase()))
      throw new ArmError(
        400,
        'DuplicateResourceName',
        `Load balancer ${lbIdValue} has more than one ${key} entry named ${name}.`,
      );
    seen.add(name.toLowerCase());
  }
  return list;
}

function refersTo(ref: unknown, lbIdValue: string, key: string, names: readonly JsonObject[]): boolean {
  const id = str(obj(ref)['id']);
  return id !== undefined && names.some((n) => sameId(id, `${lbIdValue}/${key}/${text(n['name'])}`));
}

/** Validates a whole-LB PUT and allocates frontend addresses; throws ArmError. */
export function buildLoadBalancer(
  ctx: ProviderContext,
  id: string,
  input: JsonObject,
  existing: StoredResource | undefined,
): JsonObject {
  const location = requireLocation(input, existing);
  const props = clone(obj(input['properties']));
  const frontends = namedList(props, 'frontendIPConfigurations', id);
  const pools = namedList(props, 'backendAddressPools', id);
  const probes = namedList(props, 'probes', id);
  const rules = namedList(props, 'loadBalancingRules', id);
  const natRules = namedList(props, 'inboundNatRules', id);
  if (frontends.length === 0 && pools.length + probes.length + rules.length + natRules.length > 0)
    throw new ArmError(
      400,
      'LoadBalancerWithoutFrontendIPCantHaveChildResources',
      `Load balancer ${id} does not have Frontend IP Configuration, so it cannot have child resources.`,
    );

  const previousFrontends = arr(obj(existing?.body['properties'])['frontendIPConfigurations']).filter(
    isObject,
  );
  const usedBySubnet = new Map<string, Set<number>>();
  for (const f of frontends) {
    const fp = obj(f['properties']);
    const frontendId = `${id}/frontendIPConfigurations/${text(f['name'])}`;
    const subnetId = str(obj(fp['subnet'])['id']);
    const pipId = str(obj(fp['publicIPAddress'])['id']);
    if (subnetId !== undefined) {
      const subnet = findSubnet(ctx, subnetId);
      if (!subnet) throw armErrors.invalidReference(subnetId, frontendId);
      let used = usedBySubnet.get(subnet.id.toLowerCase());
      if (!used) {
        used = usedSubnetAddresses(ctx, subnet, id);
        usedBySubnet.set(subnet.id.toLowerCase(), used);
      }
      const prev = previousFrontends.find(
        (p) => str(p['name'])?.toLowerCase() === text(f['name']).toLowerCase(),
      );
      const prevProps = obj(prev?.['properties']);
      const method = str(fp['privateIPAllocationMethod'])?.toLowerCase() === 'static' ? 'Static' : 'Dynamic';
      fp['privateIPAddress'] = assignPrivateAddress({
        subnet,
        used,
        ownerDescription: frontendId,
        method,
        requested: str(fp['privateIPAddress']),
        current: sameId(str(obj(prevProps['subnet'])['id']), subnet.id)
          ? str(prevProps['privateIPAddress'])
          : undefined,
      });
      fp['privateIPAllocationMethod'] = method;
      fp['privateIPAddressVersion'] = str(fp['privateIPAddressVersion']) ?? 'IPv4';
      fp['subnet'] = { id: subnet.id };
    } else if (pipId !== undefined) {
      const pip = ctx.store.get(pipId);
      if (!pip || pip.type !== PIP_TYPE) throw armErrors.invalidReference(pipId, frontendId);
      fp['publicIPAddress'] = { id: pip.id };
    } else {
      throw armErrors.invalidParameter(
        `Frontend IP configuration ${frontendId} needs a subnet or a public IP address.`,
        'frontendIPConfigurations',
      );
    }
    delete fp['loadBalancingRules'];
    delete fp['inboundNatRules'];
    f['properties'] = fp;
  }
  for (const p of pools) {
    const pp = obj(p['properties']);
    delete pp['backendIPConfigurations'];
    delete pp['loadBalancingRules'];
    p['properties'] = pp;
  }
  for (const p of probes) {
    const pp = obj(p['properties']);
    const protocol = str(pp['protocol']);
    if (protocol === undefined || !['Tcp', 'Http', 'Https'].includes(protocol))
      throw armErrors.invalidParameter(
        `Probe ${text(p['name'])} has an invalid protocol ${text(protocol)}.`,
        'probes',
      );
    if (num(pp['port']) === undefined)
      throw armErrors.invalidParameter(`Probe ${text(p['name'])} needs a port.`, 'probes');
    if (protocol !== 'Tcp' && str(pp['requestPath']) === undefined)
      throw armErrors.invalidParameter(
        `Probe ${text(p['name'])} with protocol ${protocol} needs a requestPath.`,
        'probes',
      );
    pp['intervalInSeconds'] = num(pp['intervalInSeconds']) ?? 15;
    pp['numberOfProbes'] = num(pp['numberOfProbes']) ?? 2;
    pp['probeThreshold'] = num(pp['probeThreshold']) ?? 1;
    delete pp['loadBalancingRules'];
    p['properties'] = pp;
  }
  const frontendUse = new Map<string, string>();
  const backendUse = new Map<string, string>();
  for (const r of rules) {
    const rp = obj(r['properties']);
    const ruleId = `${id}/loadBalancingRules/${text(r['name'])}`;
    for (const [field, key, list, required] of [
      ['frontendIPConfiguration', 'frontendIPConfigurations', frontends, true],
      ['backendAddressPool', 'backendAddressPools', pools, false],
      ['probe', 'probes', probes, false],
    ] as const) {
      const ref = rp[field];
      if (ref === undefined) {
        if (required)
          throw armErrors.invalidParameter(`Load balancing rule ${ruleId} needs a ${field}.`, field);
        continue;
      }
      if (!refersTo(ref, id, key, list))
        throw armErrors.invalidReference(str(obj(ref)['id']) ?? text(ref), ruleId);
    }
    const protocol = str(rp['protocol']);
    if (protocol === undefined || !['Tcp', 'Udp', 'All'].includes(protocol))
      throw armErrors.invalidParameter(
        `Load balancing rule ${ruleId} has an invalid protocol ${String(protocol)}.`,
        'protocol',
      );
    const frontendPort = num(rp['frontendPort']);
    const backendPort = num(rp['backendPort']) ?? frontendPort;
    if (frontendPort === undefined)
      throw armErrors.invalidParameter(`Load balancing rule ${ruleId} needs a frontendPort.`, 'frontendPort');
    rp['backendPort'] = backendPort ?? frontendPort;
    rp['enableFloatingIP'] = rp['enableFloatingIP'] ?? false;
    rp['idleTimeoutInMinutes'] = num(rp['idleTimeoutInMinutes']) ?? 4;
    rp['loadDistribution'] = str(rp['loadDistribution']) ?? 'Default';
    rp['enableTcpReset'] = rp['enableTcpReset'] ?? false;
    rp['disableOutboundSnat'] = rp['disableOutboundSnat'] ?? false;
    rp['enableConnectionTracking'] = rp['enableConnectionTracking'] ?? false;
    const frontendKey = `${String(str(obj(rp['frontendIPConfiguration'])['id'])).toLowerCase()}|${protocol}|${frontendPort}`;
    const clash = frontendUse.get(frontendKey);
    if (clash !== undefined)
      throw new ArmError(
        400,
        'LoadBalancingRulesUseSameFrontendIpConfigurationProtocolAndPort',
        `Load balancing rules ${clash} and ${ruleId} use the same frontend IP configuration, protocol ${protocol} and frontend port ${frontendPort}.`,
      );
    frontendUse.set(frontendKey, ruleId);
    const poolRef = str(obj(rp['backendAddressPool'])['id']);
    if (poolRef !== undefined && rp['enableFloatingIP'] !== true) {
      const backendKey = `${poolRef.toLowerCase()}|${protocol}|${String(rp['backendPort'])}`;
      const other = backendUse.get(backendKey);
      if (other !== undefined)
        throw new ArmError(
          400,
          'RulesUseSameBackendPortProtocolAndPool',
          `Load balancing rules ${other} and ${ruleId} with floating IP disabled use the same protocol ${protocol} and backend port ${String(rp['backendPort'])}, and must not be used with the same backend address pool ${poolRef}.`,
        );
      backendUse.set(backendKey, ruleId);
    }
    r['properties'] = rp;
  }
  for (const n of natRules) {
    const np = obj(n['properties']);
    if (!refersTo(np['frontendIPConfiguration'], id, 'frontendIPConfigurations', frontends))
      throw armErrors.invalidReference(
        str(obj(np['frontendIPConfiguration'])['id']) ?? '(none)',
        `${id}/inboundNatRules/${text(n['name'])}`,
      );
    n['properties'] = np;
  }
  if (existing) {
    for (const p of arr(obj(existing.body['properties'])['backendAddressPools'])) {
      const name = str(obj(p)['name']) ?? '';
      if (!pools.some((q) => str(q['name'])?.toLowerCase() === name.toLowerCase()))
        checkPoolUnused(ctx, `${id}/backendAddressPools/${name}`);
    }
  }
  props['frontendIPConfigurations'] = frontends;
  props['backendAddressPools'] = pools;
  props['probes'] = probes;
  props['loadBalancingRules'] = rules;
  props['inboundNatRules'] = natRules;
  props['inboundNatPools'] = arr(props['inboundNatPools']);
  props['resourceGuid'] = str(obj(existing?.body['properties'])['resourceGuid']) ?? randomUUID();
  const body: JsonObject = {
    location,
    sku: clone(obj(input['sku'] ?? existing?.body['sku'] ?? { name: 'Basic', tier: 'Regional' })),
    properties: props,
  };
  if (input['tags'] !== undefined) body['tags'] = clone(input['tags']);
  return body;
}

/** Who references a backend pool: NIC / instance ipConfigurations and scale set models. */
export function poolUsers(ctx: ProviderContext, poolId: string): string[] {
  const users = ipConsumers(ctx)
    .filter((c) => c.backendPoolIds.some((p) => sameId(p, poolId)))
    .map((c) => c.ipConfigId);
  for (const vmss of ctx.store.list({ type: VMSS_TYPE })) {
    const nics = arr(
      obj(obj(obj(vmss.body['properties'])['virtualMachineProfile'])['networkProfile'])[
        'networkInterfaceConfigurations'
      ],
    );
    const uses = nics.some((n) =>
      arr(obj(obj(n)['properties'])['ipConfigurations']).some((c) =>
        arr(obj(obj(c)['properties'])['loadBalancerBackendAddressPools']).some((p) =>
          sameId(str(obj(p)['id']), poolId),
        ),
      ),
    );
    if (uses) users.push(vmss.id);
  }
  return users;
}

function checkPoolUnused(ctx: ProviderContext, poolId: string): void {
  const users = poolUsers(ctx, poolId);
  if (users.length > 0)
    throw new ArmError(
      400,
      'LoadBalancerBackendAddressPoolInUse',
      `Backend address pool ${poolId} cannot be removed because it is referenced by ${users.join(', ')}. Remove the references first.`,
    );
}

export function renderLoadBalancer(ctx: ProviderContext, r: StoredResource): JsonObject {
  const body = clone(r.body);
  for (const [key, type] of [
    ['frontendIPConfigurations', 'frontendIPConfigurations'],
    ['backendAddressPools', 'backendAddressPools'],
    ['probes', 'probes'],
    ['loadBalancingRules', 'loadBalancingRules'],
    ['inboundNatRules', 'inboundNatRules'],
  ] as const)
    renderChildren(body, key, `${LB_TYPE}/${type}`, r.id);
  const props = obj(body['properties']);
  const rules = arr(props['loadBalancingRules']).filter(isObject);
  const natRules = arr(props['inboundNatRules']).filter(isObject);
  const refsTo = (list: JsonObject[], field: string, target: string) =>
    list
      .filter((x) => sameId(str(obj(obj(x['properties'])[field])['id']), target))
      .map((x) => ({ id: text(x['id']) }));
  for (const f of arr(props['frontendIPConfigurations']).filter(isObject)) {
    const fp = obj(f['properties']);
    const lbr = refsTo(rules, 'frontendIPConfiguration', text(f['id']));
    const nat = refsTo(natRules, 'frontendIPConfiguration', text(f['id']));
    if (lbr.length > 0) fp['loadBalancingRules'] = lbr;
    if (nat.length > 0) fp['inboundNatRules'] = nat;
  }
  const consumers = ipConsumers(ctx);
  for (const p of arr(props['backendAddressPools']).filter(isObject)) {
    const pp = obj(p['properties']);
    const lbr = refsTo(rules, 'backendAddressPool', text(p['id']));
    if (lbr.length > 0) pp['loadBalancingRules'] = lbr;
    const members = consumers.filter((c) => c.backendPoolIds.some((id) => sameId(id, text(p['id']))));
    if (members.length > 0) pp['backendIPConfigurations'] = members.map((m) => ({ id: m.ipConfigId }));
  }
  for (const p of arr(props['probes']).filter(isObject)) {
    const lbr = refsTo(rules, 'probe', text(p['id']));
    if (lbr.length > 0) obj(p['properties'])['loadBalancingRules'] = lbr;
  }
  return body;
}
