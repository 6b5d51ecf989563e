/**
 * The observed world: Azure resources as the ARM SDKs (@azure/arm-compute, @azure/arm-network) return
 * them — their *flattened* models (`nic.ipConfigurations[].primary`, not `properties.primary`).
 *
 * Each type names only the fields egret reads, and keeps an index signature so every other field an
 * adapter passes in flows through untouched into the PUT bodies the planner derives from it. That
 * matters: a NIC PUT replaces the whole NIC and a VMSS PUT the whole model, so a body rebuilt from
 * only the fields egret knows would strip a user's NSG, DNS or accelerated-networking settings, or the
 * node's outbound backend pool. Ids and names are as Azure returned them; compare ids with `sameArmId`.
 */

/** A reference to another resource (`{ id }`). */
export interface SubResourceRef {
  readonly id?: string;
  readonly [field: string]: unknown;
}

/** An ipConfiguration of a network interface (Network RP view, with the allocated addresses). */
export interface NicIpConfiguration {
  readonly name?: string;
  readonly id?: string;
  readonly primary?: boolean;
  readonly privateIPAddress?: string;
  readonly privateIPAddressVersion?: string;
  readonly subnet?: SubResourceRef;
  readonly publicIPAddress?: SubResourceRef;
  readonly loadBalancerBackendAddressPools?: readonly SubResourceRef[];
  readonly [field: string]: unknown;
}

/** A network interface: a VirtualMachines-pool NIC, a standalone VM's NIC, or a VMSS instance's NIC view. */
export interface NetworkInterface {
  readonly id: string;
  readonly name: string;
  readonly location?: string;
  readonly etag?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly provisioningState?: string;
  readonly ipConfigurations?: readonly NicIpConfiguration[];
  /** The VM the NIC is attached to; pre-created VirtualMachines-pool NICs may have none yet. */
  readonly virtualMachine?: SubResourceRef;
  readonly [field: string]: unknown;
}

/** `publicIPAddressConfiguration` of a VMSS ipConfiguration: Azure allocates one IP per instance from the prefix. */
export interface VmssPublicIpAddressConfiguration {
  readonly name: string;
  readonly publicIPPrefix?: SubResourceRef;
  readonly [field: string]: unknown;
}

/** An ipConfiguration of a VMSS network configuration (model or instance). */
export interface VmssIpConfiguration {
  readonly name: string;
  readonly primary?: boolean;
  readonly privateIPAddressVersion?: string;
  readonly subnet?: SubResourceRef;
  readonly publicIPAddressConfiguration?: VmssPublicIpAddressConfiguration;
  readonly loadBalancerBackendAddressPools?: readonly SubResourceRef[];
  readonly [field: string]: unknown;
}

/** A network interface configuration of a VMSS model or instance. */
export interface VmssNetworkConfiguration {
  readonly name: string;
  readonly primary?: boolean;
  readonly ipConfigurations?: readonly VmssIpConfiguration[];
  readonly [field: string]: unknown;
}

