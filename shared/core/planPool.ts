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
import {
  armIdKey,
  loadBalancerChildId,
  loadBalancerId,
  parseArmId,
  publicIpAddressId,
  publicIpPrefixId,
  sameArmId,
} from './armId.js';
import type { ReadyReason } from './conditions.js';
import { fnv1a64Hex } from './fnv1a64.js';
import type {
  BackendAddressPool,
  FrontendIpConfiguration,
  LoadBalancer,
  LoadBalancingRule,
  NetworkInterface,
  NicIpConfiguration,
  ObservedPoolMembers,
  Probe,
  PublicIpAddress,
  PublicIpPrefix,
  SubResourceRef,
  VirtualMachineScaleSet,
  VmssIpConfiguration,
  VmssNetworkConfiguration,
} from './observed.js';
import type { ConfigurationOutcome, ForceReason, Plan, PlanPhase, PlanStep } from './plan.js';
import { PLAN_PHASES } from './plan.js';
import type { ResolvedPool } from './pool.js';
import type { EgressSpec } from './staticGatewayConfiguration.js';
import {
  DEFAULT_LOAD_BALANCER_NAME,
  LB_PROBE_INTERVAL_SECONDS,
  LB_PROBE_PORT,
  LB_PROBE_THRESHOLD,
  MANAGED_RESOURCE_PREFIX,
  STANDARD_REGIONAL_SKU,
  WIREGUARD_PORT_MAX,
  WIREGUARD_PORT_MIN,
  managedResourceName,
  probePath,
} from './wellKnown.js';

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

type Intent<C> =
  { readonly kind: 'apply'; readonly body: C } | { readonly kind: 'hold' } | { readonly kind: 'remove' };

interface PrefixChoice {
  readonly id: string;
  readonly name: string;
  readonly managed: boolean;
  readonly observed?: PublicIpPrefix;
}

interface Blocked {
  readonly reason: ReadyReason;
  readonly message: string;
}

/** A NIC member (VirtualMachines pool or standalone VM). */
interface NicMember {
  readonly nic: NetworkInterface;
}

