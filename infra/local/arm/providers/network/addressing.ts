/**
 * Who uses which address. Every private address lives in an ipConfiguration of a NIC (standalone NICs,
 * scale set instance NICs) or in a load balancer frontend; every public address in a public IP address
 * resource or in a scale set instance ipConfiguration that asked for one. Scanning them answers
 * "which addresses of this subnet / prefix are taken", "who is in this backend pool" and every other
 * back-reference, so nothing has to be kept in sync by hand.
 */
import { createHash } from 'node:crypto';
import { ArmError } from '../../core/armError.js';
import type { JsonObject } from '../../core/json.js';
import { arr, isObject, obj, str, text } from '../../core/json.js';
import type { Cidr } from '../../core/ipam.js';
import {
  allocateInPrefix,
  allocateInSubnet,
  checkStaticAddress,
  formatIPv4,
  parseCidr,
  parseIPv4,
} from '../../core/ipam.js';
import { idKey, parentId, sameId } from '../../core/resourceId.js';
import type { StoredResource } from '../../store.js';
import type { ProviderContext } from '../context.js';

export const NIC_TYPE = 'Microsoft.Network/networkInterfaces';
export const LB_TYPE = 'Microsoft.Network/loadBalancers';
export const VNET_TYPE = 'Microsoft.Network/virtualNetworks';
export const PREFIX_TYPE = 'Microsoft.Network/publicIPPrefixes';
export const PIP_TYPE = 'Microsoft.Network/publicIPAddresses';
/** Scale set instance NICs live under the Compute namespace and are read-only through the Network API. */
export const INSTANCE_NIC_TYPE =
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces';

/** One address consumer: an ipConfiguration or a load balancer frontend. */
export interface IpConsumer {
  /** The resource that owns it (NIC, instance NIC, load balancer). */
  readonly owner: StoredResource;
  readonly ipConfigId: string;
  readonly subnetId: string | undefined;
  readonly privateIPAddress: string | undefined;
  readonly publicIPAddressId: string | undefined;
  readonly backendPoolIds: readonly string[];
  /** Scale set instance public IP drawn from a prefix (instance NICs only). */
  readonly instancePublicIp:
    { readonly ipAddress: string; readonly prefixId: string | undefined } | undefined;
}

export function ipConsumers(ctx: ProviderContext): IpConsumer[] {
  const out: IpConsumer[] = [];
  for (const r of ctx.store.all()) {
    const type = r.type.toLowerCase();
    if (type === NIC_TYPE.toLowerCase() || type === INSTANCE_NIC_TYPE.toLowerCase()) {
      const pips = obj(r.internal['publicIps']);
      for (const c of arr(obj(r.body['properties'])['ipConfigurations'])) {
        const p = obj(obj(c)['properties']);
        const name = str(obj(c)['name']) ?? '';
        const pip = obj(pips[name]);
        out.push({
          owner: r,
          ipConfigId: `${r.id}/ipConfigurations/${name}`,
          subnetId: str(obj(p['subnet'])['id']),
          privateIPAddress: str(p['privateIPAddress']),
          publicIPAddressId: str(obj(p['publicIPAddress'])['id']),
          backendPoolIds: arr(p['loadBalancerBackendAddressPools']).flatMap((x) => str(obj(x)['id']) ?? []),
          instancePublicIp:
            str(pip['ipAddress']) === undefined
              ? undefined
              : { ipAddress: str(pip['ipAddress']) as string, prefixId: str(pip['prefixId']) },
        });
      }
    } else if (type === LB_TYPE.toLowerCase()) {
      for (const f of arr(obj(r.body['properties'])['frontendIPConfigurations'])) {
        const p = obj(obj(f)['properties']);
        out.push({
          owner: r,
          ipConfigId: `${r.id}/frontendIPConfigurations/${str(obj(f)['name']) ?? ''}`,
          subnetId: str(obj(p['subnet'])['id']),
          privateIPAddress: str(p['privateIPAddress']),
          publicIPAddressId: str(obj(p['publicIPAddress'])['id']),
          backendPoolIds: [],
          instancePublicIp: undefined,
        });
      }
    }
  }
  return out;
}

export interface SubnetRef {
  readonly vnet: StoredResource;
  readonly subnet: JsonObject;
  readonly id: string;
  readonly cidr: Cidr;
}

