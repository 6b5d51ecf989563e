/**
 * planPool: from the desired configurations of ONE gateway pool and what Azure looks like now, the
 * writes that make Azure match — as data ({@link Plan}). Pure: no I/O, no clock; same input, same plan.
 *
 * ## What is desired (upstream kube-egress-gateway's layout, so its resources are adopted)
 * - ILB `kubeegressgateway-ilb` (created when missing: Standard, regional): per gateway pool one
 *   frontend IP configuration (IPv4, dynamic, in the configured subnet) and one backend pool, both named
 *   by the pool's unique id; per configuration one UDP rule with floating IP and frontendPort =
 *   backendPort = its port, and one HTTP probe `/gw/<uid>` on 8082, every 5 s, threshold 1, both
 *   named by the configuration uid.
 * - Per configuration and pool member, a secondary ipConfig `egressgateway-<uid>` (IPv4, on the subnet
 *   of the member's primary ipConfig), on the VMSS model and every instance, or on every
 *   VirtualMachines-pool / standalone-VM NIC. The primary ipConfig of a member is in the pool's backend
 *   pool exactly while the member carries any `egressgateway-*` ipConfig (upstream's rule).
 * - Public-IP mode: a prefix `egressgateway-<uid>` (created with the pool's length) or the BYO prefix
 *   (must exist with that length). VMSS ipConfigs get `publicIPAddressConfiguration.publicIPPrefix`
 *   (Azure allocates one IP per instance); NIC ipConfigs get a Static public IP
 *   `<prefix name>-<fnv64a(NIC name) hex>` from the prefix (upstream's name, PR #1227). Private-IP mode:
 *   no public IP, and the managed prefix of the configuration is deleted if it exists.
 *
 * ## Batching (the key property)
 * All changes of all configurations of the pool are folded into at most ONE write per Azure resource per
 * plan: one VMSS model PUT, one PUT per instance or NIC, one ILB PUT (or DELETE), one PUT or DELETE per
 * prefix and per public IP — however many configurations changed. A write is planned only if it changes
 * something, except the forced re-PUTs below.
 *
 * ## Convergence (the contract, tested as a property with an in-memory ARM model)
 * Applying a plan (every step succeeds) and planning again on what Azure then looks like gives an empty
 * plan — with one exception, a bring-your-own prefix changing hands (below): a configuration waiting
 * for it has outcome `blocked`, reason `Reconciling`, and the plan releases every address it waits
 * for; the next plan adds it. So at most TWO applied plans, however the prefixes change hands (one
 * configuration taking another's, chains, two configurations swapping theirs), and a `Reconciling`
 * outcome never survives the second. Any other `blocked` outcome is a resting state: nothing more is
 * planned for that configuration until its input changes.
 *
 * ## A BYO prefix changes hands only after it is released
 * A BYO prefix serves one configuration at a time. While an address of it is held by an `egressgateway-*`
 * ipConfig of ANOTHER configuration (a VMSS model/instance ipConfig allocating from it, a NIC ipConfig
 * carrying a public IP from it — on this pool, or reported by Azure for another scale set / NIC), a
 * configuration that wants it is blocked and nothing is allocated from the prefix for it:
 * - reason `Reconciling` when this plan releases every such ipConfig: the holder is being deleted, is an
 *   orphan removed with `orphans: 'delete'`, or now asks for another prefix (or none). A holder that
 *   asks for another prefix but is itself blocked or waiting releases the old one anyway (its ipConfigs
 *   are removed, not kept; its message says so): the prefix identifies the traffic of the configuration
 *   that asks for it, and chains and swaps cannot stall;
 * - reason `Conflict` otherwise (an orphan kept with `orphans: 'keep'`, a holder on another pool, a
 *   holder that still asks for the same prefix): it waits until the holder is gone.
 * Why: a VMSS instance PUT that removes one ipConfig and adds another from the same (full) prefix would
 * need ARM to release before it allocates, which is not documented; and a per-NIC public IP, named by
 * prefix and NIC only (`<prefix>-<fnv(NIC)>`), would have to move between two ipConfigs of one NIC in a
 * single PUT — a public IP belongs to one ipConfiguration. Instead the first plan removes the holder's
 * ipConfigs (per-NIC public IPs of the prefix are detached and kept), and the next one gives the new
 * configuration its ipConfigs, reusing those public IPs. Managed prefixes are per configuration
 * (`egressgateway-<uid>`), so a deletion and a creation of managed-prefix configurations never wait.
 * Addresses of the prefix that no `egressgateway-*` ipConfig holds (its owner's own public IPs) are
 * not egret's business: if they fill it, Azure refuses the write and the error is reported.
 *
 * ## Order (phases, see PLAN_PHASES)
 * Creation: prefixes → public IPs → the ILB if it must create the pool's frontend/backend pool →
 * VMSS model → instances and NICs. Deletion: ipConfigs and pool membership (members phase) → rules and
 * probes, then the pool's frontend and backend pool (together) once no rule and no member references
 * them, and the ILB itself when no frontend is left → public IPs once detached → prefixes once every address
 * allocated from them is released. The ILB is written once: after the members normally, before them
 * when it creates the frontend/backend pool (then the same write also drops rules of deleted
 * configurations; rules do not depend on NICs, so no Azure constraint is broken).
 *
 * ## Ports
 * Per pool, in 6000–6999. A configuration keeps its claim from egret's state (so a rule whose port was
 * edited out of band is put back), else the port of its existing rule if that rule is sane
 * (frontendPort = backendPort, in range; this adopts upstream's rules), else it gets the lowest port not
 * used by any rule on the pool's backend pool nor by any claim (configurations in uid order). Ports of
 * configurations being deleted are not reused in the same plan. None left ⇒ `PortsExhausted`.
 *
 * ## Forced writes
 * A member in provisioningState `Failed` is re-PUT unchanged (upstream #981: failed instance PUTs were
 * never retried). So is a member whose ipConfig egret manages has no private IP, or whose primary
 * ipConfig has none (upstream's "failed to find private IP"). A VMSS instance whose NIC view could not
 * be read is not forced (upstream skips the check too).
 *
 * ## Upstream quirks and how they are handled
 * - Upstream compared rules without ports and kept a rule whose ports differ; egret rewrites a rule whose
 *   ports are not its port.
 * - Upstream re-added backend membership even while deleting a VM pool; egret removes it with the last
 *   `egressgateway-*` ipConfig.
 * - Upstream never deleted PIPs of a managed prefix before the prefix (#1223: InUse); egret deletes the
 *   per-NIC IPs first and deletes a prefix only when every allocated address is released.
 * - Upstream created the prefix with whatever length; a managed prefix whose length differs from the
 *   pool's is kept (egress IPs must not change silently) and reported `PrefixSizeMismatch`.
 * - Resources whose names look like egret's but belong to no configuration given ("orphans", e.g. a
 *   configuration that moved to another pool) are removed from this pool's members and ILB rules only
 *   with `orphans: 'delete'`; the caller chooses it when its list of configurations is authoritative.
 * - Strays (`members.strays`, NIC pools): NICs outside the pool that still reference its backend pool,
 *   e.g. the NIC a deleted standalone VM left behind. They get a NIC PUT removing the ipConfigs of the
 *   configurations given (and orphans with `orphans: 'delete'`) and the membership, their public IPs
 *   are deleted, and nothing is ever added to them. Azure refuses to drop a backend pool a NIC still
 *   references, so without this a deletion would never finish (found against the ARM stand-in).
 */