/** Makes the plan for one gateway pool. See the module comment for the algorithm and guarantees. */
export function planPool(input: PlanPoolInput): Plan {
  const { pool, settings } = input;
  const steps: PlanStep[] = [];
  const lbId = loadBalancerId(
    { subscriptionId: settings.subscriptionId, resourceGroup: settings.loadBalancerResourceGroup },
    settings.loadBalancerName ?? DEFAULT_LOAD_BALANCER_NAME,
  );
  const frontendId = loadBalancerChildId(lbId, 'frontendIPConfigurations', pool.uniqueId);
  const backendId = loadBalancerChildId(lbId, 'backendAddressPools', pool.uniqueId);
  const probeId = (uid: string): string => loadBalancerChildId(lbId, 'probes', uid);
  const pipLocation = {
    subscriptionId: settings.subscriptionId,
    resourceGroup: settings.publicIpResourceGroup,
  };

  const configs = [...input.configurations].sort((a, b) => cmp(a.uid, b.uid));
  const byUid = new Map(configs.map((c) => [c.uid.toLowerCase(), c]));
  const prefixesByKey = new Map(input.prefixes.map((p) => [armIdKey(p.id), p]));
  const pipsByKey = new Map(input.publicIps.map((p) => [armIdKey(p.id), p]));

  // ---- Members ----
  const nicMembers: NicMember[] = [];
  const vmss = input.members.kind === 'vmss' ? input.members.vmss : undefined;
  let poolProblem: Blocked | undefined;
  switch (input.members.kind) {
    case 'vmss':
      if (vmss === undefined)
        poolProblem = { reason: 'PoolNotFound', message: 'the gateway VMSS was not found' };
      else if (
        primaryNetworkConfig(vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations) ===
        undefined
      ) {
        poolProblem = {
          reason: 'PoolNotFound',
          message: `VMSS ${vmss.name} has no primary network interface configuration`,
        };
      }
      break;
    case 'aks-vm-pool':
      nicMembers.push(
        ...[...input.members.nics]
          .sort((a, b) => cmp(armIdKey(a.id), armIdKey(b.id)))
          .map((nic) => ({ nic })),
      );
      if (nicMembers.length === 0)
        poolProblem = { reason: 'PoolNotFound', message: 'the VirtualMachines pool has no gateway NICs' };
      break;
    case 'standalone-vms':
      for (const vm of input.members.vms)
        if (vm.primaryNic !== undefined) nicMembers.push({ nic: vm.primaryNic });
      nicMembers.sort((a, b) => cmp(armIdKey(a.nic.id), armIdKey(b.nic.id)));
      if (nicMembers.length === 0)
        poolProblem = {
          reason: 'PoolNotFound',
          message: 'none of the standalone VMs (or their primary NICs) was found',
        };
      break;
  }
  const nicPool = input.members.kind !== 'vmss';
  const strays: NetworkInterface[] =
    input.members.kind === 'vmss'
      ? []
      : [...(input.members.strays ?? [])]
          .filter((n) => !nicMembers.some((m) => sameArmId(m.nic.id, n.id)))
          .sort((a, b) => cmp(armIdKey(a.id), armIdKey(b.id)));
  /** Members and strays: every NIC whose egret ipConfigs and public IPs this plan manages. */
  const managedNics: readonly NetworkInterface[] = [...nicMembers.map((m) => m.nic), ...strays];

  // ---- Per configuration: prefix, blockers ----
  const blocked = new Map<string, Blocked>();
  const prefixOf = new Map<string, PrefixChoice>();
  for (const c of configs) {
    const egress = c.state.egress;
    if (egress?.kind === 'public')
      prefixOf.set(c.uid, choosePrefix(c.uid, egress, pipLocation, prefixesByKey));
    if (c.state.kind !== 'present') continue;
    if (poolProblem !== undefined) {
      blocked.set(c.uid, poolProblem);
      continue;
    }
    const prefix = prefixOf.get(c.uid);
    if (prefix === undefined) continue;
    const wanted = pool.prefixLength;
    if (wanted === undefined) {
      blocked.set(c.uid, {
        reason: 'InvalidSpec',
        message: 'the gateway pool has no public IP prefix length',
      });
    } else if (!prefix.managed && prefix.observed === undefined) {
      blocked.set(c.uid, {
        reason: 'PrefixNotFound',
        message: `public IP prefix ${prefix.id} does not exist`,
      });
    } else if (prefix.observed?.prefixLength !== undefined && prefix.observed.prefixLength !== wanted) {
      blocked.set(c.uid, {
        reason: 'PrefixSizeMismatch',
        message:
          `public IP prefix ${prefix.name} is /${prefix.observed.prefixLength} but the gateway pool asks for /${wanted}` +
          (prefix.managed
            ? '; a prefix length cannot change: recreate the configuration to get a new prefix'
            : ''),
      });
    } else if (wanted !== undefined && memberCount(input.members, nicMembers) > 2 ** (32 - wanted)) {
      blocked.set(c.uid, {
        reason: 'PrefixSizeMismatch',
        message:
          `the gateway pool has ${memberCount(input.members, nicMembers)} members but a /${wanted} prefix holds ` +
          `${2 ** (32 - wanted)} addresses; use a larger prefix (a smaller prefix length)`,
      });
    } else if (nicPool) {
      const clash = nicMembers
        .map((m) => pipsByKey.get(armIdKey(publicIpAddressId(pipLocation, pipName(prefix.name, m.nic.name)))))
        .find((p) => p !== undefined && !sameArmId(p.publicIPPrefix?.id, prefix.id));
      if (clash !== undefined) {
        blocked.set(c.uid, {
          reason: 'Conflict',
          message: `public IP ${clash.name} exists but comes from ${clash.publicIPPrefix?.id ?? 'no prefix'}, not ${prefix.id}`,
        });
      }
    }
  }

  // ---- BYO prefix hand-over: wait until another configuration's addresses are released ----
  // 1. Who waits: a present, otherwise unblocked configuration whose BYO prefix holds addresses of
  //    other configurations' ipConfigs.
  const waiting = new Map<string, { readonly prefix: PrefixChoice; readonly holders: PrefixHolder[] }>();
  for (const c of configs) {
    const prefix = prefixOf.get(c.uid);
    if (c.state.kind !== 'present' || blocked.has(c.uid) || prefix === undefined || prefix.managed) continue;
    const holders = byoPrefixHolders({
      prefix,
      uid: c.uid,
      vmss,
      members: input.members,
      managedNics,
      publicIps: input.publicIps,
      pipsByKey,
      pipLocation,
    });
    if (holders.length > 0) waiting.set(c.uid, { prefix, holders });
  }
  const holderConfig = (h: PrefixHolder): PlannedConfiguration | undefined =>
    byUid.get(h.ipConfig.slice(MANAGED_RESOURCE_PREFIX.length).toLowerCase());
  const wantsByo = (c: PlannedConfiguration, prefixId: string): boolean =>
    c.state.egress?.kind === 'public' &&
    c.state.egress.prefix.kind === 'byo' &&
    sameArmId(c.state.egress.prefix.id, prefixId);
  // 2. A blocked (or itself waiting) configuration that holds a BYO prefix it no longer asks for, and
  //    that another one waits for, lets it go now instead of keeping its ipConfigs: the prefix identifies
  //    the traffic of the configuration that asks for it. Without this a chain of hand-overs would stall
  //    behind a waiting holder, and two configurations swapping prefixes would wait for each other.
  const releasing = new Map<string, string>(); // uid → why
  for (const [uid, w] of waiting) {
    for (const h of w.holders) {
      const other = h.onPool ? holderConfig(h) : undefined;
      if (other?.state.kind !== 'present' || wantsByo(other, w.prefix.id)) continue;
      if (!blocked.has(other.uid) && !waiting.has(other.uid)) continue; // its ipConfigs are replaced anyway
      const c = byUid.get(uid.toLowerCase());
      releasing.set(
        other.uid,
        `; meanwhile its addresses from public IP prefix ${w.prefix.name} are released for ` +
          `${c === undefined ? uid : `${c.namespace}/${c.name}`}, which uses that prefix now`,
      );
    }
  }
  // 3. Why each waits: `Reconciling` when this plan releases every holder, else `Conflict`.
  for (const [uid, { prefix, holders }] of waiting) {
    const releasedHere = (h: PrefixHolder): boolean => {
      if (!h.onPool) return false;
      const other = holderConfig(h);
      if (other === undefined) return settings.orphans === 'delete';
      return other.state.kind === 'deleting' || !wantsByo(other, prefix.id);
    };
    const list = describeHolders(holders);
    blocked.set(
      uid,
      holders.every(releasedHere)
        ? {
            reason: 'Reconciling',
            message:
              `public IP prefix ${prefix.name} still holds addresses of ${list}, which this reconcile ` +
              `releases; this configuration gets its addresses from the prefix once they are released`,
          }
        : {
            reason: 'Conflict',
            message:
              `public IP prefix ${prefix.name} holds addresses of ${list}; a prefix serves one ` +
              `configuration at a time, so this configuration waits until they are released (the ` +
              `configuration that owns them must be deleted or moved to another prefix)`,
          },
    );
  }
  for (const [uid, why] of releasing) {
    const b = blocked.get(uid);
    if (b !== undefined) blocked.set(uid, { reason: b.reason, message: b.message + why });
  }

  // ---- Ports ----
  const ourRules = (input.loadBalancer?.loadBalancingRules ?? []).filter((r) =>
    sameArmId(r.backendAddressPool?.id, backendId),
  );
  const used = new Set<number>();
  for (const r of ourRules) for (const p of [r.frontendPort, r.backendPort]) if (p !== undefined) used.add(p);
  for (const claim of input.portClaims) used.add(claim.port);
  const ports = new Map<string, number>();
  const inRange = (p: number | undefined): p is number =>
    p !== undefined && Number.isInteger(p) && p >= WIREGUARD_PORT_MIN && p <= WIREGUARD_PORT_MAX;
  const taken = new Set<number>();
  const present = configs.filter((c) => c.state.kind === 'present');
  // 1. egret's own record (claims) first, so a drifted rule is put back rather than adopted;
  // 2. then the port of an existing sane rule (adopting upstream's or a lost claim);
  for (const c of present) {
    const claim = input.portClaims
      .filter((p) => eqName(p.configUid, c.uid) && inRange(p.port) && !taken.has(p.port))
      .sort((a, b) => a.port - b.port)[0];
    if (claim !== undefined) {
      ports.set(c.uid, claim.port);
      taken.add(claim.port);
    }
  }
  for (const c of present) {
    if (ports.has(c.uid)) continue;
    const rule = ourRules.find((r) => eqName(r.name, c.uid));
    if (
      rule !== undefined &&
      rule.frontendPort === rule.backendPort &&
      inRange(rule.frontendPort) &&
      !taken.has(rule.frontendPort)
    ) {
      ports.set(c.uid, rule.frontendPort);
      taken.add(rule.frontendPort);
    }
  }
  // 3. else the lowest port no rule on the pool's backend pool and no claim uses.
  for (const c of present) {
    if (ports.has(c.uid) || blocked.has(c.uid)) continue;
    let port = WIREGUARD_PORT_MIN;
    while (port <= WIREGUARD_PORT_MAX && (used.has(port) || taken.has(port))) port++;
    if (port > WIREGUARD_PORT_MAX) {
      blocked.set(c.uid, {
        reason: 'PortsExhausted',
        message: `all ports ${WIREGUARD_PORT_MIN}–${WIREGUARD_PORT_MAX} of the gateway pool are in use`,
      });
      continue;
    }
    ports.set(c.uid, port);
    taken.add(port);
  }

  const active = present.filter((c) => !blocked.has(c.uid));
  const held = present.filter((c) => blocked.has(c.uid));
  const leaving = configs.filter((c) => c.state.kind === 'deleting');
  const intentKind = (uid: string): 'apply' | 'hold' | 'remove' | undefined => {
    const c = byUid.get(uid.toLowerCase());
    if (c === undefined) return undefined;
    if (c.state.kind === 'deleting' || releasing.has(c.uid)) return 'remove';
    return blocked.has(c.uid) ? 'hold' : 'apply';
  };

  // ---- Public IPs of NIC pools ----
  const desiredPips = new Map<string, { name: string; prefixId: string; uid: string }>();
  if (nicPool) {
    for (const c of active) {
      const prefix = prefixOf.get(c.uid);
      if (prefix === undefined) continue;
      for (const m of nicMembers) {
        if (primarySubnetOfNic(m.nic) === undefined) continue;
        const name = pipName(prefix.name, m.nic.name);
        desiredPips.set(armIdKey(publicIpAddressId(pipLocation, name)), {
          name,
          prefixId: prefix.id,
          uid: c.uid,
        });
      }
    }
  }
  for (const [key, pip] of [...desiredPips].sort(([a], [b]) => cmp(a, b))) {
    if (pipsByKey.has(key)) continue;
    steps.push({
      kind: 'put-public-ip',
      phase: 'create-public-ips',
      resourceId: publicIpAddressId(pipLocation, pip.name),
      reasons: [`create public IP for ${managedResourceName(pip.uid)}`],
      body: {
        name: pip.name,
        location: settings.location,
        sku: { ...STANDARD_REGIONAL_SKU },
        publicIPAddressVersion: 'IPv4',
        publicIPAllocationMethod: 'Static',
        publicIPPrefix: { id: pip.prefixId },
      },
    });
  }

  // ---- Members: ipConfigs and backend membership ----
  const finalMemberLists: (readonly { loadBalancerBackendAddressPools?: readonly SubResourceRef[] }[])[] = [];
  const releasedInstanceIpConfigs = new Set<string>(); // `<instanceId>/<ipconfig name>` lower case
  const prefixRefsAfter = new Set<string>();
  const pipRefsAfter = new Set<string>();
  const orphans = settings.orphans;

  if (vmss !== undefined && poolProblem === undefined) {
    const vmssIntents = (subnetId: string | undefined): Map<string, Intent<VmssIpConfiguration>> =>
      intentsFor(configs, intentKind, (c) => {
        if (subnetId === undefined) return undefined;
        const prefix = prefixOf.get(c.uid);
        const name = managedResourceName(c.uid);
        return {
          name,
          primary: false,
          privateIPAddressVersion: 'IPv4',
          subnet: { id: subnetId },
          ...(prefix === undefined
            ? {}
            : { publicIPAddressConfiguration: { name, publicIPPrefix: { id: prefix.id } } }),
        };
      });
    const model = vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [];
    const modelEdit = editVmssNetworkConfigs(
      model,
      vmssIntents(primarySubnetOfVmss(model)),
      backendId,
      orphans,
      sameVmssIpConfig,
    );
    finalMemberLists.push(...modelEdit.ipConfigLists);
    collectPrefixRefs(modelEdit.ipConfigLists, prefixRefsAfter);
    if (modelEdit.changed) {
      steps.push({
        kind: 'put-vmss',
        phase: 'vmss-model',
        resourceId: vmss.id,
        reasons: modelEdit.reasons,
        ...ifMatch(vmss.etag),
        body: withVmssNetworkConfigs(vmss, modelEdit.configs),
      });
    }
    const instances = input.members.kind === 'vmss' ? [...input.members.instances] : [];
    instances.sort((a, b) => cmp(armIdKey(a.vm.id), armIdKey(b.vm.id)));
    for (const { vm, primaryNic } of instances) {
      const configsOfVm = vm.networkProfileConfiguration?.networkInterfaceConfigurations;
      if (configsOfVm === undefined) continue; // not a Uniform instance model egret can edit
      const edit = editVmssNetworkConfigs(
        configsOfVm,
        vmssIntents(primarySubnetOfVmss(configsOfVm)),
        backendId,
        orphans,
        sameVmssIpConfig,
      );
      finalMemberLists.push(...edit.ipConfigLists);
      collectPrefixRefs(edit.ipConfigLists, prefixRefsAfter);
      for (const name of edit.released)
        releasedInstanceIpConfigs.add(`${vm.instanceId}/${name}`.toLowerCase());
      const force = edit.changed
        ? undefined
        : forceReason(
            vm.provisioningState,
            primaryNic,
            active.map((c) => managedResourceName(c.uid)),
            edit.ipConfigLists,
          );
      if (!edit.changed && force === undefined) continue;
      steps.push({
        kind: 'put-vmss-instance',
        phase: 'members',
        resourceId: vm.id,
        vmssName: vmss.name,
        instanceId: vm.instanceId,
        reasons: force === undefined ? edit.reasons : [`force: ${force}`],
        ...ifMatch(vm.etag),
        ...(force === undefined ? {} : { force }),
        body: {
          ...vm,
          networkProfileConfiguration: {
            ...vm.networkProfileConfiguration,
            networkInterfaceConfigurations: edit.configs,
          },
        },
      });
    }
  }

  if (nicPool && poolProblem === undefined) {
    for (const { nic } of nicMembers) {
      const subnetId = primarySubnetOfNic(nic);
      const intents = intentsFor(configs, intentKind, (c): NicIpConfiguration | undefined => {
        if (subnetId === undefined) return undefined;
        const prefix = prefixOf.get(c.uid);
        const name = managedResourceName(c.uid);
        return {
          name,
          primary: false,
          privateIPAddressVersion: 'IPv4',
          subnet: { id: subnetId },
          ...(prefix === undefined
            ? {}
            : { publicIPAddress: { id: publicIpAddressId(pipLocation, pipName(prefix.name, nic.name)) } }),
        };
      });
      const edit = editIpConfigs(nic.ipConfigurations ?? [], intents, orphans, sameNicIpConfig);
      const membership = editMembership(edit.list, backendId);
      finalMemberLists.push(membership.list);
      for (const ipc of membership.list)
        if (ipc.publicIPAddress?.id !== undefined) pipRefsAfter.add(armIdKey(ipc.publicIPAddress.id));
      const changed = edit.changed || membership.changed;
      const reasons = [...edit.reasons, ...membership.reasons].sort();
      const force = changed
        ? undefined
        : forceReason(
            nic.provisioningState,
            nic,
            active.map((c) => managedResourceName(c.uid)),
            [membership.list],
          );
      if (!changed && force === undefined) continue;
      steps.push({
        kind: 'put-network-interface',
        phase: 'members',
        resourceId: nic.id,
        reasons: force === undefined ? reasons : [`force: ${force}`],
        ...ifMatch(nic.etag),
        ...(force === undefined ? {} : { force }),
        body: { ...nic, ipConfigurations: membership.list },
      });
    }
  }
  for (const nic of strays) {
    // Not a member: remove every configuration's ipConfig (orphans as the policy says), never add.
    const intents = intentsFor(
      configs,
      (uid) => (intentKind(uid) === undefined ? undefined : 'remove'),
      (): NicIpConfiguration | undefined => undefined,
    );
    const edit = editIpConfigs(nic.ipConfigurations ?? [], intents, orphans, sameNicIpConfig);
    const membership = editMembership(edit.list, backendId);
    finalMemberLists.push(membership.list);
    for (const ipc of membership.list)
      if (ipc.publicIPAddress?.id !== undefined) pipRefsAfter.add(armIdKey(ipc.publicIPAddress.id));
    if (!edit.changed && !membership.changed) continue;
    steps.push({
      kind: 'put-network-interface',
      phase: 'members',
      resourceId: nic.id,
      reasons: ['not a member of the gateway pool', ...edit.reasons, ...membership.reasons].sort(),
      ...ifMatch(nic.etag),
      body: { ...nic, ipConfigurations: membership.list },
    });
  }
  const membersReferenceBackend = finalMemberLists.some((list) =>
    list.some((ipc) => (ipc.loadBalancerBackendAddressPools ?? []).some((p) => sameArmId(p.id, backendId))),
  );

  // ---- Public IPs no longer wanted ----
  const memberByPipName = new Map<string, NetworkInterface>();
  const deletedPips = new Set<string>();
  const heldPrefixes = new Set(
    held
      .map((c) => prefixOf.get(c.uid))
      .filter((p) => p !== undefined)
      .map((p) => armIdKey(p.id)),
  );
  for (const pip of [...input.publicIps].sort((a, b) => cmp(armIdKey(a.id), armIdKey(b.id)))) {
    const key = armIdKey(pip.id);
    if (!nicPool || desiredPips.has(key) || pip.publicIPPrefix?.id === undefined) continue;
    const prefixName = nameOf(pip.publicIPPrefix.id);
    if (heldPrefixes.has(armIdKey(pip.publicIPPrefix.id))) continue;
    const owner = managedNics.find((nic) => eqName(pip.name, pipName(prefixName, nic.name)));
    if (owner === undefined) continue; // not egret's, or another pool's
    memberByPipName.set(pip.name.toLowerCase(), owner);
    if (pipRefsAfter.has(key)) continue; // still referenced by an ipConfig that stays
    const attached = pip.ipConfiguration?.id;
    if (
      attached !== undefined &&
      !managedNics.some((nic) => attached.toLowerCase().startsWith(`${armIdKey(nic.id)}/`))
    )
      continue;
    deletedPips.add(key);
    steps.push({
      kind: 'delete-public-ip',
      phase: 'delete-public-ips',
      resourceId: pip.id,
      reasons: [`public IP ${pip.name} is no longer used`],
      ...ifMatch(pip.etag),
    });
  }

  // ---- Load balancer ----
  const lbStep = planLoadBalancer({
    observed: input.loadBalancer,
    lbId,
    lbName: settings.loadBalancerName ?? DEFAULT_LOAD_BALANCER_NAME,
    location: settings.location,
    frontendSubnetId: settings.frontendSubnetId,
    uniqueId: pool.uniqueId,
    frontendId,
    backendId,
    probeId,
    active: active.map((c) => ({ uid: c.uid, port: ports.get(c.uid) as number })),
    held: held.map((c) => c.uid),
    leaving: leaving.map((c) => c.uid),
    orphans,
    membersReferenceBackend,
  });
  if (lbStep !== undefined) steps.push(lbStep);

  // ---- Prefixes ----
  const createdPrefixes = new Set<string>();
  for (const c of active) {
    const prefix = prefixOf.get(c.uid);
    if (
      prefix === undefined ||
      !prefix.managed ||
      prefix.observed !== undefined ||
      createdPrefixes.has(armIdKey(prefix.id))
    )
      continue;
    createdPrefixes.add(armIdKey(prefix.id));
    steps.push({
      kind: 'put-public-ip-prefix',
      phase: 'create-prefixes',
      resourceId: prefix.id,
      reasons: [`create managed prefix for ${c.namespace}/${c.name}`],
      body: {
        name: prefix.name,
        location: settings.location,
        sku: { ...STANDARD_REGIONAL_SKU },
        prefixLength: pool.prefixLength as number,
        publicIPAddressVersion: 'IPv4',
      },
    });
  }
  const vmssName = vmss?.name;
  for (const c of configs) {
    const managedActive =
      c.state.kind === 'present' &&
      c.state.egress.kind === 'public' &&
      c.state.egress.prefix.kind === 'managed';
    if (managedActive) continue;
    const id = publicIpPrefixId(pipLocation, managedResourceName(c.uid));
    const observed = prefixesByKey.get(armIdKey(id));
    if (observed === undefined || prefixRefsAfter.has(armIdKey(id))) continue;
    const released = (observed.publicIPAddresses ?? []).every((ref) => {
      if (ref.id === undefined) return true;
      if (deletedPips.has(armIdKey(ref.id))) return true;
      return (
        vmssName !== undefined && isReleasedVmssIp(ref.id, vmssName, releasedInstanceIpConfigs, input.members)
      );
    });
    if (!released) continue;
    steps.push({
      kind: 'delete-public-ip-prefix',
      phase: 'delete-prefixes',
      resourceId: observed.id,
      reasons: [`managed prefix of ${c.namespace}/${c.name} is no longer used`],
      ...ifMatch(observed.etag),
    });
  }

  // ---- Outcomes ----
  const outcomes: ConfigurationOutcome[] = configs.map((c) => {
    if (c.state.kind === 'deleting') {
      return {
        uid: c.uid,
        kind: hasArtefacts(c, input, prefixOf.get(c.uid), managedNics, (pip) => {
          // A per-NIC public IP of a BYO prefix is named by prefix and NIC only: it belongs to whichever
          // configuration carries it, uses the prefix now, or keeps it while blocked — not to one that
          // leaves the prefix (or asked for it and never got it).
          const from = pip.publicIPPrefix?.id;
          const at = pip.ipConfiguration?.id;
          return (
            desiredPips.has(armIdKey(pip.id)) ||
            (from !== undefined && heldPrefixes.has(armIdKey(from))) ||
            (at !== undefined && !eqName(nameOf(at), managedResourceName(c.uid)))
          );
        })
          ? 'removing'
          : 'removed',
      };
    }
    const b = blocked.get(c.uid);
    if (b !== undefined) return { uid: c.uid, kind: 'blocked', reason: b.reason, message: b.message };
    return { uid: c.uid, kind: 'active', port: ports.get(c.uid) as number };
  });

  return {
    poolKey: pool.key,
    steps: sortSteps(steps),
    ports: configs
      .filter((c) => ports.has(c.uid))
      .map((c) => ({ configUid: c.uid, port: ports.get(c.uid) as number })),
    outcomes,
  };
}