export function findSubnet(ctx: ProviderContext, subnetId: string | undefined): SubnetRef | undefined {
  if (subnetId === undefined) return undefined;
  const vnetId = parentId(subnetId);
  if (vnetId === undefined) return undefined;
  const vnet = ctx.store.get(vnetId);
  if (!vnet || vnet.type !== VNET_TYPE) return undefined;
  const name = subnetId.split('/').pop()?.toLowerCase();
  for (const s of arr(obj(vnet.body['properties'])['subnets'])) {
    if (!isObject(s) || str(s['name'])?.toLowerCase() !== name) continue;
    const props = obj(s['properties']);
    const prefix = str(props['addressPrefix']) ?? str(arr(props['addressPrefixes'])[0]);
    const cidr = prefix === undefined ? undefined : parseCidr(prefix);
    if (!cidr) return undefined;
    return { vnet, subnet: s, id: `${vnet.id}/subnets/${text(s['name'])}`, cidr };
  }
  return undefined;
}

/** Addresses of a subnet in use, leaving out those owned by `excludeOwner` (the resource being rewritten). */
export function usedSubnetAddresses(
  ctx: ProviderContext,
  subnet: SubnetRef,
  excludeOwner?: string,
): Set<number> {
  const used = new Set<number>();
  for (const c of ipConsumers(ctx)) {
    if (excludeOwner !== undefined && sameId(c.owner.id, excludeOwner)) continue;
    if (!sameId(c.subnetId, subnet.id) || c.privateIPAddress === undefined) continue;
    for (const a of addressesOf(c.privateIPAddress)) used.add(a);
  }
  return used;
}

/** `10.0.0.4` or a block `10.0.0.16/28` as the addresses it covers. */
export function addressesOf(value: string): number[] {
  if (value.includes('/')) {
    const c = parseCidr(value);
    if (!c) return [];
    return Array.from({ length: 2 ** (32 - c.prefixLength) }, (_, i) => c.base + i);
  }
  const a = parseIPv4(value);
  return a === undefined ? [] : [a];
}

export interface PrivateAddressRequest {
  readonly subnet: SubnetRef;
  /** Addresses already handed out in this request (several ipConfigs of one write). */
  readonly used: Set<number>;
  readonly ownerDescription: string;
  /** `Static` with `requested`, or `Dynamic` (keeps `current` when still valid). */
  readonly method: 'Static' | 'Dynamic';
  readonly requested?: string | undefined;
  readonly current?: string | undefined;
  readonly prefixLength?: number | undefined;
}

/** Picks the private address for one ipConfiguration / frontend and marks it used; ARM errors as ARM. */
export function assignPrivateAddress(r: PrivateAddressRequest): string {
  const { subnet, used } = r;
  const subnetPrefix = str(obj(subnet.subnet['properties'])['addressPrefix']) ?? '';
  if (r.method === 'Static') {
    const addr = r.requested === undefined ? undefined : parseIPv4(r.requested);
    if (addr === undefined)
      throw new ArmError(
        400,
        'InvalidRequestFormat',
        `Private static IP address '${r.requested ?? ''}' is not valid.`,
      );
    const check = checkStaticAddress(subnet.cidr, addr, used);
    if (check === 'notInSubnet')
      throw new ArmError(
        400,
        'PrivateIPAddressNotInSubnet',
        `Private static IP address ${r.requested ?? ''} does not belong to the range of subnet prefix ${subnetPrefix}.`,
      );
    if (check === 'reserved')
      throw new ArmError(
        400,
        'PrivateIPAddressInReservedRange',
        `Private static IP address ${r.requested ?? ''} falls within reserved IP range of subnet prefix ${subnetPrefix}.`,
      );
    if (check === 'inUse')
      throw new ArmError(
        400,
        'PrivateIPAddressIsAllocated',
        `IP configuration ${r.ownerDescription} is using the private IP address ${r.requested ?? ''} which is already allocated to another resource.`,
      );
    used.add(addr);
    return formatIPv4(addr);
  }
  const blockSize = r.prefixLength === undefined ? 1 : 2 ** (32 - r.prefixLength);
  if (r.current !== undefined) {
    const addrs = addressesOf(r.current);
    const same =
      addrs.length === blockSize && addrs.every((a) => checkStaticAddress(subnet.cidr, a, used) === 'ok');
    if (same) {
      for (const a of addrs) used.add(a);
      return r.current;
    }
  }
  const start = allocateInSubnet(subnet.cidr, used, blockSize);
  if (start === undefined) throw subnetIsFull(subnet, 1);
  for (let a = start; a < start + blockSize; a++) used.add(a);
  return r.prefixLength === undefined ? formatIPv4(start) : `${formatIPv4(start)}/${r.prefixLength}`;
}