import type { ObservedPoolMembers, LoadBalancer, PublicIpAddress, PublicIpPrefix } from './observed.js';
import type { Plan } from './plan.js';
import type { ResolvedPool } from './pool.js';
import type { EgressSpec } from './staticGatewayConfiguration.js';
import { armIdKey } from './armId.js';
import { assignPorts } from './planPool/assignPorts.js';
import { checkConfigurations, choosePrefixes } from './planPool/checkConfigurations.js';
import { decide, withHandOver } from './planPool/decide.js';
import { planByoHandOver } from './planPool/planByoHandOver.js';
import { planContext } from './planPool/planContext.js';
import { planLoadBalancer } from './planPool/planLoadBalancer.js';
import { planMemberEdits } from './planPool/planMemberEdits.js';
import { sortSteps } from './planPool/names.js';
import { planOutcomes } from './planPool/planOutcomes.js';
import { planPrefixCreations, planPrefixDeletions } from './planPool/planPrefixSteps.js';
import { desiredPublicIps, planPublicIpCreations, planPublicIpDeletions } from './planPool/planPublicIps.js';
import { resolveMembers } from './planPool/resolveMembers.js';

export { pipName } from './planPool/names.js';

/** Where egret's shared resources live and how it treats strays. */
export interface PlanSettings {
  readonly subscriptionId: string;
  /** Region of the ILB, managed prefixes and public IPs. */
  readonly location: string;
  readonly loadBalancerResourceGroup: string;
  /** Defaults to `kubeegressgateway-ilb`. */
  readonly loadBalancerName?: string;
  /** Subnet the pool frontends get their private IP from. */
  readonly frontendSubnetId: string;
  /** Resource group of managed prefixes and per-NIC public IPs (upstream: the cloud config's resourceGroup). */
  readonly publicIpResourceGroup: string;
  /** What to do with `egressgateway-*` ipConfigs and rules on this pool that no configuration given owns. */
  readonly orphans: 'keep' | 'delete';
}