function memberCount(members: ObservedPoolMembers, nicMembers: readonly NicMember[]): number {
  return members.kind === 'vmss' ? members.instances.length : nicMembers.length;
}

// ---- Prefix and public IP names --------------------------------------------------------------------

function choosePrefix(
  uid: string,
  egress: EgressSpec & { kind: 'public' },
  at: { subscriptionId: string; resourceGroup: string },
  observed: ReadonlyMap<string, PublicIpPrefix>,
): PrefixChoice {
  const id =
    egress.prefix.kind === 'managed'
      ? publicIpPrefixId(at, managedResourceName(uid))
      : canonicalId(egress.prefix.id);
  const found = observed.get(armIdKey(id));
  return {
    id,
    name: nameOf(id),
    managed: egress.prefix.kind === 'managed',
    ...(found === undefined ? {} : { observed: found }),
  };
}

/** Upstream's per-NIC public IP name: `<prefix name>-<fnv64a(NIC name) as %x>`. */
export function pipName(prefixName: string, nicName: string): string {
  return `${prefixName}-${fnv1a64Hex(nicName)}`;
}

function canonicalId(id: string): string {
  const parsed = parseArmId(id);
  return parsed.kind === 'ok' ? parsed.resource.id : id;
}

function nameOf(id: string): string {
  const parsed = parseArmId(id);
  return parsed.kind === 'ok' ? parsed.resource.name : id.slice(id.lastIndexOf('/') + 1);
}