export function subnetIsFull(subnet: SubnetRef, count: number): ArmError {
  const prefix = str(obj(subnet.subnet['properties'])['addressPrefix']) ?? '';
  return new ArmError(
    400,
    'SubnetIsFull',
    `Subnet ${subnet.id} with address prefix ${prefix} does not have enough capacity for ${count} IP addresses.`,
  );
}

/** Public addresses of a prefix in use (standalone public IPs and scale set instance IPs). */
export function usedPrefixAddresses(
  ctx: ProviderContext,
  prefixId: string,
  excludeOwner?: string,
): Set<number> {
  const used = new Set<number>();
  for (const pip of ctx.store.list({ type: PIP_TYPE })) {
    if (excludeOwner !== undefined && sameId(pip.id, excludeOwner)) continue;
    const p = obj(pip.body['properties']);
    if (!sameId(str(obj(p['publicIPPrefix'])['id']), prefixId)) continue;
    const a = parseIPv4(str(p['ipAddress']) ?? '');
    if (a !== undefined) used.add(a);
  }
  for (const c of ipConsumers(ctx)) {
    if (excludeOwner !== undefined && sameId(c.owner.id, excludeOwner)) continue;
    if (!c.instancePublicIp || !sameId(c.instancePublicIp.prefixId, prefixId)) continue;
    const a = parseIPv4(c.instancePublicIp.ipAddress);
    if (a !== undefined) used.add(a);
  }
  return used;
}

/** The next free address of a prefix, or undefined when it is exhausted. */
export function takeFromPrefix(
  ctx: ProviderContext,
  prefix: StoredResource,
  used: Set<number>,
): string | undefined {
  const cidr = parseCidr(str(obj(prefix.body['properties'])['ipPrefix']) ?? '');
  if (!cidr) return undefined;
  const a = allocateInPrefix(cidr, used);
  if (a === undefined) return undefined;
  used.add(a);
  return formatIPv4(a);
}

/** Public addresses handed out without a prefix (standalone Static IPs, instance IPs without prefix). */
export function usedPoolAddresses(ctx: ProviderContext, excludeOwner?: string): Set<number> {
  const used = new Set<number>();
  const pool = parseCidr(ctx.config.publicIpPool);
  if (!pool) return used;
  for (const pip of ctx.store.list({ type: PIP_TYPE })) {
    if (excludeOwner !== undefined && sameId(pip.id, excludeOwner)) continue;
    const a = parseIPv4(str(obj(pip.body['properties'])['ipAddress']) ?? '');
    if (a !== undefined && a >= pool.base && a < pool.base + 2 ** (32 - pool.prefixLength)) used.add(a);
  }
  for (const c of ipConsumers(ctx)) {
    if (excludeOwner !== undefined && sameId(c.owner.id, excludeOwner)) continue;
    if (!c.instancePublicIp || c.instancePublicIp.prefixId !== undefined) continue;
    const a = parseIPv4(c.instancePublicIp.ipAddress);
    if (a !== undefined) used.add(a);
  }
  return used;
}

export function takeFromPool(ctx: ProviderContext, used: Set<number>): string | undefined {
  const pool = parseCidr(ctx.config.publicIpPool);
  if (!pool) return undefined;
  const a = allocateInPrefix(pool, used);
  if (a === undefined) return undefined;
  used.add(a);
  return formatIPv4(a);
}

/** The backend pool (as a JSON child of its load balancer) for a pool id, if both exist. */
export function findBackendPool(ctx: ProviderContext, poolId: string): JsonObject | undefined {
  const lbId = parentId(poolId);
  if (lbId === undefined || !poolId.toLowerCase().includes('/backendaddresspools/')) return undefined;
  const lb = ctx.store.get(lbId);
  if (!lb || lb.type !== LB_TYPE) return undefined;
  const name = poolId.split('/').pop()?.toLowerCase();
  return arr(obj(lb.body['properties'])['backendAddressPools']).find(
    (p): p is JsonObject => isObject(p) && str(p['name'])?.toLowerCase() === name,
  );
}

/** NRP's per-VNet DNS suffix, e.g. `3x4lbzvu5ixuxk0wqy4ofvfgnh.ax.internal.cloudapp.net`. */
export function internalDomainNameSuffix(subnetId: string | undefined): string {
  const vnet = (subnetId ?? '').toLowerCase().split('/subnets/')[0] ?? '';
  return `${createHash('sha256').update(vnet).digest('hex').slice(0, 26)}.ax.internal.cloudapp.net`;
}

export function keyOfId(id: string): string {
  return idKey(id);
}
