/**
 * What a successful reconcile remembers about its pool (stored as the pool row's `members` JSON):
 * the pool's identity — so a pool whose configurations are all being deleted, or whose VMSS is gone,
 * can still be cleaned up on the ILB — the ids armEvents maps events by, and the member list admin
 * shows.
 */
import type { KnownPool } from '../core/normalizeArmEvent.js';
import type { ObservedPoolMembers } from '../core/observed.js';
import type { PoolRef, ResolvedPool } from '../core/pool.js';
import type { PoolState } from '../ports/stateStore.js';
import type { ObservedPoolWorld } from '../ports/armInventory.js';

/** One gateway node as admin shows it. */
export interface PoolMemberSummary {
  /** Node name (VMSS computerName, VM-pool NIC name, standalone VM computerName). */
  readonly name: string;
  /** The ARM id of the instance, NIC or VM. */
  readonly id: string;
  readonly primaryIP?: string;
  readonly provisioningState?: string;
}

/** The stored summary. */
export interface PoolSummary {
  readonly ref: PoolRef;
  readonly uniqueId: string;
  readonly prefixLength?: number;
  /** Ids of the pool's VMs, instances and NICs (for event mapping). */
  readonly memberIds: readonly string[];
  /** Ids of the prefixes its configurations use. */
  readonly prefixIds: readonly string[];
  readonly members: readonly PoolMemberSummary[];
  /** Configurations reconciled on the pool (deleted ones included until finalized). */
  readonly configurations: number;
}

/** Summarises a pool after a reconcile. */
export function summarizePool(input: {
  readonly pool: ResolvedPool;
  readonly world: ObservedPoolWorld;
  readonly configurations: number;
}): PoolSummary {
  const { pool, world } = input;
  const members = membersOf(world.members);
  const memberIds = new Set<string>();
  for (const m of members) memberIds.add(m.id);
  for (const id of nicIdsOf(world.members)) memberIds.add(id);
  return {
    ref: pool.ref,
    uniqueId: pool.uniqueId,
    ...(pool.prefixLength === undefined ? {} : { prefixLength: pool.prefixLength }),
    memberIds: [...memberIds].sort(),
    prefixIds: world.prefixes.map((p) => p.id).sort(),
    members,
    configurations: input.configurations,
  };
}

/** Reads a stored summary, or undefined when the row has none (or an unreadable one). */
export function readPoolSummary(pool: PoolState | undefined): PoolSummary | undefined {
  const m = pool?.members;
  if (typeof m !== 'object' || m === null) return undefined;
  const s = m as Partial<PoolSummary>;
  if (typeof s.uniqueId !== 'string' || typeof s.ref !== 'object' || s.ref === null) return undefined;
  return {
    ref: s.ref,
    uniqueId: s.uniqueId,
    ...(typeof s.prefixLength === 'number' ? { prefixLength: s.prefixLength } : {}),
    memberIds: Array.isArray(s.memberIds) ? s.memberIds : [],
    prefixIds: Array.isArray(s.prefixIds) ? s.prefixIds : [],
    members: Array.isArray(s.members) ? s.members : [],
    configurations: typeof s.configurations === 'number' ? s.configurations : 0,
  };
}

/** The resolved pool a summary describes. */
export function resolvedPoolOf(key: string, summary: PoolSummary): ResolvedPool {
  return {
    ref: summary.ref,
    key,
    uniqueId: summary.uniqueId,
    ...(summary.prefixLength === undefined ? {} : { prefixLength: summary.prefixLength }),
  };
}

/**
 * The pools armEvents can map events to: every pool row with its remembered identity, or, before its
 * first successful reconcile, the identity its key spells (`vmss:<rg>:<name>`, `aks-vm-pool:<rg>:<pool>`,
 * `standalone-vms:<rg>:<a,b>`; a hashed standalone key cannot be read back and waits for the reconcile).
 */
export function knownPoolsOf(pools: readonly PoolState[]): readonly KnownPool[] {
  const known: KnownPool[] = [];
  for (const p of pools) {
    const summary = readPoolSummary(p);
    const ref = summary?.ref ?? refFromKey(p.poolKey);
    if (ref === undefined) continue;
    known.push({
      key: p.poolKey,
      ref,
      ...(summary === undefined ? {} : { memberIds: summary.memberIds, prefixIds: summary.prefixIds }),
    });
  }
  return known;
}

/** The ref a pool key spells, when it can be read back. */
export function refFromKey(key: string): PoolRef | undefined {
  const [kind, rg, rest] = splitKey(key);
  if (rg === undefined || rest === undefined || rg === '' || rest === '') return undefined;
  switch (kind) {
    case 'vmss':
      return { kind: 'vmss', resourceGroup: rg, vmssName: rest };
    case 'aks-vm-pool':
      return { kind: 'aks-vm-pool', resourceGroup: rg, poolName: rest };
    case 'standalone-vms':
      return rest.startsWith('md5-')
        ? undefined
        : { kind: 'standalone-vms', resourceGroup: rg, vmNames: rest.split(',') };
    default:
      return undefined;
  }
}

function splitKey(key: string): [string, string | undefined, string | undefined] {
  const first = key.indexOf(':');
  const second = first < 0 ? -1 : key.indexOf(':', first + 1);
  if (first < 0 || second < 0) return [key, undefined, undefined];
  return [key.slice(0, first), key.slice(first + 1, second), key.slice(second + 1)];
}

function membersOf(members: ObservedPoolMembers): PoolMemberSummary[] {
  const primaryIp = (
    nic: { ipConfigurations?: readonly { primary?: boolean; privateIPAddress?: string }[] } | undefined,
  ) =>
    nic?.ipConfigurations?.find((c) => c.primary === true)?.privateIPAddress ??
    (nic?.ipConfigurations?.length === 1 ? nic.ipConfigurations[0]?.privateIPAddress : undefined);
  const entry = (
    name: string,
    id: string,
    ip: string | undefined,
    state: string | undefined,
  ): PoolMemberSummary => ({
    name,
    id,
    ...(ip === undefined ? {} : { primaryIP: ip }),
    ...(state === undefined ? {} : { provisioningState: state }),
  });
  switch (members.kind) {
    case 'vmss':
      return members.instances.map((i) =>
        entry(
          i.vm.osProfile?.computerName ?? i.vm.name ?? i.vm.instanceId,
          i.vm.id,
          primaryIp(i.primaryNic),
          i.vm.provisioningState,
        ),
      );
    case 'aks-vm-pool':
      return members.nics.map((n) => entry(n.name, n.id, primaryIp(n), n.provisioningState));
    case 'standalone-vms':
      return members.vms.flatMap((v) =>
        v.vm === undefined
          ? []
          : [
              entry(
                v.vm.osProfile?.computerName ?? v.vm.name,
                v.vm.id,
                primaryIp(v.primaryNic),
                v.primaryNic?.provisioningState,
              ),
            ],
      );
  }
}

function nicIdsOf(members: ObservedPoolMembers): string[] {
  switch (members.kind) {
    case 'vmss':
      return [];
    case 'aks-vm-pool':
      return members.nics.map((n) => n.id);
    case 'standalone-vms':
      return members.vms.flatMap((v) => (v.primaryNic === undefined ? [] : [v.primaryNic.id]));
  }
}