/** The parts of a VMSS-allocated public IP id. */
interface VmssAllocatedIp {
  readonly vmssName: string;
  readonly instanceId: string;
  readonly ipConfigName: string;
}

/**
 * A VMSS-allocated public IP id looks like
 * `…/virtualMachineScaleSets/<vmss>/virtualMachines/<i>/networkInterfaces/<nic>/ipConfigurations/<ipc>/publicIPAddresses/<n>`.
 */
function vmssAllocatedIp(id: string): VmssAllocatedIp | undefined {
  const parsed = parseArmId(id);
  if (parsed.kind !== 'ok') return undefined;
  const { types, names } = parsed.resource;
  const typeKey = types.join('/').toLowerCase();
  if (
    typeKey !== 'virtualmachinescalesets/virtualmachines/networkinterfaces/ipconfigurations/publicipaddresses'
  )
    return undefined;
  return {
    vmssName: names[0] as string,
    instanceId: names[1] as string,
    ipConfigName: names[3] as string,
  };
}

/**
 * A VMSS-allocated public IP is released when its ipConfig is removed from instance i, or when
 * instance i is gone.
 */
function isReleasedVmssIp(
  id: string,
  vmssName: string,
  released: ReadonlySet<string>,
  members: ObservedPoolMembers,
): boolean {
  const ip = vmssAllocatedIp(id);
  if (ip === undefined || !eqName(ip.vmssName, vmssName)) return false;
  if (released.has(`${ip.instanceId}/${ip.ipConfigName}`.toLowerCase())) return true;
  return members.kind === 'vmss' && !members.instances.some((i) => eqName(i.vm.instanceId, ip.instanceId));
}

