/**
 * Virtual networks and their subnets (subnets are stored inside the virtual network, as NRP returns
 * them). Subnet `ipConfigurations` back-references are derived from the NICs and frontends that use it.
 */
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, isObject, obj, str, text } from '../../core/json.js';
import { parseCidr } from '../../core/ipam.js';
import { sameId } from '../../core/resourceId.js';
import type { Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { checkName, okResource, page, requireBody, requireLocation } from '../context.js';
import { resourceType } from '../resourceType.js';
import { ipConsumers, VNET_TYPE } from './addressing.js';
import { networkPut, networkWriteRoutes, renderChildren } from './networkWrites.js';

export function virtualNetworkRoutes(ctx: ProviderContext): Route[] {
  const vnets = resourceType(ctx, {
    type: VNET_TYPE,
    api: 'network',
    nameParam: 'virtualNetworkName',
    render: (r) => renderVirtualNetwork(ctx, r),
  });
  return [
    ...vnets.readRoutes(),
    ...networkWriteRoutes(ctx, vnets, {
      what: 'virtual network',
      build: (id, input, existing) => buildVirtualNetwork(ctx, id, input, existing),
      checkDeletable: (r) => {
        for (const s of arr(obj(r.body['properties'])['subnets']))
          checkSubnetUnused(ctx, `${r.id}/subnets/${text(obj(s)['name'])}`);
      },
    }),
    {
      method: 'GET',
      pattern: `${vnets.itemPattern}/subnets`,
      api: 'network',
      handler: (req) => {
        const vnet = vnets.get(req);
        return page(ctx, req, renderSubnets(ctx, vnet));
      },
    },
    {
      method: 'GET',
      pattern: `${vnets.itemPattern}/subnets/{subnetName}`,
      api: 'network',
      handler: (req) => {
        const vnet = vnets.get(req);
        const name = (req.params['subnetName'] ?? '').toLowerCase();
        const s = renderSubnets(ctx, vnet).find((x) => str(x['name'])?.toLowerCase() === name);
        if (!s) throw armErrors.notFound(`${vnet.id}/subnets/${req.params['subnetName'] ?? ''}`);
        return okResource(s);
      },
    },
    {
      method: 'PUT',
      pattern: `${vnets.itemPattern}/subnets/{subnetName}`,
      api: 'network',
      resourceId: (p) => `${vnets.idOf(p)}/subnets/${p['subnetName'] ?? ''}`,
      handler: (req) => {
        const vnet = vnets.get(req);
        const name = req.params['subnetName'] ?? '';
        checkName(name, 'subnet');
        const input = requireBody(req);
        const subnets = arr(obj(vnet.body['properties'])['subnets']).filter(
          (s) => str(obj(s)['name'])?.toLowerCase() !== name.toLowerCase(),
        );
        subnets.push({ name, properties: clone(obj(input['properties'])) });
        const next: JsonObject = {
          ...clone(vnet.body),
          properties: { ...obj(clone(vnet.body)['properties']), subnets },
        };
        const reply = networkPut(ctx, req, {
          id: vnet.id,
          type: VNET_TYPE,
          operationType: `${VNET_TYPE}/subnets`,
          build: (existing) => buildVirtualNetwork(ctx, vnet.id, next, existing),
          render: vnets.render,
        });
        const sub =
          renderSubnets(ctx, vnet).find((x) => str(x['name'])?.toLowerCase() === name.toLowerCase()) ?? {};
        return { ...reply, body: sub };
      },
    },
  ];
}

/** Validates address space and subnets; a subnet still in use may not disappear. */
export function buildVirtualNetwork(
  ctx: ProviderContext,
  id: string,
  input: JsonObject,
  existing: StoredResource | undefined,
): JsonObject {
  const location = requireLocation(input, existing);
  const props = clone(obj(input['properties']));
  const prefixes = arr(obj(props['addressSpace'])['addressPrefixes']).flatMap((p) => str(p) ?? []);
  for (const p of prefixes)
    if (!parseCidr(p)) throw armErrors.invalidParameter(`Address prefix ${p} is not valid.`, 'addressSpace');
  const subnets = arr(props['subnets']).filter(isObject);
  const names = new Set<string>();
  for (const s of subnets) {
    const name = str(s['name']);
    if (name === undefined) throw armErrors.invalidParameter('Subnet name is required.', 'subnets');
    if (names.has(name.toLowerCase()))
      throw new ArmError(400, 'DuplicateResourceName', `Subnet name ${name} is used more than once.`);
    names.add(name.toLowerCase());
    const sp = obj(s['properties']);
    const prefix = str(sp['addressPrefix']) ?? str(arr(sp['addressPrefixes'])[0]);
    if (prefix === undefined || !parseCidr(prefix))
      throw new ArmError(400, 'InvalidAddressPrefixFormat', `Subnet ${name} has no valid address prefix.`);
  }
  if (existing) {
    for (const s of arr(obj(existing.body['properties'])['subnets'])) {
      const name = str(obj(s)['name']) ?? '';
      if (!names.has(name.toLowerCase())) checkSubnetUnused(ctx, `${id}/subnets/${name}`);
    }
  }
  props['subnets'] = subnets;
  props['resourceGuid'] = str(obj(existing?.body['properties'])['resourceGuid']) ?? crypto.randomUUID();
  const body: JsonObject = { location, properties: props };
  if (input['tags'] !== undefined) body['tags'] = clone(input['tags']);
  return body;
}

function checkSubnetUnused(ctx: ProviderContext, subnetId: string): void {
  const user = ipConsumers(ctx).find((c) => sameId(c.subnetId, subnetId));
  if (user)
    throw new ArmError(
      400,
      'InUseSubnetCannotBeDeleted',
      `Subnet ${subnetId.split('/').pop() ?? ''} is in use by ${user.ipConfigId} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.`,
    );
}

export function renderVirtualNetwork(ctx: ProviderContext, r: StoredResource): JsonObject {
  const body = clone(r.body);
  const props = obj(body['properties']);
  props['subnets'] = renderSubnets(ctx, r);
  body['properties'] = props;
  return body;
}

function renderSubnets(ctx: ProviderContext, vnet: StoredResource): JsonObject[] {
  const shell: JsonObject = clone(vnet.body);
  renderChildren(shell, 'subnets', `${VNET_TYPE}/subnets`, vnet.id);
  const consumers = ipConsumers(ctx);
  return arr(obj(shell['properties'])['subnets']).map((s) => {
    const subnet = obj(s);
    const users = consumers.filter((c) => sameId(c.subnetId, str(subnet['id'])));
    if (users.length > 0)
      obj(subnet['properties'])['ipConfigurations'] = users.map((u) => ({ id: u.ipConfigId }));
    return subnet;
  });
}
