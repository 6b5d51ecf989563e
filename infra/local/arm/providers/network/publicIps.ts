/**
 * Public IP prefixes (/28–/31, carved from documentation ranges) and public IP addresses (Static from a
 * prefix takes its next free address). A prefix with any address in use cannot be deleted
 * (`InUsePublicIpPrefixCannotBeDeleted`, which upstream kube-egress-gateway hit in PR #1223); a public
 * IP attached to an ipConfiguration cannot be deleted either.
 */
import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { clone, num, obj, str, text } from '../../core/json.js';
import { allocatePrefix, formatCidr } from '../../core/ipam.js';
import { isIdOfType, sameId } from '../../core/resourceId.js';
import type { Route } from '../../router.js';
import type { StoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';
import { requireLocation } from '../context.js';
import { resourceType } from '../resourceType.js';
import {
  ipConsumers,
  PIP_TYPE,
  PREFIX_TYPE,
  takeFromPool,
  takeFromPrefix,
  usedPoolAddresses,
  usedPrefixAddresses,
} from './addressing.js';
import { networkWriteRoutes } from './networkWrites.js';

export function publicIpRoutes(ctx: ProviderContext): Route[] {
  const prefixes = resourceType(ctx, {
    type: PREFIX_TYPE,
    api: 'network',
    nameParam: 'publicIpPrefixName',
    render: (r) => renderPrefix(ctx, r),
  });
  const addresses = resourceType(ctx, {
    type: PIP_TYPE,
    api: 'network',
    nameParam: 'publicIpAddressName',
    render: (r) => renderPublicIp(ctx, r),
  });
  return [
    ...prefixes.readRoutes(),
    ...networkWriteRoutes(ctx, prefixes, {
      what: 'public IP prefix',
      build: (_id, input, existing) => buildPrefix(ctx, input, existing),
      checkDeletable: (r) => {
        if (usedPrefixAddresses(ctx, r.id).size > 0)
          throw new ArmError(
            400,
            'InUsePublicIpPrefixCannotBeDeleted',
            `Public IP prefix ${r.id} cannot be deleted since it is in use by public IP addresses ${prefixUsers(ctx, r.id).join(', ')}.`,
          );
      },
    }),
    ...addresses.readRoutes(),
    ...networkWriteRoutes(ctx, addresses, {
      what: 'public IP address',
      build: (id, input, existing) => buildPublicIp(ctx, id, input, existing),
      checkDeletable: (r) => {
        const user = ipConsumers(ctx).find((c) => sameId(c.publicIPAddressId, r.id));
        if (user)
          throw new ArmError(
            400,
            'PublicIPAddressCannotBeDeleted',
            `Public IP address ${r.id} can not be deleted since it is still allocated to resource ${user.ipConfigId}. In order to delete the public IP, disassociate/detach the Public IP address from the resource.`,
          );
      },
    }),
  ];
}

export function buildPrefix(
  ctx: ProviderContext,
  input: JsonObject,
  existing: StoredResource | undefined,
): JsonObject {
  const location = requireLocation(input, existing);
  const props = clone(obj(input['properties']));
  const prev = obj(existing?.body['properties']);
  const length = num(props['prefixLength']) ?? num(prev['prefixLength']);
  const version = str(props['publicIPAddressVersion']) ?? 'IPv4';
  if (version !== 'IPv4')
    throw armErrors.invalidParameter('The stand-in serves IPv4 prefixes only.', 'publicIPAddressVersion');
  if (length === undefined || !Number.isInteger(length) || length < 28 || length > 31)
    throw new ArmError(
      400,
      'InvalidPublicIpPrefixLength',
      `Public IP prefix length ${text(props['prefixLength'])} is invalid. IPv4 prefix length must be between 28 and 31.`,
    );
  let ipPrefix = str(prev['ipPrefix']);
  if (existing && num(prev['prefixLength']) !== length)
    throw new ArmError(400, 'PropertyChangeNotAllowed', 'Changing property prefixLength is not allowed.');
  if (ipPrefix === undefined) {
    const taken = ctx.store
      .list({ type: PREFIX_TYPE })
      .flatMap((p) => str(obj(p.body['properties'])['ipPrefix']) ?? []);
    const c = allocatePrefix(ctx.config.publicIpPrefixPools, length, taken);
    if (!c)
      throw new ArmError(
        400,
        'PublicIPPrefixCountLimitReached',
        'No public IP prefix of this length is available in this region.',
      );
    ipPrefix = formatCidr(c);
  }
  props['prefixLength'] = length;
  props['publicIPAddressVersion'] = version;
  props['ipPrefix'] = ipPrefix;
  props['ipTags'] = props['ipTags'] ?? [];
  props['resourceGuid'] = str(prev['resourceGuid']) ?? randomUUID();
  const body: JsonObject = {
    location,
    sku: clone(obj(input['sku'] ?? existing?.body['sku'] ?? { name: 'Standard', tier: 'Regional' })),
    properties: props,
  };
  if (input['tags'] !== undefined) body['tags'] = clone(input['tags']);
  if (input['zones'] !== undefined) body['zones'] = clone(input['zones']);
  return body;
}

export function buildPublicIp(
  ctx: ProviderContext,
  id: string,
  input: JsonObject,
  existing: StoredResource | undefined,
): JsonObject {
  const location = requireLocation(input, existing);
  const props = clone(obj(input['properties']));
  const prev = obj(existing?.body['properties']);
  const prefixRef = str(obj(props['publicIPPrefix'])['id']);
  let sku = obj(input['sku'] ?? existing?.body['sku'] ?? { name: 'Basic', tier: 'Regional' });
  props['publicIPAddressVersion'] = str(props['publicIPAddressVersion']) ?? 'IPv4';
  props['idleTimeoutInMinutes'] = num(props['idleTimeoutInMinutes']) ?? 4;
  let ipAddress = str(prev['ipAddress']);
  if (prefixRef !== undefined) {
    const prefix = isIdOfType(prefixRef, PREFIX_TYPE) ? ctx.store.get(prefixRef) : undefined;
    if (!prefix) throw armErrors.invalidReference(prefixRef, id);
    if (ipAddress === undefined || !sameId(str(obj(prev['publicIPPrefix'])['id']), prefixRef)) {
      ipAddress = takeFromPrefix(ctx, prefix, usedPrefixAddresses(ctx, prefix.id, id));
      if (ipAddress === undefined)
        throw new ArmError(
          400,
          'PublicIpPrefixOutOfIpAddresses',
          `Public IP prefix ${prefix.id} does not have enough free IP addresses to allocate public IP address ${id}.`,
        );
    }
    props['publicIPPrefix'] = { id: prefix.id };
    props['publicIPAllocationMethod'] = 'Static';
    sku = { name: 'Standard', tier: str(obj(prefix.body['sku'])['tier']) ?? 'Regional' };
  } else {
    props['publicIPAllocationMethod'] = str(props['publicIPAllocationMethod']) ?? 'Dynamic';
    if (props['publicIPAllocationMethod'] === 'Static' && ipAddress === undefined)
      ipAddress = takeFromPool(ctx, usedPoolAddresses(ctx, id));
  }
  if (ipAddress !== undefined) props['ipAddress'] = ipAddress;
  props['resourceGuid'] = str(prev['resourceGuid']) ?? randomUUID();
  const body: JsonObject = { location, sku, properties: props };
  if (input['tags'] !== undefined) body['tags'] = clone(input['tags']);
  if (input['zones'] !== undefined) body['zones'] = clone(input['zones']);
  return body;
}

function prefixUsers(ctx: ProviderContext, prefixId: string): string[] {
  const standalone = ctx.store
    .list({ type: PIP_TYPE })
    .filter((p) => sameId(str(obj(obj(p.body['properties'])['publicIPPrefix'])['id']), prefixId))
    .map((p) => p.id);
  const instances = ipConsumers(ctx)
    .filter((c) => c.instancePublicIp && sameId(c.instancePublicIp.prefixId, prefixId))
    .map((c) => `${c.ipConfigId}/publicIPAddresses/${instancePipName(c.owner, c.ipConfigId)}`);
  return [...standalone, ...instances];
}

/** The name of a scale set instance public IP (its `publicIPAddressConfiguration.name`). */
export function instancePipName(owner: StoredResource, ipConfigId: string): string {
  const name = ipConfigId.split('/').pop() ?? '';
  return str(obj(obj(owner.internal['publicIps'])[name])['name']) ?? name;
}

export function renderPrefix(ctx: ProviderContext, r: StoredResource): JsonObject {
  const body = clone(r.body);
  const users = prefixUsers(ctx, r.id);
  if (users.length > 0) obj(body['properties'])['publicIPAddresses'] = users.map((id) => ({ id }));
  return body;
}

export function renderPublicIp(ctx: ProviderContext, r: StoredResource): JsonObject {
  const body = clone(r.body);
  const user = ipConsumers(ctx).find((c) => sameId(c.publicIPAddressId, r.id));
  if (user) obj(body['properties'])['ipConfiguration'] = { id: user.ipConfigId };
  return body;
}
