/**
 * Per-NIC public IPs of NIC pools (VirtualMachines pools, standalone VMs): created from the prefix of
 * each active configuration for every member with a primary subnet; deleted once no ipConfig that
 * stays references them (never those of a prefix a blocked configuration keeps, nor another pool's).
 */
import { armIdKey } from '../armId.js';
import type { PlanStep } from '../plan.js';
import { MANAGED_RESOURCE_PREFIX, managedResourceName, STANDARD_REGIONAL_SKU } from '../wellKnown.js';
import type { Decisions } from './decide.js';
import type { PlanContext } from './planContext.js';
import { cmp, idKeySet, ifMatch, isChildOfAny, nameOf } from './names.js';
import { primarySubnetOfNic, type PoolMembers } from './resolveMembers.js';

/** A public IP an active configuration's ipConfig on a member references. */
export interface DesiredPip {
  readonly name: string;
  readonly prefixId: string;
  /** The configuration it was planned for last (names it in the reason). */
  readonly uid: string;
  /** Every configuration that wants it. */
  readonly uids: readonly string[];
}

/** The desired per-NIC public IPs by key (empty for a VMSS pool). */
export function desiredPublicIps(
  ctx: PlanContext,
  members: PoolMembers,
  decisions: Decisions,
): ReadonlyMap<string, DesiredPip> {
  const desired = new Map<string, DesiredPip>();
  if (!members.nicPool) return desired;
  const withSubnet = members.nics.filter((nic) => primarySubnetOfNic(nic) !== undefined);
  for (const c of decisions.active) {
    const prefix = decisions.prefixOf.get(c.uid);
    if (prefix === undefined) continue;
    for (const nic of withSubnet) {
      const pip = ctx.nicPip(prefix.name, nic.name);
      const before = desired.get(pip.key);
      desired.set(pip.key, {
        name: pip.name,
        prefixId: prefix.id,
        uid: c.uid,
        uids:
          before === undefined
            ? [c.uid]
            : before.uids.includes(c.uid)
              ? before.uids
              : [...before.uids, c.uid].sort(cmp),
      });
    }
  }
  return desired;
}

/** The PUTs of the desired public IPs that do not exist yet, by key. */
export function planPublicIpCreations(
  ctx: PlanContext,
  desired: ReadonlyMap<string, DesiredPip>,
): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const [key, pip] of [...desired].sort(([a], [b]) => cmp(a, b))) {
    if (ctx.pipsByKey.has(key)) continue;
    steps.push({
      kind: 'put-public-ip',
      phase: 'create-public-ips',
      resourceId: ctx.pipIdPrefix + pip.name,
      uids: pip.uids,
      reasons: [`create public IP for ${managedResourceName(pip.uid)}`],
      body: {
        name: pip.name,
        location: ctx.input.settings.location,
        sku: { ...STANDARD_REGIONAL_SKU },
        publicIPAddressVersion: 'IPv4',
        publicIPAllocationMethod: 'Static',
        publicIPPrefix: { id: pip.prefixId },
      },
    });
  }
  return steps;
}

/** The DELETEs of egret's per-NIC public IPs nothing references any more, and their keys. */
export function planPublicIpDeletions(
  ctx: PlanContext,
  members: PoolMembers,
  decisions: Decisions,
  p: {
    readonly desired: ReadonlyMap<string, DesiredPip>;
    /** Keys of the prefixes blocked configurations keep. */
    readonly heldPrefixes: ReadonlySet<string>;
    /** Keys of the public IPs member ipConfigs reference after the member edits. */
    readonly pipRefsAfter: () => ReadonlySet<string>;
  },
): { readonly steps: readonly PlanStep[]; readonly deleted: ReadonlySet<string> } {
  const steps: PlanStep[] = [];
  const deleted = new Set<string>();
  if (!members.nicPool || ctx.input.publicIps.length === 0) return { steps, deleted };
  // The first managed NIC per name hash: a per-NIC public IP is `<prefix name>-<hash of the NIC name>`.
  const nicByHash = new Map<string, true>();
  for (const nic of members.managedNics) nicByHash.set(ctx.nicHash(nic.name), true);
  const nicKeys = idKeySet(members.managedNics);
  const uidsByPrefix = new Map<string, string[]>();
  for (const [uid, prefix] of decisions.prefixOf) {
    const key = armIdKey(prefix.id);
    uidsByPrefix.set(key, [...(uidsByPrefix.get(key) ?? []), uid]);
  }
  const pips = ctx.input.publicIps
    .map((pip) => ({ pip, key: armIdKey(pip.id) }))
    .sort((a, b) => cmp(a.key, b.key));
  for (const { pip, key } of pips) {
    if (p.desired.has(key) || pip.publicIPPrefix?.id === undefined) continue;
    const prefixKey = armIdKey(pip.publicIPPrefix.id);
    if (p.heldPrefixes.has(prefixKey)) continue;
    const prefixName = nameOf(pip.publicIPPrefix.id).toLowerCase();
    const name = pip.name.toLowerCase();
    const owned = name.startsWith(`${prefixName}-`) && nicByHash.has(name.slice(prefixName.length + 1));
    if (!owned) continue; // not egret's, or another pool's
    if (p.pipRefsAfter().has(key)) continue; // still referenced by an ipConfig that stays
    const attached = pip.ipConfiguration?.id;
    if (attached !== undefined && !isChildOfAny(attached, nicKeys)) continue;
    deleted.add(key);
    steps.push({
      kind: 'delete-public-ip',
      phase: 'delete-public-ips',
      resourceId: pip.id,
      uids: pipUids(ctx, uidsByPrefix.get(prefixKey) ?? [], prefixName, attached),
      reasons: [`public IP ${pip.name} is no longer used`],
      ...ifMatch(pip.etag),
    });
  }
  return { steps, deleted };
}

/**
 * The configurations a public IP deletion is made for: those whose prefix it comes from, the one
 * whose managed prefix it is, and the one whose ipConfig it was attached to.
 */
function pipUids(
  ctx: PlanContext,
  ofPrefix: readonly string[],
  prefixName: string,
  attached: string | undefined,
): readonly string[] {
  const uids = new Set(ofPrefix);
  const owner = (name: string): void => {
    if (!name.startsWith(MANAGED_RESOURCE_PREFIX)) return;
    const c = ctx.byUid.get(name.slice(MANAGED_RESOURCE_PREFIX.length));
    if (c !== undefined) uids.add(c.uid);
  };
  owner(prefixName);
  if (attached !== undefined) owner(nameOf(attached).toLowerCase());
  return [...uids].sort(cmp);
}