/** `egressgateway-x on VMSS gw instance 0 and 2 more, …`: one entry per ipConfig name, bounded. */
function describeHolders(holders: readonly PrefixHolder[]): string {
  const byName = new Map<string, string[]>();
  for (const h of holders) byName.set(h.ipConfig, [...(byName.get(h.ipConfig) ?? []), h.where]);
  return [...byName]
    .map(
      ([name, where]) =>
        `${name} on ${where[0] ?? ''}${where.length > 1 ? ` and ${where.length - 1} more` : ''}`,
    )
    .join(', ');
}

/** An ipConfig of another configuration that holds an address of a BYO prefix. */
interface PrefixHolder {
  /** Its name, `egressgateway-<uid of the other configuration>`. */
  readonly ipConfig: string;
  /** Where it is, for the message. */
  readonly where: string;
  /** On this pool's VMSS or NICs (members and strays): this plan decides whether it stays. */
  readonly onPool: boolean;
}

/**
 * The ipConfigs of OTHER configurations that hold an address of BYO `prefix` (sorted, deduplicated):
 * on this pool, every model/instance ipConfig allocating from it and every NIC ipConfig carrying a
 * public IP from it; elsewhere, what Azure reports — VMSS-allocated addresses the prefix lists for
 * other scale sets, and public IPs from it attached to other NICs. Addresses that no `egressgateway-*`
 * ipConfig holds (the prefix owner's own public IPs) are not egret's business and are not listed.
 */
function byoPrefixHolders(p: {
  readonly prefix: PrefixChoice;
  readonly uid: string;
  readonly vmss: VirtualMachineScaleSet | undefined;
  readonly members: ObservedPoolMembers;
  readonly managedNics: readonly NetworkInterface[];
  readonly publicIps: readonly PublicIpAddress[];
  readonly pipsByKey: ReadonlyMap<string, PublicIpAddress>;
  readonly pipLocation: { subscriptionId: string; resourceGroup: string };
}): PrefixHolder[] {
  const own = managedResourceName(p.uid);
  const isOther = (name: string | undefined): name is string => isManagedName(name) && !eqName(name, own);
  const found = new Map<string, PrefixHolder>();
  const add = (h: PrefixHolder): void => {
    found.set(`${h.where}|${h.ipConfig}`.toLowerCase(), h);
  };
  if (p.vmss !== undefined && p.members.kind === 'vmss') {
    const lists = [
      {
        where: `VMSS ${p.vmss.name} model`,
        configs: p.vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations,
      },
      ...p.members.instances.map((i) => ({
        where: `VMSS ${p.vmss?.name ?? ''} instance ${i.vm.instanceId}`,
        configs: i.vm.networkProfileConfiguration?.networkInterfaceConfigurations,
      })),
    ];
    for (const { where, configs } of lists) {
      for (const ipc of (configs ?? []).flatMap((n) => n.ipConfigurations ?? [])) {
        if (isOther(ipc.name) && sameArmId(ipc.publicIPAddressConfiguration?.publicIPPrefix?.id, p.prefix.id))
          add({ ipConfig: ipc.name, where, onPool: true });
      }
    }
  }
  for (const nic of p.managedNics) {
    for (const ipc of nic.ipConfigurations ?? []) {
      const ref = ipc.publicIPAddress?.id;
      if (!isOther(ipc.name) || ref === undefined) continue;
      const pip = p.pipsByKey.get(armIdKey(ref));
      const fromPrefix =
        pip === undefined
          ? sameArmId(ref, publicIpAddressId(p.pipLocation, pipName(p.prefix.name, nic.name)))
          : sameArmId(pip.publicIPPrefix?.id, p.prefix.id);
      if (fromPrefix) add({ ipConfig: ipc.name, where: `NIC ${nic.name}`, onPool: true });
    }
  }
  for (const ref of p.prefix.observed?.publicIPAddresses ?? []) {
    const ip = ref.id === undefined ? undefined : vmssAllocatedIp(ref.id);
    if (ip === undefined || !isOther(ip.ipConfigName)) continue;
    if (p.vmss !== undefined && eqName(ip.vmssName, p.vmss.name)) continue; // this pool: seen above
    add({ ipConfig: ip.ipConfigName, where: `VMSS ${ip.vmssName} instance ${ip.instanceId}`, onPool: false });
  }
  for (const pip of p.publicIps) {
    const at = pip.ipConfiguration?.id;
    if (at === undefined || !sameArmId(pip.publicIPPrefix?.id, p.prefix.id)) continue;
    const parsed = parseArmId(at);
    if (parsed.kind !== 'ok') continue;
    const { types, names } = parsed.resource;
    if (types.join('/').toLowerCase() !== 'networkinterfaces/ipconfigurations') continue;
    const [nicName, ipConfigName] = names;
    if (!isOther(ipConfigName)) continue;
    if (p.managedNics.some((n) => at.toLowerCase().startsWith(`${armIdKey(n.id)}/`))) continue; // seen above
    add({ ipConfig: ipConfigName, where: `NIC ${nicName ?? ''}`, onPool: false });
  }
  return [...found].sort(([a], [b]) => cmp(a, b)).map(([, h]) => h);
}