/** A VMSS (Uniform orchestration) model. */
export interface VirtualMachineScaleSet {
  readonly id: string;
  readonly name: string;
  readonly location?: string;
  readonly etag?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly uniqueId?: string;
  readonly provisioningState?: string;
  readonly virtualMachineProfile?: {
    readonly networkProfile?: {
      readonly networkInterfaceConfigurations?: readonly VmssNetworkConfiguration[];
      readonly [field: string]: unknown;
    };
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

/** One VMSS instance. */
export interface VirtualMachineScaleSetVm {
  readonly id: string;
  readonly name?: string;
  readonly instanceId: string;
  readonly location?: string;
  readonly etag?: string;
  /** `Failed` forces a re-PUT (upstream #981/#1011). */
  readonly provisioningState?: string;
  readonly osProfile?: { readonly computerName?: string; readonly [field: string]: unknown };
  readonly networkProfileConfiguration?: {
    readonly networkInterfaceConfigurations?: readonly VmssNetworkConfiguration[];
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

/** A VMSS instance and the Network RP view of its primary NIC (for the allocated private IPs). */
export interface ObservedVmssInstance {
  readonly vm: VirtualMachineScaleSetVm;
  /** Absent when it could not be read; then no "IP missing" force-update is planned for it. */
  readonly primaryNic?: NetworkInterface;
}

/** A standalone VM, as far as egret needs it. */
export interface VirtualMachine {
  readonly id: string;
  readonly name: string;
  readonly osProfile?: { readonly computerName?: string; readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}

/** A standalone gateway VM and its primary NIC (absent if the VM or NIC was not found). */
export interface ObservedStandaloneVm {
  /** The name from the spec (the VM may be missing). */
  readonly name: string;
  readonly vm?: VirtualMachine;
  readonly primaryNic?: NetworkInterface;
}

/**
 * The observed members of a gateway pool, by kind.
 *
 * `strays` (NIC pools): NICs that are NOT members but still reference the pool's ILB backend pool —
 * e.g. the NIC of a standalone VM its owner deleted (Azure keeps a VM's NICs unless told otherwise),
 * or a NIC that lost its AKS pool tag. The planner removes egret's ipConfigs, their public IPs and the
 * backend membership from them and never adds anything; without that, Azure refuses to drop the
 * backend pool (still referenced) and the public IP prefix (addresses in use), and deletion never ends.
 * Adapters find them through the backend pool's `backendIPConfigurations` back-references.
 */
export type ObservedPoolMembers =
  | {
      readonly kind: 'vmss';
      /** Absent when the VMSS was not found. */
      readonly vmss?: VirtualMachineScaleSet;
      readonly instances: readonly ObservedVmssInstance[];
    }
  | {
      readonly kind: 'aks-vm-pool';
      readonly nics: readonly NetworkInterface[];
      readonly strays?: readonly NetworkInterface[];
    }
  | {
      readonly kind: 'standalone-vms';
      readonly vms: readonly ObservedStandaloneVm[];
      readonly strays?: readonly NetworkInterface[];
    };

/** A frontend IP configuration of the ILB. */
export interface FrontendIpConfiguration {
  readonly id?: string;
  readonly name?: string;
  readonly privateIPAddress?: string;
  readonly privateIPAddressVersion?: string;
  readonly privateIPAllocationMethod?: string;
  readonly subnet?: SubResourceRef;
  readonly [field: string]: unknown;
}

/** A backend address pool of the ILB (NIC-based: members are written on the NICs). */
export interface BackendAddressPool {
  readonly id?: string;
  readonly name?: string;
  /** Read-only back-references: every NIC / VMSS instance ipConfiguration in the pool. */
  readonly backendIPConfigurations?: readonly SubResourceRef[];
  readonly [field: string]: unknown;
}

/** A load-balancing rule of the ILB. */
export interface LoadBalancingRule {
  readonly id?: string;
  readonly name?: string;
  readonly frontendIPConfiguration?: SubResourceRef;
  readonly backendAddressPool?: SubResourceRef;
  readonly probe?: SubResourceRef;
  readonly protocol?: string;
  readonly frontendPort?: number;
  readonly backendPort?: number;
  readonly enableFloatingIP?: boolean;
  readonly [field: string]: unknown;
}

/** A health probe of the ILB. */
export interface Probe {
  readonly id?: string;
  readonly name?: string;
  readonly protocol?: string;
  readonly port?: number;
  readonly requestPath?: string;
  readonly intervalInSeconds?: number;
  readonly probeThreshold?: number;
  readonly [field: string]: unknown;
}

/** The internal load balancer shared by all gateway pools. */
export interface LoadBalancer {
  readonly id: string;
  readonly name: string;
  readonly location?: string;
  readonly etag?: string;
  readonly sku?: { readonly name?: string; readonly tier?: string };
  readonly frontendIPConfigurations?: readonly FrontendIpConfiguration[];
  readonly backendAddressPools?: readonly BackendAddressPool[];
  readonly loadBalancingRules?: readonly LoadBalancingRule[];
  readonly probes?: readonly Probe[];
  readonly [field: string]: unknown;
}

/** A public IP prefix (managed `egressgateway-<uid>` or bring-your-own). */
export interface PublicIpPrefix {
  readonly id: string;
  readonly name: string;
  readonly location?: string;
  readonly etag?: string;
  readonly prefixLength?: number;
  /** The allocated CIDR, e.g. `20.1.2.0/31`. */
  readonly ipPrefix?: string;
  /** Addresses allocated from it: egret's per-NIC IPs and VMSS-allocated instance IPs. */
  readonly publicIPAddresses?: readonly SubResourceRef[];
  readonly provisioningState?: string;
  readonly [field: string]: unknown;
}

/** A standalone public IP address (egret creates one per VirtualMachines-pool / standalone NIC). */
export interface PublicIpAddress {
  readonly id: string;
  readonly name: string;
  readonly location?: string;
  readonly etag?: string;
  readonly ipAddress?: string;
  readonly publicIPPrefix?: SubResourceRef;
  /** The ipConfiguration it is attached to; it cannot be deleted while attached. */
  readonly ipConfiguration?: SubResourceRef;
  readonly [field: string]: unknown;
}
