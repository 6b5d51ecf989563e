/**
 * Member edits: one PUT per VMSS model, instance or NIC whose egret ipConfigs or backend membership
 * must change (or that must be re-PUT unchanged, see `forceReason`), and what the members reference
 * afterwards (prefixes, public IPs, the backend pool) for the later deletions.
 */
import { armIdKey } from '../armId.js';
import type { NicIpConfiguration, SubResourceRef, VmssIpConfiguration } from '../observed.js';
import type { PlanStep } from '../plan.js';
import type { IntentEntry, Decisions } from './decide.js';
import { intentOf } from './decide.js';
import {
  editIpConfigs,
  editMembership,
  editVmssNetworkConfigs,
  forceReason,
  nicDesire,
  STRAY,
  vmssDesire,
} from './editIpConfigs.js';
import type { PlanContext } from './planContext.js';
import { cmp, ifMatch, isManagedName, sameId } from './names.js';
import { primarySubnetOfNic, primarySubnetOfVmss, type PoolMembers } from './resolveMembers.js';

/** The member steps, and what the members reference once they are applied. */
export interface MemberEdits {
  readonly steps: readonly PlanStep[];
  /** Keys of the prefixes VMSS ipConfigs allocate from afterwards (computed when first asked). */
  readonly prefixRefsAfter: () => ReadonlySet<string>;
  /** Keys of the public IPs NIC ipConfigs reference afterwards (computed when first asked). */
  readonly pipRefsAfter: () => ReadonlySet<string>;
  /** `<instanceId>/<ipconfig name>`, lower case: VMSS-allocated addresses this plan releases. */
  readonly releasedInstanceIpConfigs: ReadonlySet<string>;
  /** Some member's ipConfig is still in the pool's backend pool afterwards. */
  readonly membersReferenceBackend: boolean;
}

/** Plans the VMSS model and instances, or the NIC members and strays. */
export function planMemberEdits(ctx: PlanContext, members: PoolMembers, decisions: Decisions): MemberEdits {
  const acc = new Accumulator(ctx.backendId);
  if (members.problem === undefined) {
    if (members.vmss !== undefined) planVmss(ctx, members, decisions, acc);
    if (members.nicPool) planNics(ctx, members, decisions, acc);
  }
  planStrays(ctx, members, decisions, acc);
  let prefixRefs: Set<string> | undefined;
  let pipRefs: Set<string> | undefined;
  return {
    steps: acc.steps,
    prefixRefsAfter: () => (prefixRefs ??= acc.prefixRefs()),
    pipRefsAfter: () => (pipRefs ??= acc.pipRefs()),
    releasedInstanceIpConfigs: acc.released,
    membersReferenceBackend: acc.referencesBackend,
  };
}

/** What the member sub-planners collect (local to one plan). */
class Accumulator {
  readonly steps: PlanStep[] = [];
  readonly released = new Set<string>();
  referencesBackend = false;
  private readonly vmssLists: (readonly VmssIpConfiguration[])[] = [];
  private readonly nicLists: (readonly NicIpConfiguration[])[] = [];

  constructor(private readonly backendId: string) {}

  /** Records a VMSS model's or instance's final ipConfigs. */
  finalVmss(list: readonly VmssIpConfiguration[]): void {
    this.vmssLists.push(list);
    this.membership(list);
  }

  /** Records a NIC's final ipConfigs. */
  finalNic(list: readonly NicIpConfiguration[]): void {
    this.nicLists.push(list);
    this.membership(list);
  }

  prefixRefs(): Set<string> {
    const refs = new Set<string>();
    for (const list of this.vmssLists)
      for (const ipc of list) {
        const prefix = ipc.publicIPAddressConfiguration?.publicIPPrefix?.id;
        if (prefix !== undefined) refs.add(armIdKey(prefix));
      }
    return refs;
  }

  pipRefs(): Set<string> {
    const refs = new Set<string>();
    for (const list of this.nicLists)
      for (const ipc of list) {
        const pip = ipc.publicIPAddress?.id;
        if (pip !== undefined) refs.add(armIdKey(pip));
      }
    return refs;
  }

  private membership(
    list: readonly { readonly loadBalancerBackendAddressPools?: readonly SubResourceRef[] }[],
  ): void {
    if (this.referencesBackend) return;
    this.referencesBackend = list.some((ipc) =>
      (ipc.loadBalancerBackendAddressPools ?? []).some((p) => sameId(p.id, this.backendId)),
    );
  }
}