function hasArtefacts(
  c: PlannedConfiguration,
  input: PlanPoolInput,
  prefix: PrefixChoice | undefined,
  nics: readonly NetworkInterface[],
  claimedByOther: (pip: PublicIpAddress) => boolean,
): boolean {
  const ipConfigName = managedResourceName(c.uid);
  const hasIpConfig = (lists: readonly (readonly { name?: string }[])[]): boolean =>
    lists.some((l) => l.some((ipc) => eqName(ipc.name, ipConfigName)));
  const m = input.members;
  if (m.kind === 'vmss') {
    const model = m.vmss?.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [];
    if (hasIpConfig(model.map((n) => n.ipConfigurations ?? []))) return true;
    for (const i of m.instances) {
      const cfgs = i.vm.networkProfileConfiguration?.networkInterfaceConfigurations ?? [];
      if (hasIpConfig(cfgs.map((n) => n.ipConfigurations ?? []))) return true;
    }
  } else if (hasIpConfig(nics.map((n) => n.ipConfigurations ?? []))) return true;
  const lb = input.loadBalancer;
  if (lb?.loadBalancingRules?.some((r) => eqName(r.name, c.uid)) === true) return true;
  if (lb?.probes?.some((p) => eqName(p.name, c.uid)) === true) return true;
  const managed = publicIpPrefixId(
    { subscriptionId: input.settings.subscriptionId, resourceGroup: input.settings.publicIpResourceGroup },
    ipConfigName,
  );
  if (input.prefixes.some((p) => sameArmId(p.id, managed))) return true;
  if (prefix !== undefined) {
    const names = new Set(nics.map((n) => pipName(prefix.name, n.name).toLowerCase()));
    if (
      input.publicIps.some(
        (p) =>
          names.has(p.name.toLowerCase()) && sameArmId(p.publicIPPrefix?.id, prefix.id) && !claimedByOther(p),
      )
    )
      return true;
  }
  return false;
}

// ---- ipConfig editing ----------------------------------------------------------------------------

function intentsFor<C>(
  configs: readonly PlannedConfiguration[],
  intentKind: (uid: string) => 'apply' | 'hold' | 'remove' | undefined,
  body: (c: PlannedConfiguration) => C | undefined,
): Map<string, Intent<C>> {
  const intents = new Map<string, Intent<C>>();
  for (const c of configs) {
    const kind = intentKind(c.uid);
    const key = managedResourceName(c.uid).toLowerCase();
    if (kind === 'apply') {
      const b = body(c);
      intents.set(key, b === undefined ? { kind: 'hold' } : { kind: 'apply', body: b });
    } else if (kind !== undefined) intents.set(key, { kind });
  }
  return intents;
}

interface ListEdit<C> {
  readonly list: C[];
  readonly changed: boolean;
  /** Names of egret ipConfigs removed or replaced (their allocated addresses are released). */
  readonly released: string[];
  readonly reasons: string[];
}

function isManagedName(name: string | undefined): boolean {
  return name !== undefined && name.toLowerCase().startsWith(MANAGED_RESOURCE_PREFIX);
}

function editIpConfigs<C extends { readonly name?: string }>(
  observed: readonly C[],
  intents: ReadonlyMap<string, Intent<C>>,
  orphans: 'keep' | 'delete',
  same: (a: C, b: C) => boolean,
): ListEdit<C> {
  const list: C[] = [];
  const released: string[] = [];
  const reasons: string[] = [];
  const seen = new Set<string>();
  let changed = false;
  for (const ipc of observed) {
    if (!isManagedName(ipc.name)) {
      list.push(ipc);
      continue;
    }
    const name = ipc.name as string;
    const key = name.toLowerCase();
    seen.add(key);
    const intent = intents.get(key) ?? (orphans === 'delete' ? { kind: 'remove' } : { kind: 'hold' });
    switch (intent.kind) {
      case 'hold':
        list.push(ipc);
        break;
      case 'remove':
        changed = true;
        released.push(name);
        reasons.push(`remove ipConfig ${name}`);
        break;
      case 'apply':
        if (same(ipc, intent.body)) list.push(ipc);
        else {
          list.push(intent.body);
          changed = true;
          released.push(name);
          reasons.push(`update ipConfig ${name}`);
        }
        break;
    }
  }
  for (const [key, intent] of [...intents].sort(([a], [b]) => cmp(a, b))) {
    if (intent.kind !== 'apply' || seen.has(key)) continue;
    list.push(intent.body);
    changed = true;
    reasons.push(`add ipConfig ${intent.body.name ?? key}`);
  }
  return { list, changed, released, reasons };
}

interface MembershipCapable {
  readonly name?: string;
  readonly primary?: boolean;
  readonly loadBalancerBackendAddressPools?: readonly SubResourceRef[];
}

/** The primary ipConfig is in the pool's backend pool exactly while any `egressgateway-*` ipConfig is present. */
function editMembership<C extends MembershipCapable>(
  list: readonly C[],
  backendId: string,
): { list: C[]; changed: boolean; reasons: string[] } {
  const index = primaryIndex(list);
  if (index < 0) return { list: [...list], changed: false, reasons: [] };
  const need = list.some((ipc) => isManagedName(ipc.name));
  const primary = list[index] as C;
  const pools = primary.loadBalancerBackendAddressPools ?? [];
  const has = pools.some((p) => sameArmId(p.id, backendId));
  if (need === has) return { list: [...list], changed: false, reasons: [] };
  const next = need ? [...pools, { id: backendId }] : pools.filter((p) => !sameArmId(p.id, backendId));
  const out = [...list];
  out[index] = { ...primary, loadBalancerBackendAddressPools: next };
  return {
    list: out,
    changed: true,
    reasons: [need ? 'join the gateway backend pool' : 'leave the gateway backend pool'],
  };
}

function primaryIndex(list: readonly { readonly primary?: boolean }[]): number {
  const i = list.findIndex((x) => x.primary === true);
  return i >= 0 ? i : list.length === 1 ? 0 : -1;
}

function primaryNetworkConfig(
  configs: readonly VmssNetworkConfiguration[] | undefined,
): VmssNetworkConfiguration | undefined {
  if (configs === undefined) return undefined;
  const i = primaryIndex(configs);
  return i < 0 ? undefined : configs[i];
}

function primarySubnetOfVmss(configs: readonly VmssNetworkConfiguration[]): string | undefined {
  const ipcs = primaryNetworkConfig(configs)?.ipConfigurations ?? [];
  const i = primaryIndex(ipcs);
  return i < 0 ? undefined : ipcs[i]?.subnet?.id;
}

function primarySubnetOfNic(nic: NetworkInterface): string | undefined {
  const ipcs = nic.ipConfigurations ?? [];
  const i = primaryIndex(ipcs);
  return i < 0 ? undefined : ipcs[i]?.subnet?.id;
}

