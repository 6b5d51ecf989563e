/**
 * Reading ARM for gateway pools (port; the adapter wraps @azure/arm-compute and @azure/arm-network).
 * Every method returns the SDK's flattened models unchanged (shared/core/observed.ts explains why
 * fields egret does not know must survive), maps 404 to `undefined` for single GETs, and throws the
 * error taxonomy of shared/core/errors.ts otherwise (TransientError for 429/5xx with Retry-After).
 */
import type {
  LoadBalancer,
  NetworkInterface,
  ObservedPoolMembers,
  PublicIpAddress,
  PublicIpPrefix,
} from '../core/observed.js';
import type { PoolInventory } from '../core/pool.js';
import type { PoolRef } from '../core/pool.js';

/** Where to look. */
export interface InventoryScope {
  /** The gateway resource group (AKS node resource group): nodepool names are searched here. */
  readonly gatewayResourceGroup: string;
  /** Scale sets named by VMSS profiles, which may live in other resource groups. */
  readonly profileScaleSets: readonly { readonly resourceGroup: string; readonly name: string }[];
}

/** What the control plane reads from ARM. */
export interface ArmInventory {
  /**
   * Scale sets (with tags and uniqueId) and AKS-tagged NICs/VMs of the gateway resource group, plus the
   * scale sets named in `scope.profileScaleSets`: the input of `resolvePool`.
   */
  listPoolInventory(scope: InventoryScope, signal: AbortSignal): Promise<PoolInventory>;

  /**
   * The members of one pool: VMSS model + instances (each with its primary NIC's Network RP view), or
   * the VirtualMachines-pool NICs (tag `aks-managed-static-gateway-nic` + pool tag), or each standalone
   * VM with its primary NIC.
   */
  observePoolMembers(pool: PoolRef, signal: AbortSignal): Promise<ObservedPoolMembers>;

  /** The ILB, or undefined if it does not exist. */
  getLoadBalancer(
    resourceGroup: string,
    name: string,
    signal: AbortSignal,
  ): Promise<LoadBalancer | undefined>;

  /** One prefix by id, or undefined if it does not exist. */
  getPublicIpPrefix(id: string, signal: AbortSignal): Promise<PublicIpPrefix | undefined>;

  /** Prefixes of a resource group whose name starts with `namePrefix` (egret's managed `egressgateway-`). */
  listPublicIpPrefixes(
    resourceGroup: string,
    namePrefix: string,
    signal: AbortSignal,
  ): Promise<readonly PublicIpPrefix[]>;

  /** Public IPs of a resource group that come from a prefix. */
  listPrefixPublicIps(resourceGroup: string, signal: AbortSignal): Promise<readonly PublicIpAddress[]>;

  /** One NIC by id (e.g. a VMSS instance's NIC view), or undefined. */
  getNetworkInterface(id: string, signal: AbortSignal): Promise<NetworkInterface | undefined>;
}
