/**
 * Reading ARM for gateway pools (ports; the adapters in shared/adapters/arm wrap the real
 * @azure/arm-compute and @azure/arm-network clients).
 *
 * Every method returns the SDKs' flattened models unchanged (shared/core/observed.ts explains why
 * fields egret does not know must survive into PUT bodies), maps 404 to `undefined` for single GETs
 * (and to an empty list for lists), and throws the error taxonomy of shared/core/errors.ts otherwise
 * (TransientError for 429/5xx/network with Retry-After). Every method takes an AbortSignal.
 *
 * {@link GatewayPools} is the whole platform in one object (an ArmInventory and an ArmWriter), built
 * once per worker by `createPoolProviders({ config, clients })` (shared/adapters/arm).
 */
import type {
  LoadBalancer,
  NetworkInterface,
  ObservedPoolMembers,
  PublicIpAddress,
  PublicIpPrefix,
} from '../core/observed.js';
import type { PlanPoolInput, PlanSettings, PlannedConfiguration } from '../core/planPool.js';
import type { PoolInventory, PoolRef, PoolResolution } from '../core/pool.js';
import type { DesiredSpec } from '../core/staticGatewayConfiguration.js';
import type { AppliedStep, ArmWriter, MemberPlanStep } from './armWriter.js';

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
   * scale sets named in `scope.profileScaleSets` (absent ones left out): the input of `resolvePool`.
   */
  listPoolInventory(scope: InventoryScope, signal: AbortSignal): Promise<PoolInventory>;

  /**
   * The members of one pool: VMSS model + instances (each with its primary NIC's Network RP view), or
   * the VirtualMachines-pool NICs (tag `aks-managed-static-gateway-nic` + pool tag), or each standalone
   * VM with its primary NIC. `members.kind === pool.kind`. Strays (observed.ts) need the ILB, so only
   * `GatewayPools.observePoolWorld` reports them.
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

/**
 * One kind of gateway pool: how its members are read from ARM and how the member steps of a plan are
 * written (VMSS: model + every instance; AKS VirtualMachines pool: its NICs; standalone VMs: their
 * primary NICs).
 */
export interface GatewayPoolProvider {
  readonly kind: PoolRef['kind'];
  /** The pool's members, as the planner takes them (`members.kind === pool.kind`). */
  observe(pool: PoolRef, signal: AbortSignal): Promise<ObservedPoolMembers>;
  /** Whether this provider writes this member step. */
  handles(step: MemberPlanStep): boolean;
  /** Writes one member step (errors as shared/ports/armWriter.ts says). */
  apply(step: MemberPlanStep, signal: AbortSignal): Promise<AppliedStep>;
}

/** What {@link GatewayPools.observePoolWorld} looks at. */
export interface PoolWorldQuery {
  readonly pool: PoolRef;
  /** Every configuration planned for the pool (present and deleting): their prefixes are read. */
  readonly configurations: readonly Pick<PlannedConfiguration, 'uid' | 'state'>[];
  readonly settings: Pick<
    PlanSettings,
    'loadBalancerResourceGroup' | 'loadBalancerName' | 'publicIpResourceGroup'
  >;
}

/** The observed part of core `planPool`'s input. */
export type ObservedPoolWorld = Pick<PlanPoolInput, 'members' | 'loadBalancer' | 'prefixes' | 'publicIps'>;

/**
 * The gateway pools of one platform (`providerType`): an ArmInventory and an ArmWriter (every plan
 * step kind), plus pool resolution and the one-call observation of a pool.
 */
export interface GatewayPools extends ArmInventory, ArmWriter {
  readonly providerType: string;
  /** The provider of a pool kind. */
  provider(kind: PoolRef['kind']): GatewayPoolProvider;
  /**
   * The pool a validated spec selects: core `resolvePool` over the inventory it needs (nodepool name →
   * VMSS by tag `aks-managed-poolName`, else VirtualMachines-pool NICs; a VMSS profile → that VMSS;
   * standalone VMs → the named set). `not-found` and `invalid` are answers, not errors.
   */
  resolvePoolForConfiguration(spec: DesiredSpec, signal: AbortSignal): Promise<PoolResolution>;
  /**
   * Members, ILB, the configurations' prefixes (managed `egressgateway-<uid>` in the public IP resource
   * group, and BYO ones) and the public IPs from prefixes in that group: what `planPool` observes.
   */
  observePoolWorld(query: PoolWorldQuery, signal: AbortSignal): Promise<ObservedPoolWorld>;
  /** The id of a subnet, or undefined if it (or its VNet) does not exist (checks the ILB frontend subnet). */
  getSubnetId(
    input: { readonly resourceGroup: string; readonly vnetName: string; readonly subnetName: string },
    signal: AbortSignal,
  ): Promise<string | undefined>;
}