function editVmssNetworkConfigs(
  configs: readonly VmssNetworkConfiguration[],
  intents: ReadonlyMap<string, Intent<VmssIpConfiguration>>,
  backendId: string,
  orphans: 'keep' | 'delete',
  same: (a: VmssIpConfiguration, b: VmssIpConfiguration) => boolean,
): {
  configs: VmssNetworkConfiguration[];
  ipConfigLists: (readonly VmssIpConfiguration[])[];
  changed: boolean;
  released: string[];
  reasons: string[];
} {
  const index = primaryIndex(configs);
  const out = [...configs];
  if (index < 0)
    return {
      configs: out,
      ipConfigLists: configs.map((c) => c.ipConfigurations ?? []),
      changed: false,
      released: [],
      reasons: [],
    };
  const primary = configs[index] as VmssNetworkConfiguration;
  const edit = editIpConfigs(primary.ipConfigurations ?? [], intents, orphans, same);
  const membership = editMembership(edit.list, backendId);
  const changed = edit.changed || membership.changed;
  if (changed) out[index] = { ...primary, ipConfigurations: membership.list };
  return {
    configs: out,
    ipConfigLists: out.map((c) => c.ipConfigurations ?? []),
    changed,
    released: edit.released,
    reasons: [...edit.reasons, ...membership.reasons].sort(),
  };
}

function withVmssNetworkConfigs(
  vmss: VirtualMachineScaleSet,
  configs: readonly VmssNetworkConfiguration[],
): VirtualMachineScaleSet {
  const profile = vmss.virtualMachineProfile ?? {};
  return {
    ...vmss,
    virtualMachineProfile: {
      ...profile,
      networkProfile: { ...profile.networkProfile, networkInterfaceConfigurations: configs },
    },
  };
}

function collectPrefixRefs(lists: readonly (readonly VmssIpConfiguration[])[], into: Set<string>): void {
  for (const list of lists) {
    for (const ipc of list) {
      const id = ipc.publicIPAddressConfiguration?.publicIPPrefix?.id;
      if (id !== undefined) into.add(armIdKey(id));
    }
  }
}

/** Upstream's `different()`: primary, IP version, subnet, public IP configuration name and prefix. */
function sameVmssIpConfig(a: VmssIpConfiguration, b: VmssIpConfiguration): boolean {
  const pa = a.publicIPAddressConfiguration;
  const pb = b.publicIPAddressConfiguration;
  return (
    (a.primary ?? false) === (b.primary ?? false) &&
    (a.privateIPAddressVersion ?? 'IPv4') === (b.privateIPAddressVersion ?? 'IPv4') &&
    sameOptionalId(a.subnet?.id, b.subnet?.id) &&
    (pa === undefined) === (pb === undefined) &&
    (pa === undefined ||
      pb === undefined ||
      (pa.name === pb.name && sameOptionalId(pa.publicIPPrefix?.id, pb.publicIPPrefix?.id)))
  );
}

/** Upstream's `differentNIC()`: primary, IP version, subnet, public IP (by id). */
function sameNicIpConfig(a: NicIpConfiguration, b: NicIpConfiguration): boolean {
  return (
    (a.primary ?? false) === (b.primary ?? false) &&
    (a.privateIPAddressVersion ?? 'IPv4') === (b.privateIPAddressVersion ?? 'IPv4') &&
    sameOptionalId(a.subnet?.id, b.subnet?.id) &&
    sameOptionalId(a.publicIPAddress?.id, b.publicIPAddress?.id)
  );
}

function sameOptionalId(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameArmId(a, b);
}

function forceReason(
  provisioningState: string | undefined,
  nicView: NetworkInterface | undefined,
  wanted: readonly string[],
  finalLists: readonly (readonly { readonly name?: string }[])[],
): ForceReason | undefined {
  if (provisioningState?.toLowerCase() === 'failed') return 'provisioning-failed';
  if (nicView === undefined) return undefined;
  const ipcs = nicView.ipConfigurations ?? [];
  const primary = ipcs[primaryIndex(ipcs)];
  if (primary === undefined || !hasIp(primary)) return 'ip-missing';
  const present = new Set(finalLists.flatMap((l) => l.map((x) => (x.name ?? '').toLowerCase())));
  for (const name of wanted) {
    if (!present.has(name.toLowerCase())) continue; // held back (no subnet): nothing to allocate
    const ipc = ipcs.find((x) => eqName(x.name, name));
    if (ipc === undefined || !hasIp(ipc)) return 'ip-missing';
  }
  return undefined;
}

function hasIp(ipc: NicIpConfiguration): boolean {
  return ipc.privateIPAddress !== undefined && ipc.privateIPAddress !== '';
}

// ---- Load balancer ---------------------------------------------------------------------------------

interface LoadBalancerPlanInput {
  readonly observed: LoadBalancer | undefined;
  readonly lbId: string;
  readonly lbName: string;
  readonly location: string;
  readonly frontendSubnetId: string;
  readonly uniqueId: string;
  readonly frontendId: string;
  readonly backendId: string;
  readonly probeId: (uid: string) => string;
  readonly active: readonly { readonly uid: string; readonly port: number }[];
  readonly held: readonly string[];
  readonly leaving: readonly string[];
  readonly orphans: 'keep' | 'delete';
  readonly membersReferenceBackend: boolean;
}

