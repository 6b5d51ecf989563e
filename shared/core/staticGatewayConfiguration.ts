/**
 * The StaticGatewayConfiguration custom resource (group `egressgateway.kubernetes.azure.com`, version
 * `v1alpha1`), compatible with upstream kube-egress-gateway, plus egret's standalone-VM profile.
 *
 * These are the wire shapes as the Kubernetes API serves them (optional fields really are optional).
 * `validateStaticGatewayConfiguration` turns a spec into {@link DesiredSpec}, the normalised form the
 * rest of the core works with. The OpenAPI schema of the same spec is data in
 * `staticGatewayConfigurationSchema.ts`.
 */

/** Where pods send traffic by default: through the gateway (default) or via the node as usual. */
export const DEFAULT_ROUTES = ['staticEgressGateway', 'azureNetworking'] as const;
/** A value of `spec.defaultRoute`. */
export type DefaultRoute = (typeof DEFAULT_ROUTES)[number];

/** `spec.gatewayVmssProfile` (deprecated spelling) and `spec.gatewayProfile.vmssProfile`. */
export interface GatewayVmssProfile {
  readonly vmssResourceGroup?: string;
  readonly vmssName?: string;
  readonly publicIpPrefixSize?: number;
}

/** `spec.gatewayProfile.standaloneVMProfile`: the primary NICs of named VMs form the gateway pool. */
export interface GatewayStandaloneVmProfile {
  readonly vmResourceGroup?: string;
  readonly vmNames?: readonly string[];
  readonly publicIpPrefixSize?: number;
}

/** `spec.gatewayProfile`: exactly one of its members. */
export interface GatewayProfile {
  readonly vmssProfile?: GatewayVmssProfile;
  readonly standaloneVMProfile?: GatewayStandaloneVmProfile;
}

/** `spec` as users write it. */
export interface StaticGatewayConfigurationSpec {
  readonly gatewayNodepoolName?: string;
  /** @deprecated use `gatewayProfile.vmssProfile`; kept for upstream compatibility. */
  readonly gatewayVmssProfile?: GatewayVmssProfile;
  readonly gatewayProfile?: GatewayProfile;
  /** Default true: egress through public IPs from a prefix; false: the secondary private IPs only. */
  readonly provisionPublicIps?: boolean;
  /** Bring-your-own public IP prefix (ARM id); public-IP mode only. */
  readonly publicIpPrefixId?: string;
  readonly defaultRoute?: DefaultRoute;
  readonly excludeCidrs?: readonly string[];
}

/** `corev1.ObjectReference` as upstream uses it for `privateKeySecretRef`. */
export interface ObjectReference {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** `status.gatewayServerProfile`: what pods need to reach the gateway. */
export interface GatewayServerProfile {
  /** ILB frontend private IP: the WireGuard endpoint. */
  readonly ip?: string;
  /** LB rule frontend = backend port = the gateway's WireGuard listen port. */
  readonly port?: number;
  /** Gateway WireGuard public key (set by the relay from the key Secret). */
  readonly publicKey?: string;
  /** The Secret holding the private key (set by the relay). */
  readonly privateKeySecretRef?: ObjectReference;
}

/** One gateway node's addresses (upstream: GatewayVMConfiguration `status.gatewayVMProfiles[]`). */
export interface GatewayVmProfile {
  /** VMSS instance computerName; for AKS VirtualMachines pools the NIC name (as upstream); standalone VMs: computerName. */
  readonly nodeName: string;
  readonly primaryIP: string;
  readonly secondaryIP: string;
}

/** Condition status values (metav1.ConditionStatus). */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A `metav1.Condition`. */
export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  /** CamelCase, machine-readable. */
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  /** RFC 3339; changes only when `status` changes. */
  readonly lastTransitionTime: string;
}

/** `status` of a StaticGatewayConfiguration. */
export interface StaticGatewayConfigurationStatus {
  /** Public prefix CIDR, or in private-IP mode the sorted comma list of the secondary private IPs. */
  readonly egressIpPrefix?: string;
  readonly gatewayServerProfile?: GatewayServerProfile;
  /** Per gateway node addresses, sorted by node name (the gateway daemon finds its own here). */
  readonly gatewayVMProfiles?: readonly GatewayVmProfile[];
  readonly conditions?: readonly Condition[];
  /** `metadata.generation` of the spec this status describes. */
  readonly observedGeneration?: number;
}

/** The metadata fields egret reads. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly deletionTimestamp?: string;
  readonly finalizers?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A whole StaticGatewayConfiguration object. */
export interface StaticGatewayConfiguration {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec: StaticGatewayConfigurationSpec;
  readonly status?: StaticGatewayConfigurationStatus;
}

// ---- Normalised, validated form -----------------------------------------------------------------

/** Which spec field selected the pool (for messages and field paths). */
export type PoolSelectorField =
  | 'spec.gatewayNodepoolName'
  | 'spec.gatewayVmssProfile'
  | 'spec.gatewayProfile.vmssProfile'
  | 'spec.gatewayProfile.standaloneVMProfile';

/** The validated pool selector of a spec: one of the three pool kinds' inputs. */
export type PoolSelector =
  | {
      /** An AKS nodepool by name: a VMSS (tag `aks-managed-poolName`) or a VirtualMachines pool. */
      readonly kind: 'nodepool';
      readonly field: 'spec.gatewayNodepoolName';
      readonly nodepoolName: string;
    }
  | {
      readonly kind: 'vmss';
      readonly field: 'spec.gatewayVmssProfile' | 'spec.gatewayProfile.vmssProfile';
      readonly resourceGroup: string;
      readonly vmssName: string;
      /** Present when given and non-zero. */
      readonly publicIpPrefixSize?: number;
    }
  | {
      readonly kind: 'standalone-vms';
      readonly field: 'spec.gatewayProfile.standaloneVMProfile';
      readonly resourceGroup: string;
      /** As written (validation guarantees no case-insensitive duplicates). */
      readonly vmNames: readonly string[];
      readonly publicIpPrefixSize?: number;
    };

/** Where egress IPs come from. */
export type EgressSpec =
  | {
      readonly kind: 'public';
      readonly prefix: { readonly kind: 'managed' } | { readonly kind: 'byo'; readonly id: string };
    }
  | { readonly kind: 'private' };

/** A validated spec with defaults applied. */
export interface DesiredSpec {
  readonly pool: PoolSelector;
  readonly egress: EgressSpec;
  readonly defaultRoute: DefaultRoute;
  /** Canonical CIDR text, in the user's order. */
  readonly excludeCidrs: readonly string[];
}
