/**
 * A plan: the ARM writes that bring one gateway pool to its desired state, as data. See planPool.ts
 * for how plans are made and what they guarantee.
 */
import type { ReadyReason } from './conditions.js';
import type {
  BackendAddressPool,
  FrontendIpConfiguration,
  LoadBalancingRule,
  NetworkInterface,
  Probe,
  VirtualMachineScaleSet,
  VirtualMachineScaleSetVm,
} from './observed.js';

/**
 * Phases run in this order; the steps of one phase are independent and may run concurrently. An
 * applier must stop at the first phase with a failed step: later phases rely on earlier ones (a NIC
 * references the public IP created before it; a prefix is deleted after the IPs that used it).
 */
export const PLAN_PHASES = [
  /** Managed public IP prefixes that do not exist yet. */
  'create-prefixes',
  /** Per-NIC public IPs (VirtualMachines pools, standalone VMs) from their prefix. */
  'create-public-ips',
  /** The ILB write, when it creates the pool's frontend/backend pool that members will reference. */
  'lb-before-members',
  /** The VMSS model (before its instances: Azure refuses concurrent VMSS operations with 409). */
  'vmss-model',
  /** VMSS instances and NICs: add/remove ipConfigs and backend pool membership. */
  'members',
  /** The ILB write otherwise: rules/probes, and removals once no member references them. */
  'lb-after-members',
  /** Per-NIC public IPs no longer attached. */
  'delete-public-ips',
  /** Managed prefixes whose addresses are all gone. */
  'delete-prefixes',
] as const;
/** A plan phase. */
export type PlanPhase = (typeof PLAN_PHASES)[number];

/** Why a write that changes nothing is still made. */
export type ForceReason =
  /** provisioningState is Failed: re-PUT the same body (upstream #981, fixed by #1011). */
  | 'provisioning-failed'
  /** An ipConfig egret manages has no private IP in Azure's view: re-PUT to make Azure allocate it. */
  | 'ip-missing';

interface StepBase {
  readonly phase: PlanPhase;
  /** The ARM id of the one resource this step writes. */
  readonly resourceId: string;
  /**
   * The uids of the configurations this write is made for, sorted: those whose Azure resources it
   * creates, changes or removes (a shared resource — the ILB, a VMSS model or instance, a NIC — lists
   * every one whose part of it the write changes; a forced re-PUT or a backend-membership change lists
   * every configuration with an ipConfig on the member). Empty when it serves none of the pool's
   * configurations (e.g. it removes an orphan): such a step concerns the whole pool. Facts for
   * {@link stepsConcerning} and {@link failedConfigurations}; `reasons` are for people only.
   */
  readonly uids: readonly string[];
  /** Human-readable reasons, sorted (for logs and audit; never parsed). */
  readonly reasons: readonly string[];
}

/** A PUT of a whole resource body; `ifMatch` is the observed ETag (absent when creating). */
interface PutStep<K extends string, B> extends StepBase {
  readonly kind: K;
  readonly ifMatch?: string;
  readonly body: B;
  readonly force?: ForceReason;
}

/** A DELETE; `ifMatch` is the observed ETag. */
interface DeleteStep<K extends string> extends StepBase {
  readonly kind: K;
  readonly ifMatch?: string;
}

/** One ARM write. Each names exactly one resource. */
export type PlanStep =
  | PutStep<'put-public-ip-prefix', PublicIpPrefixBody>
  | DeleteStep<'delete-public-ip-prefix'>
  | PutStep<'put-public-ip', PublicIpAddressBody>
  | DeleteStep<'delete-public-ip'>
  | PutStep<'put-load-balancer', LoadBalancerBody>
  | DeleteStep<'delete-load-balancer'>
  /** The whole model; only `virtualMachineProfile.networkProfile` differs from what was observed. */
  | PutStep<'put-vmss', VirtualMachineScaleSet>
  /** The whole instance; only `networkProfileConfiguration` differs from what was observed. */
  | (PutStep<'put-vmss-instance', VirtualMachineScaleSetVm> & {
      readonly vmssName: string;
      readonly instanceId: string;
    })
  | PutStep<'put-network-interface', NetworkInterface>;

/** The kind of a plan step. */
export type PlanStepKind = PlanStep['kind'];

/** Body of a public IP prefix PUT (create only: a prefix length is immutable). */
export interface PublicIpPrefixBody {
  readonly name: string;
  readonly location: string;
  readonly sku: { readonly name: string; readonly tier: string };
  readonly prefixLength: number;
  readonly publicIPAddressVersion: 'IPv4';
}
/** Body of a public IP PUT (create only). */
export interface PublicIpAddressBody {
  readonly name: string;
  readonly location: string;
  readonly sku: { readonly name: string; readonly tier: string };
  readonly publicIPAddressVersion: 'IPv4';
  readonly publicIPAllocationMethod: 'Static';
  readonly publicIPPrefix: { readonly id: string };
}
/** Body of a load balancer PUT: the observed ILB (unknown fields kept) with egret's lists. */
export interface LoadBalancerBody {
  readonly id?: string;
  readonly name: string;
  readonly location?: string;
  readonly sku?: { readonly name?: string; readonly tier?: string };
  readonly frontendIPConfigurations: readonly FrontendIpConfiguration[];
  readonly backendAddressPools: readonly BackendAddressPool[];
  readonly loadBalancingRules: readonly LoadBalancingRule[];
  readonly probes: readonly Probe[];
  readonly [field: string]: unknown;
}

/** What the plan means for one configuration of the pool. */
export type ConfigurationOutcome =
  /** Everything for it is planned (or already there); `port` is its WireGuard / LB port. */
  | { readonly uid: string; readonly kind: 'active'; readonly port: number }
  /** It cannot be served now; existing Azure resources of it are kept, nothing is added. */
  | { readonly uid: string; readonly kind: 'blocked'; readonly reason: ReadyReason; readonly message: string }
  /** Being deleted; some of its Azure resources still exist. */
  | { readonly uid: string; readonly kind: 'removing' }
  /** Being deleted and nothing of it was observed in Azure: the finalizer may go. */
  | { readonly uid: string; readonly kind: 'removed' };

/** A plan for one gateway pool. */
export interface Plan {
  readonly poolKey: string;
  /** Sorted by phase, then by resource id (case-insensitive): identical inputs give identical plans. */
  readonly steps: readonly PlanStep[];
  /** The port of every configuration that has one; the caller persists these as port claims. */
  readonly ports: readonly { readonly configUid: string; readonly port: number }[];
  /** One per configuration given, sorted by uid. */
  readonly outcomes: readonly ConfigurationOutcome[];
}

/** Groups a plan's steps by phase, in phase order, leaving out empty phases. */
export function planPhases(
  plan: Plan,
): readonly { readonly phase: PlanPhase; readonly steps: readonly PlanStep[] }[] {
  return PLAN_PHASES.map((phase) => ({ phase, steps: plan.steps.filter((s) => s.phase === phase) })).filter(
    (p) => p.steps.length > 0,
  );
}