/** A configuration of the pool, as the planner needs it. */
export interface PlannedConfiguration {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly state:
    | { readonly kind: 'present'; readonly egress: EgressSpec }
    /** Being deleted; `egress` (last known) lets the planner find its BYO-prefix public IPs. */
    | { readonly kind: 'deleting'; readonly egress?: EgressSpec };
}

/** A port recorded in egret's state for a configuration. */
export interface PortClaim {
  readonly configUid: string;
  readonly port: number;
}

/** Everything {@link planPool} looks at. */
export interface PlanPoolInput {
  readonly pool: ResolvedPool;
  readonly configurations: readonly PlannedConfiguration[];
  readonly members: ObservedPoolMembers;
  /** The ILB, absent if it does not exist. */
  readonly loadBalancer?: LoadBalancer;
  /** Managed prefixes of the configurations (and any BYO prefixes they name) that exist. */
  readonly prefixes: readonly PublicIpPrefix[];
  /** Public IPs in the public IP resource group that come from a prefix. */
  readonly publicIps: readonly PublicIpAddress[];
  readonly portClaims: readonly PortClaim[];
  readonly settings: PlanSettings;
}

/**
 * Makes the plan for one gateway pool. See the module comment for the algorithm and guarantees.
 *
 * A short pipeline over sub-planners (shared/core/planPool/), each with explicit inputs and outputs:
 * members → prefixes and their checks → BYO hand-over → ports → decisions → public IPs, member edits,
 * the load balancer, prefixes → outcomes. The input is indexed once (`planContext`), so the cost grows
 * with the number of observed ipConfigurations, not with their square.
 */
export function planPool(input: PlanPoolInput): Plan {
  const ctx = planContext(input);
  const members = resolveMembers(input.members);
  const prefixOf = choosePrefixes(ctx);
  const checked = checkConfigurations(ctx, members, prefixOf);
  const handOver = planByoHandOver(ctx, members, prefixOf, checked);
  const blocked = withHandOver(checked, handOver);
  const ports = assignPorts(ctx, blocked);
  const decisions = decide(ctx, { prefixOf, blocked, handOver, ports });
  const heldPrefixes = new Set(
    decisions.held.flatMap((c) => {
      const p = prefixOf.get(c.uid);
      return p === undefined ? [] : [armIdKey(p.id)];
    }),
  );

  const desiredPips = desiredPublicIps(ctx, members, decisions);
  const edits = planMemberEdits(ctx, members, decisions);
  const pipDeletions = planPublicIpDeletions(ctx, members, decisions, {
    desired: desiredPips,
    heldPrefixes,
    pipRefsAfter: edits.pipRefsAfter,
  });
  const lbStep = planLoadBalancer(ctx, {
    observed: input.loadBalancer,
    active: decisions.active.map((c) => ({ uid: c.uid, port: decisions.ports.get(c.uid) as number })),
    held: decisions.held.map((c) => c.uid),
    leaving: decisions.leaving.map((c) => c.uid),
    orphans: input.settings.orphans,
    membersReferenceBackend: edits.membersReferenceBackend,
  });
  const steps = [
    ...planPublicIpCreations(ctx, desiredPips),
    ...edits.steps,
    ...pipDeletions.steps,
    ...(lbStep === undefined ? [] : [lbStep]),
    ...planPrefixCreations(ctx, decisions),
    ...planPrefixDeletions(ctx, {
      prefixRefsAfter: edits.prefixRefsAfter,
      deletedPips: pipDeletions.deleted,
      releasedInstanceIpConfigs: edits.releasedInstanceIpConfigs,
    }),
  ];

  return {
    poolKey: input.pool.key,
    steps: sortSteps(steps),
    ports: ctx.configs.flatMap((c) => {
      const port = decisions.ports.get(c.uid);
      return port === undefined ? [] : [{ configUid: c.uid, port }];
    }),
    outcomes: planOutcomes(ctx, members, decisions, { desiredPips, heldPrefixes }),
  };
}
