/**
 * ipConfigurations of a NIC (standalone NICs and scale set instance NICs): names unique, at most 256
 * (Azure's "private IP addresses per network interface" limit), exactly one primary, every subnet and
 * backend pool must exist, private addresses allocated (dynamic keeps its address while the
 * ipConfiguration stays in the same subnet; static is checked against the subnet).
 */
import { ArmError, armErrors } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, clone, isObject, num, obj, str } from '../../core/json.js';
import { sameId } from '../../core/resourceId.js';
import type { ProviderContext } from '../context.js';
import type { SubnetRef } from './addressing.js';
import { assignPrivateAddress, findBackendPool, findSubnet, usedSubnetAddresses } from './addressing.js';

export const MAX_IP_CONFIGURATIONS_PER_NIC = 256;

export interface IpConfigPlan {
  readonly name: string;
  readonly primary: boolean;
  readonly subnet: SubnetRef;
  readonly privateIPAddress: string;
  readonly method: 'Static' | 'Dynamic';
  readonly prefixLength: number | undefined;
  readonly poolIds: readonly string[];
  /** The input `properties` (unknown fields are kept, as NRP echoes them). */
  readonly input: JsonObject;
}

/**
 * Validates and allocates a NIC's ipConfigurations. `previous` is the NIC's current ipConfigurations
 * (same wire shape) so dynamic addresses stay put; `ownerId` is the NIC whose own addresses are
 * free for it to keep.
 */
export function planIpConfigurations(
  ctx: ProviderContext,
  options: {
    readonly ownerId: string;
    readonly configs: readonly JsonObject[];
    readonly previous: readonly JsonObject[];
  },
): IpConfigPlan[] {
  const { ownerId, configs } = options;
  if (configs.length === 0)
    throw armErrors.invalidParameter(
      'A network interface needs at least one IP configuration.',
      'ipConfigurations',
    );
  if (configs.length > MAX_IP_CONFIGURATIONS_PER_NIC)
    throw new ArmError(
      400,
      'IpConfigurationCountLimitReachedForNic',
      `Network interface ${ownerId} has ${configs.length} IP configurations, which exceeds the maximum of ${MAX_IP_CONFIGURATIONS_PER_NIC} IP configurations per network interface.`,
    );
  const names = new Set<string>();
  for (const c of configs) {
    const name = str(c['name']);
    if (name === undefined || name === '')
      throw armErrors.invalidParameter('IP configuration name is required.', 'ipConfigurations');
    if (names.has(name.toLowerCase()))
      throw new ArmError(
        400,
        'DuplicateResourceName',
        `Network interface ${ownerId} has more than one IP configuration named ${name}.`,
      );
    names.add(name.toLowerCase());
  }
  // NRP makes the first ipConfiguration primary when none says so (NetworkInterfaceCreate example).
  const primaries = configs.filter((c) => obj(c['properties'])['primary'] === true);
  if (primaries.length > 1)
    throw new ArmError(
      400,
      'NicMustHaveExactlyOnePrimaryIpConfiguration',
      `Network interface ${ownerId} has ${primaries.length} IP configurations marked primary; exactly one may be.`,
    );
  const primary = primaries[0] ?? configs[0];
  const primarySubnetId = str(obj(obj(primary?.['properties'])['subnet'])['id']);
  const previous = new Map(
    options.previous.map((p) => [str(p['name'])?.toLowerCase() ?? '', obj(p['properties'])]),
  );
  const usedBySubnet = new Map<string, Set<number>>();
  const plans: IpConfigPlan[] = [];
  for (const c of configs) {
    const name = str(c['name']) as string;
    const input = clone(obj(c['properties']));
    const subnetId = str(obj(input['subnet'])['id']) ?? primarySubnetId;
    const ipConfigId = `${ownerId}/ipConfigurations/${name}`;
    if (subnetId === undefined)
      throw new ArmError(
        400,
        'IpConfigurationSubnetRequired',
        `IP configuration ${ipConfigId} must reference a subnet.`,
      );
    const subnet = findSubnet(ctx, subnetId);
    if (!subnet) throw armErrors.invalidReference(subnetId, ipConfigId);
    let used = usedBySubnet.get(subnet.id.toLowerCase());
    if (!used) {
      used = usedSubnetAddresses(ctx, subnet, ownerId);
      usedBySubnet.set(subnet.id.toLowerCase(), used);
    }
    const poolIds = arr(input['loadBalancerBackendAddressPools']).flatMap((p) => str(obj(p)['id']) ?? []);
    for (const poolId of poolIds)
      if (!findBackendPool(ctx, poolId)) throw armErrors.invalidReference(poolId, ipConfigId);
    const prev = previous.get(name.toLowerCase());
    const requested = str(input['privateIPAddress']);
    const method: 'Static' | 'Dynamic' =
      str(input['privateIPAllocationMethod'])?.toLowerCase() === 'static' ? 'Static' : 'Dynamic';
    const prefixLength = num(input['privateIPAddressPrefixLength']);
    const samePlace = prev !== undefined && sameId(str(obj(prev['subnet'])['id']), subnet.id);
    const privateIPAddress = assignPrivateAddress({
      subnet,
      used,
      ownerDescription: ipConfigId,
      method,
      requested,
      current: samePlace ? str(prev['privateIPAddress']) : undefined,
      prefixLength,
    });
    plans.push({
      name,
      primary: c === primary,
      subnet,
      privateIPAddress,
      method,
      prefixLength,
      poolIds,
      input,
    });
  }
  return plans;
}

/** The persisted ipConfiguration (NIC wire shape) for a plan. */
export function ipConfigurationBody(plan: IpConfigPlan): JsonObject {
  const props: JsonObject = {
    ...plan.input,
    primary: plan.primary,
    privateIPAddress: plan.privateIPAddress,
    privateIPAddressVersion: str(plan.input['privateIPAddressVersion']) ?? 'IPv4',
    privateIPAllocationMethod: plan.method,
    subnet: { id: plan.subnet.id },
  };
  if (plan.poolIds.length > 0) props['loadBalancerBackendAddressPools'] = plan.poolIds.map((id) => ({ id }));
  return { name: plan.name, properties: props };
}

export function ipConfigurationsOf(body: JsonObject | undefined): JsonObject[] {
  return arr(obj(body?.['properties'])['ipConfigurations']).filter(isObject);
}