function planVmss(ctx: PlanContext, members: PoolMembers, decisions: Decisions, acc: Accumulator): void {
  const vmss = members.vmss;
  if (vmss === undefined) return;
  const options = { backendId: ctx.backendId, orphans: ctx.input.settings.orphans };
  const table = decisions.intents;
  const model = vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [];
  const modelEdit = editVmssNetworkConfigs(model, table, vmssDesire(primarySubnetOfVmss(model)), options);
  for (const list of modelEdit.ipConfigLists) acc.finalVmss(list);
  if (modelEdit.changed) {
    const profile = vmss.virtualMachineProfile ?? {};
    acc.steps.push({
      kind: 'put-vmss',
      phase: 'vmss-model',
      resourceId: vmss.id,
      uids: stepUids(modelEdit.touched, modelEdit.membershipChanged ? modelEdit.ipConfigLists : [], table),
      reasons: modelEdit.reasons,
      ...ifMatch(vmss.etag),
      body: {
        ...vmss,
        virtualMachineProfile: {
          ...profile,
          networkProfile: { ...profile.networkProfile, networkInterfaceConfigurations: modelEdit.configs },
        },
      },
    });
  }
  for (const { vm, primaryNic } of members.instances) {
    const configsOfVm = vm.networkProfileConfiguration?.networkInterfaceConfigurations;
    if (configsOfVm === undefined) continue; // not a Uniform instance model egret can edit
    const edit = editVmssNetworkConfigs(
      configsOfVm,
      table,
      vmssDesire(primarySubnetOfVmss(configsOfVm)),
      options,
    );
    for (const list of edit.ipConfigLists) acc.finalVmss(list);
    for (const name of edit.released) acc.released.add(`${vm.instanceId}/${name}`.toLowerCase());
    const force = edit.changed
      ? undefined
      : forceReason(vm.provisioningState, primaryNic, edit.ipConfigLists, table);
    if (!edit.changed && force === undefined) continue;
    acc.steps.push({
      kind: 'put-vmss-instance',
      phase: 'members',
      resourceId: vm.id,
      vmssName: vmss.name,
      instanceId: vm.instanceId,
      uids: stepUids(
        edit.touched,
        force !== undefined || edit.membershipChanged ? edit.ipConfigLists : [],
        table,
      ),
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

function planNics(ctx: PlanContext, members: PoolMembers, decisions: Decisions, acc: Accumulator): void {
  const table = decisions.intents;
  for (const nic of members.nics) {
    const hash = ctx.nicHash(nic.name);
    const desire = nicDesire(
      primarySubnetOfNic(nic),
      (prefixName) => ctx.pipIdPrefix + `${prefixName}-${hash}`,
    );
    const edit = editIpConfigs(nic.ipConfigurations ?? [], table, ctx.input.settings.orphans, desire);
    const membership = editMembership(edit.list, ctx.backendId);
    acc.finalNic(membership.list);
    const changed = edit.changed || membership.changed;
    const force = changed
      ? undefined
      : forceReason(nic.provisioningState, nic, [membership.list], table, edit);
    if (!changed && force === undefined) continue;
    acc.steps.push({
      kind: 'put-network-interface',
      phase: 'members',
      resourceId: nic.id,
      uids: stepUids(edit.touched, force !== undefined || membership.changed ? [membership.list] : [], table),
      reasons: force === undefined ? [...edit.reasons, ...membership.reasons].sort() : [`force: ${force}`],
      ...ifMatch(nic.etag),
      ...(force === undefined ? {} : { force }),
      body: { ...nic, ipConfigurations: membership.list },
    });
  }
}

/** Strays: remove every configuration's ipConfig (orphans as the policy says) and the membership; never add. */
function planStrays(ctx: PlanContext, members: PoolMembers, decisions: Decisions, acc: Accumulator): void {
  for (const nic of members.strays) {
    const edit = editIpConfigs(
      nic.ipConfigurations ?? [],
      decisions.intents,
      ctx.input.settings.orphans,
      STRAY,
    );
    const membership = editMembership(edit.list, ctx.backendId);
    acc.finalNic(membership.list);
    if (!edit.changed && !membership.changed) continue;
    acc.steps.push({
      kind: 'put-network-interface',
      phase: 'members',
      resourceId: nic.id,
      uids: stepUids(edit.touched, [], decisions.intents),
      reasons: ['not a member of the gateway pool', ...edit.reasons, ...membership.reasons].sort(),
      ...ifMatch(nic.etag),
      body: { ...nic, ipConfigurations: membership.list },
    });
  }
}

/**
 * The configurations a member write is made for: those whose ipConfig it adds, updates or removes,
 * and, when it re-PUTs the member or changes its backend membership, every configuration with an
 * ipConfig in `served` (the member's lists afterwards).
 */
function stepUids(
  touched: ReadonlySet<IntentEntry>,
  served: readonly (readonly { readonly name?: string }[])[],
  table: Decisions['intents'],
): readonly string[] {
  const uids = new Set([...touched].map((e) => e.config.uid));
  for (const list of served)
    for (const ipc of list) {
      if (!isManagedName(ipc.name)) continue;
      const entry = intentOf(table, ipc.name);
      if (entry !== undefined) uids.add(entry.config.uid);
    }
  return [...uids].sort(cmp);
}
