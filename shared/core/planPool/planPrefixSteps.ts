/**
 * Managed prefixes: created for active configurations that have none yet; deleted for configurations
 * that no longer use their managed prefix (deleted, private mode, BYO) once every address allocated
 * from it is released by this plan and no ipConfig allocates from it afterwards.
 */
import { armIdKey } from '../armId.js';
import type { ObservedPoolMembers } from '../observed.js';
import type { PlanStep } from '../plan.js';
import { STANDARD_REGIONAL_SKU, managedResourceName } from '../wellKnown.js';
import type { Decisions } from './decide.js';
import type { PlanContext } from './planContext.js';
import { builtIdKey, eqName, ifMatch, vmssAllocatedIp } from './names.js';

/** The PUTs of missing managed prefixes of active configurations. */
export function planPrefixCreations(ctx: PlanContext, decisions: Decisions): PlanStep[] {
  const steps: PlanStep[] = [];
  const created = new Set<string>();
  for (const c of decisions.active) {
    const prefix = decisions.prefixOf.get(c.uid);
    if (prefix === undefined || !prefix.managed || prefix.observed !== undefined) continue;
    const key = armIdKey(prefix.id);
    if (created.has(key)) continue;
    created.add(key);
    steps.push({
      kind: 'put-public-ip-prefix',
      phase: 'create-prefixes',
      resourceId: prefix.id,
      uids: [c.uid],
      reasons: [`create managed prefix for ${c.namespace}/${c.name}`],
      body: {
        name: prefix.name,
        location: ctx.input.settings.location,
        sku: { ...STANDARD_REGIONAL_SKU },
        prefixLength: ctx.input.pool.prefixLength as number,
        publicIPAddressVersion: 'IPv4',
      },
    });
  }
  return steps;
}

/** The DELETEs of managed prefixes no longer used whose addresses are all released. */
export function planPrefixDeletions(
  ctx: PlanContext,
  p: {
    /** Keys of the prefixes VMSS ipConfigs allocate from after the member edits. */
    readonly prefixRefsAfter: () => ReadonlySet<string>;
    /** Keys of the per-NIC public IPs this plan deletes. */
    readonly deletedPips: ReadonlySet<string>;
    /** `<instanceId>/<ipconfig name>`, lower case: VMSS-allocated addresses this plan releases. */
    readonly releasedInstanceIpConfigs: ReadonlySet<string>;
  },
): PlanStep[] {
  const steps: PlanStep[] = [];
  const members = ctx.input.members;
  const vmssName = members.kind === 'vmss' ? members.vmss?.name : undefined;
  let instanceIds: ReadonlySet<string> | undefined;
  const isReleasedVmssIp = (id: string): boolean => {
    const ip = vmssAllocatedIp(id);
    if (ip === undefined || !eqName(ip.vmssName, vmssName)) return false;
    if (p.releasedInstanceIpConfigs.has(`${ip.instanceId}/${ip.ipConfigName}`.toLowerCase())) return true;
    instanceIds ??= instanceIdsOf(members);
    return members.kind === 'vmss' && !instanceIds.has(ip.instanceId.toLowerCase());
  };
  for (const c of ctx.configs) {
    const managedActive =
      c.state.kind === 'present' &&
      c.state.egress.kind === 'public' &&
      c.state.egress.prefix.kind === 'managed';
    if (managedActive) continue;
    const id = ctx.prefixIdPrefix + managedResourceName(c.uid);
    const key = builtIdKey(id);
    const observed = ctx.prefixesByKey.get(key);
    if (observed === undefined || p.prefixRefsAfter().has(key)) continue;
    const released = (observed.publicIPAddresses ?? []).every(
      (ref) =>
        ref.id === undefined ||
        p.deletedPips.has(armIdKey(ref.id)) ||
        (vmssName !== undefined && isReleasedVmssIp(ref.id)),
    );
    if (!released) continue;
    steps.push({
      kind: 'delete-public-ip-prefix',
      phase: 'delete-prefixes',
      resourceId: observed.id,
      uids: [c.uid],
      reasons: [`managed prefix of ${c.namespace}/${c.name} is no longer used`],
      ...ifMatch(observed.etag),
    });
  }
  return steps;
}

function instanceIdsOf(members: ObservedPoolMembers): ReadonlySet<string> {
  return new Set(members.kind === 'vmss' ? members.instances.map((i) => i.vm.instanceId.toLowerCase()) : []);
}