function planLoadBalancer(p: LoadBalancerPlanInput): PlanStep | undefined {
  const observed = p.observed;
  if (observed === undefined && p.active.length === 0) return undefined;
  const reasons: string[] = [];
  const frontends: FrontendIpConfiguration[] = [...(observed?.frontendIPConfigurations ?? [])];
  const backends: BackendAddressPool[] = [...(observed?.backendAddressPools ?? [])];
  let rules: LoadBalancingRule[] = [...(observed?.loadBalancingRules ?? [])];
  let probes: Probe[] = [...(observed?.probes ?? [])];
  let changed = false;
  let createsPoolParts = observed === undefined;

  const isOurs = (r: LoadBalancingRule): boolean =>
    sameArmId(r.backendAddressPool?.id, p.backendId) ||
    sameArmId(r.frontendIPConfiguration?.id, p.frontendId);
  const activeByUid = new Map(p.active.map((a) => [a.uid.toLowerCase(), a]));
  const heldSet = new Set(p.held.map((u) => u.toLowerCase()));
  const leavingSet = new Set(p.leaving.map((u) => u.toLowerCase()));

  if (p.active.length > 0) {
    if (!frontends.some((f) => eqName(f.name, p.uniqueId))) {
      frontends.push({
        name: p.uniqueId,
        privateIPAddressVersion: 'IPv4',
        privateIPAllocationMethod: 'Dynamic',
        subnet: { id: p.frontendSubnetId },
      });
      changed = createsPoolParts = true;
      reasons.push(`add frontend ${p.uniqueId}`);
    }
    if (!backends.some((b) => eqName(b.name, p.uniqueId))) {
      backends.push({ name: p.uniqueId });
      changed = createsPoolParts = true;
      reasons.push(`add backend pool ${p.uniqueId}`);
    }
  }

  // Rules.
  const removedRuleProbes = new Set<string>();
  const keptRules: LoadBalancingRule[] = [];
  const presentRules = new Set<string>();
  for (const r of rules) {
    const key = (r.name ?? '').toLowerCase();
    const want = activeByUid.get(key);
    if (want !== undefined) {
      presentRules.add(key);
      const desired = desiredRule(p, want.uid, want.port);
      if (sameRule(r, desired)) keptRules.push(r);
      else {
        keptRules.push(desired);
        changed = true;
        reasons.push(`update rule ${want.uid}`);
      }
    } else if (heldSet.has(key) || !isOurs(r) || (!leavingSet.has(key) && p.orphans === 'keep')) {
      keptRules.push(r);
    } else {
      changed = true;
      reasons.push(`remove rule ${r.name ?? ''}`);
      if (r.probe?.id !== undefined) removedRuleProbes.add(armIdKey(r.probe.id));
    }
  }
  for (const a of [...p.active].sort((x, y) => cmp(x.uid, y.uid))) {
    if (presentRules.has(a.uid.toLowerCase())) continue;
    keptRules.push(desiredRule(p, a.uid, a.port));
    changed = true;
    reasons.push(`add rule ${a.uid} on port ${a.port}`);
  }
  rules = keptRules;

  // Probes.
  const referenced = new Set(rules.map((r) => (r.probe?.id === undefined ? '' : armIdKey(r.probe.id))));
  const keptProbes: Probe[] = [];
  const presentProbes = new Set<string>();
  for (const probe of probes) {
    const key = (probe.name ?? '').toLowerCase();
    const want = activeByUid.get(key);
    if (want !== undefined) {
      presentProbes.add(key);
      const desired = desiredProbe(want.uid);
      if (sameProbe(probe, desired)) keptProbes.push(probe);
      else {
        keptProbes.push(desired);
        changed = true;
        reasons.push(`update probe ${want.uid}`);
      }
      continue;
    }
    const id = armIdKey(probe.id ?? p.probeId(probe.name ?? ''));
    const removable =
      !heldSet.has(key) &&
      !referenced.has(id) &&
      (leavingSet.has(key) || (p.orphans === 'delete' && removedRuleProbes.has(id)));
    if (removable) {
      changed = true;
      reasons.push(`remove probe ${probe.name ?? ''}`);
    } else keptProbes.push(probe);
  }
  for (const a of [...p.active].sort((x, y) => cmp(x.uid, y.uid))) {
    if (presentProbes.has(a.uid.toLowerCase())) continue;
    keptProbes.push(desiredProbe(a.uid));
    changed = true;
    reasons.push(`add probe ${a.uid}`);
  }
  probes = keptProbes;

  // The pool's frontend and backend pool go together, once nothing uses either: no rule, and no member
  // left in the backend pool (e.g. an orphan ipConfig kept with `orphans: 'keep'`). Dropping the
  // frontend alone could delete the ILB under members Azure still counts in its backend pool.
  let finalFrontends = frontends;
  let finalBackends = backends;
  if (p.active.length === 0 && p.held.length === 0) {
    const ruleUses = (id: string, pick: (r: LoadBalancingRule) => string | undefined): boolean =>
      rules.some((r) => sameArmId(pick(r), id));
    const unused =
      !ruleUses(p.frontendId, (r) => r.frontendIPConfiguration?.id) &&
      !ruleUses(p.backendId, (r) => r.backendAddressPool?.id) &&
      !p.membersReferenceBackend;
    if (unused && frontends.some((f) => eqName(f.name, p.uniqueId))) {
      finalFrontends = frontends.filter((f) => !eqName(f.name, p.uniqueId));
      changed = true;
      reasons.push(`remove frontend ${p.uniqueId}`);
    }
    if (unused && backends.some((b) => eqName(b.name, p.uniqueId))) {
      finalBackends = backends.filter((b) => !eqName(b.name, p.uniqueId));
      changed = true;
      reasons.push(`remove backend pool ${p.uniqueId}`);
    }
  }
  if (!changed) return undefined;
  const phase: PlanPhase = createsPoolParts ? 'lb-before-members' : 'lb-after-members';
  if (observed !== undefined && finalFrontends.length === 0) {
    return {
      kind: 'delete-load-balancer',
      phase: 'lb-after-members',
      resourceId: observed.id,
      reasons: ['no frontend is left', ...reasons].sort(),
      ...ifMatch(observed.etag),
    };
  }
  const base = observed ?? { name: p.lbName, location: p.location, sku: { ...STANDARD_REGIONAL_SKU } };
  return {
    kind: 'put-load-balancer',
    phase,
    resourceId: observed?.id ?? p.lbId,
    reasons: (observed === undefined ? ['create the load balancer', ...reasons] : reasons).sort(),
    ...ifMatch(observed?.etag),
    body: {
      ...base,
      frontendIPConfigurations: finalFrontends,
      backendAddressPools: finalBackends,
      loadBalancingRules: rules,
      probes,
    },
  };
}

function desiredRule(p: LoadBalancerPlanInput, uid: string, port: number): LoadBalancingRule {
  return {
    name: uid,
    frontendIPConfiguration: { id: p.frontendId },
    backendAddressPool: { id: p.backendId },
    probe: { id: p.probeId(uid) },
    protocol: 'Udp',
    frontendPort: port,
    backendPort: port,
    enableFloatingIP: true,
  };
}

function sameRule(a: LoadBalancingRule, b: LoadBalancingRule): boolean {
  return (
    sameOptionalId(a.frontendIPConfiguration?.id, b.frontendIPConfiguration?.id) &&
    sameOptionalId(a.backendAddressPool?.id, b.backendAddressPool?.id) &&
    sameOptionalId(a.probe?.id, b.probe?.id) &&
    (a.protocol ?? '').toLowerCase() === (b.protocol ?? '').toLowerCase() &&
    a.enableFloatingIP === b.enableFloatingIP &&
    a.frontendPort === b.frontendPort &&
    a.backendPort === b.backendPort
  );
}

function desiredProbe(uid: string): Probe {
  return {
    name: uid,
    protocol: 'Http',
    port: LB_PROBE_PORT,
    requestPath: probePath(uid),
    intervalInSeconds: LB_PROBE_INTERVAL_SECONDS,
    probeThreshold: LB_PROBE_THRESHOLD,
  };
}

function sameProbe(a: Probe, b: Probe): boolean {
  return (
    (a.protocol ?? '').toLowerCase() === (b.protocol ?? '').toLowerCase() &&
    a.port === b.port &&
    a.requestPath === b.requestPath &&
    a.intervalInSeconds === b.intervalInSeconds &&
    a.probeThreshold === b.probeThreshold
  );
}

// ---- Helpers ---------------------------------------------------------------------------------------

function ifMatch(etag: string | undefined): { readonly ifMatch?: string } {
  return etag === undefined ? {} : { ifMatch: etag };
}

function sortSteps(steps: readonly PlanStep[]): PlanStep[] {
  return [...steps].sort(
    (a, b) =>
      PLAN_PHASES.indexOf(a.phase) - PLAN_PHASES.indexOf(b.phase) ||
      cmp(armIdKey(a.resourceId), armIdKey(b.resourceId)),
  );
}

function eqName(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
