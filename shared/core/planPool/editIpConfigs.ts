/**
 * Editing one member's ipConfiguration list: egret's `egressgateway-*` entries added, updated,
 * removed or kept as the configurations' roles say, and the primary ipConfig's membership of the
 * pool's backend pool. One pass over the list; nothing is copied or built while nothing changes.
 */
import type {
  NetworkInterface,
  NicIpConfiguration,
  SubResourceRef,
  VmssIpConfiguration,
  VmssNetworkConfiguration,
} from '../observed.js';
import type { ForceReason } from '../plan.js';
import { intentOf, type IntentEntry, type IntentTable } from './decide.js';
import { isManagedName, sameId, sameOptionalId } from './names.js';
import { primaryIndex } from './resolveMembers.js';

/** What egret wants on one member: how to build and compare its ipConfig of a configuration. */
export interface MemberDesire<C> {
  /** The member's primary subnet; undefined: egret's ipConfigs are held, none is added or updated. */
  readonly subnetId: string | undefined;
  /** True when `observed` equals what `build(entry, subnetId)` would give (upstream's `different()`). */
  matches(observed: C, entry: IntentEntry, subnetId: string): boolean;
  build(entry: IntentEntry, subnetId: string): C;
}

/** A stray NIC: egret's ipConfigs of every configuration given are removed, nothing is added. */
export const STRAY = 'stray';

/** The result of editing one list. */
export interface ListEdit<C> {
  /** The list after the edit (the observed array itself when nothing changed). */
  readonly list: readonly C[];
  readonly changed: boolean;
  /** Names of egret ipConfigs removed or replaced (their allocated addresses are released). */
  readonly released: readonly string[];
  readonly reasons: readonly string[];
  /** The configurations whose ipConfig this edit adds, updates or removes. */
  readonly touched: ReadonlySet<IntentEntry>;
  /**
   * For a NIC's own list: the first observed ipConfig of an active configuration's name (as a
   * by-name lookup finds it) has no private IP.
   */
  readonly wantedIpMissing: boolean;
}

/** Edits egret's ipConfigs of one list. */
export function editIpConfigs<C extends { readonly name?: string }>(
  observed: readonly C[],
  table: IntentTable,
  orphans: 'keep' | 'delete',
  desire: MemberDesire<C> | typeof STRAY,
): ListEdit<C> {
  let out: C[] | undefined;
  const released: string[] = [];
  const reasons: string[] = [];
  const touched = new Set<IntentEntry>();
  const seen = new Uint8Array(table.ordered.length);
  let wantedIpMissing = false;
  const subnetId = desire === STRAY ? undefined : desire.subnetId;
  for (let i = 0; i < observed.length; i++) {
    const ipc = observed[i] as C;
    if (!isManagedName(ipc.name)) {
      out?.push(ipc);
      continue;
    }
    const name = ipc.name;
    const entry = intentOf(table, name);
    if (entry !== undefined && seen[entry.index] === 0) {
      seen[entry.index] = 1;
      if (entry.wanted && !hasIp(ipc as { readonly privateIPAddress?: unknown })) wantedIpMissing = true;
    }
    const kind =
      entry === undefined
        ? orphans === 'delete'
          ? 'remove'
          : 'hold'
        : desire === STRAY
          ? 'remove'
          : entry.role === 'apply' && subnetId === undefined
            ? 'hold'
            : entry.role;
    if (kind === 'hold') {
      out?.push(ipc);
      continue;
    }
    if (
      kind === 'apply' &&
      desire !== STRAY &&
      desire.matches(ipc, entry as IntentEntry, subnetId as string)
    ) {
      out?.push(ipc);
      continue;
    }
    out ??= observed.slice(0, i);
    released.push(name);
    if (entry !== undefined) touched.add(entry);
    if (kind === 'remove') reasons.push(`remove ipConfig ${name}`);
    else {
      out.push((desire as MemberDesire<C>).build(entry as IntentEntry, subnetId as string));
      reasons.push(`update ipConfig ${name}`);
    }
  }
  if (desire !== STRAY && subnetId !== undefined) {
    for (const entry of table.ordered) {
      if (entry.role !== 'apply' || seen[entry.index] === 1) continue;
      out ??= [...observed];
      out.push(desire.build(entry, subnetId));
      touched.add(entry);
      reasons.push(`add ipConfig ${entry.name}`);
    }
  }
  return { list: out ?? observed, changed: out !== undefined, released, reasons, touched, wantedIpMissing };
}

interface MembershipCapable {
  readonly name?: string;
  readonly primary?: boolean;
  readonly loadBalancerBackendAddressPools?: readonly SubResourceRef[];
}

/** The primary ipConfig is in the pool's backend pool exactly while any `egressgateway-*` ipConfig is present. */
export function editMembership<C extends MembershipCapable>(
  list: readonly C[],
  backendId: string,
): { readonly list: readonly C[]; readonly changed: boolean; readonly reasons: readonly string[] } {
  const index = primaryIndex(list);
  if (index < 0) return { list, changed: false, reasons: [] };
  const need = list.some((ipc) => isManagedName(ipc.name));
  const primary = list[index] as C;
  const pools = primary.loadBalancerBackendAddressPools ?? [];
  const has = pools.some((p) => sameId(p.id, backendId));
  if (need === has) return { list, changed: false, reasons: [] };
  const next = need ? [...pools, { id: backendId }] : pools.filter((p) => !sameId(p.id, backendId));
  const out = [...list];
  out[index] = { ...primary, loadBalancerBackendAddressPools: next };
  return {
    list: out,
    changed: true,
    reasons: [need ? 'join the gateway backend pool' : 'leave the gateway backend pool'],
  };
}

/** A VMSS model's or instance's network configurations, edited in their primary configuration. */
export interface VmssEdit {
  readonly configs: readonly VmssNetworkConfiguration[];
  /** Every network configuration's ipConfigs after the edit. */
  readonly ipConfigLists: readonly (readonly VmssIpConfiguration[])[];
  readonly changed: boolean;
  readonly membershipChanged: boolean;
  readonly released: readonly string[];
  readonly reasons: readonly string[];
  readonly touched: ReadonlySet<IntentEntry>;
}

export function editVmssNetworkConfigs(
  configs: readonly VmssNetworkConfiguration[],
  table: IntentTable,
  desire: MemberDesire<VmssIpConfiguration>,
  options: { readonly backendId: string; readonly orphans: 'keep' | 'delete' },
): VmssEdit {
  const index = primaryIndex(configs);
  const lists = configs.map((c) => c.ipConfigurations ?? []);
  const primary = configs[index];
  if (primary === undefined)
    return {
      configs,
      ipConfigLists: lists,
      changed: false,
      membershipChanged: false,
      released: [],
      reasons: [],
      touched: new Set(),
    };
  const edit = editIpConfigs(primary.ipConfigurations ?? [], table, options.orphans, desire);
  const membership = editMembership(edit.list, options.backendId);
  const changed = edit.changed || membership.changed;
  let out = configs;
  if (changed) {
    const next = [...configs];
    next[index] = { ...primary, ipConfigurations: membership.list };
    out = next;
    lists[index] = membership.list;
  }
  return {
    configs: out,
    ipConfigLists: lists,
    changed,
    membershipChanged: membership.changed,
    released: edit.released,
    reasons: [...edit.reasons, ...membership.reasons].sort(),
    touched: edit.touched,
  };
}

/** Upstream's `different()` for VMSS ipConfigs: primary, IP version, subnet, public IP configuration name and prefix. */
export function vmssDesire(subnetId: string | undefined): MemberDesire<VmssIpConfiguration> {
  return {
    subnetId,
    matches: (a, entry, subnet) => {
      const pa = a.publicIPAddressConfiguration;
      const prefix = entry.prefix;
      return (
        (a.primary ?? false) === false &&
        (a.privateIPAddressVersion ?? 'IPv4') === 'IPv4' &&
        sameOptionalId(a.subnet?.id, subnet) &&
        (pa === undefined) === (prefix === undefined) &&
        (pa === undefined ||
          prefix === undefined ||
          (pa.name === entry.name && sameOptionalId(pa.publicIPPrefix?.id, prefix.id)))
      );
    },
    build: (entry, subnet) => ({
      name: entry.name,
      primary: false,
      privateIPAddressVersion: 'IPv4',
      subnet: { id: subnet },
      ...(entry.prefix === undefined
        ? {}
        : { publicIPAddressConfiguration: { name: entry.name, publicIPPrefix: { id: entry.prefix.id } } }),
    }),
  };
}

/** Upstream's `differentNIC()`: primary, IP version, subnet, public IP (by id). */
export function nicDesire(
  subnetId: string | undefined,
  pipIdOf: (prefixName: string) => string,
): MemberDesire<NicIpConfiguration> {
  const pipOf = (entry: IntentEntry): string | undefined =>
    entry.prefix === undefined ? undefined : pipIdOf(entry.prefix.name);
  return {
    subnetId,
    matches: (a, entry, subnet) =>
      (a.primary ?? false) === false &&
      (a.privateIPAddressVersion ?? 'IPv4') === 'IPv4' &&
      sameOptionalId(a.subnet?.id, subnet) &&
      sameOptionalId(a.publicIPAddress?.id, pipOf(entry)),
    build: (entry, subnet) => {
      const pip = pipOf(entry);
      return {
        name: entry.name,
        primary: false,
        privateIPAddressVersion: 'IPv4',
        subnet: { id: subnet },
        ...(pip === undefined ? {} : { publicIPAddress: { id: pip } }),
      };
    },
  };
}

/**
 * Why an unchanged member is re-PUT: provisioningState Failed, or an ipConfig egret manages (of an
 * active configuration, present in `finalLists`) or the primary one has no private IP in Azure's
 * view (`nicView`; without it only the provisioning state is checked). `ownList`: the edit of the
 * NIC's own list, when `nicView` is that NIC (it has checked its ipConfigs already).
 */
export function forceReason(
  provisioningState: string | undefined,
  nicView: NetworkInterface | undefined,
  finalLists: readonly (readonly { readonly name?: string }[])[],
  table: IntentTable,
  ownList?: { readonly wantedIpMissing: boolean },
): ForceReason | undefined {
  if (provisioningState?.toLowerCase() === 'failed') return 'provisioning-failed';
  if (nicView === undefined) return undefined;
  const ipcs = nicView.ipConfigurations ?? [];
  const primary = ipcs[primaryIndex(ipcs)];
  if (primary === undefined || !hasIp(primary)) return 'ip-missing';
  if (ownList !== undefined && finalLists.length === 1 && finalLists[0] === ipcs)
    return ownList.wantedIpMissing ? 'ip-missing' : undefined;
  const first = firstByEntry(ipcs, table);
  for (const list of finalLists)
    for (const ipc of list) {
      if (!isManagedName(ipc.name)) continue;
      const entry = intentOf(table, ipc.name);
      if (entry?.wanted !== true) continue; // held back (no subnet) or not active: nothing to allocate
      const seen = first[entry.index];
      if (seen === undefined || !hasIp(seen)) return 'ip-missing';
    }
  return undefined;
}

/** The first ipConfig of each configuration in a list. */
function firstByEntry(
  ipcs: readonly NicIpConfiguration[],
  table: IntentTable,
): (NicIpConfiguration | undefined)[] {
  const first = new Array<NicIpConfiguration | undefined>(table.ordered.length);
  for (const ipc of ipcs) {
    if (!isManagedName(ipc.name)) continue;
    const entry = intentOf(table, ipc.name);
    if (entry !== undefined && first[entry.index] === undefined) first[entry.index] = ipc;
  }
  return first;
}

function hasIp(ipc: { readonly privateIPAddress?: unknown }): boolean {
  return ipc.privateIPAddress !== undefined && ipc.privateIPAddress !== '';
}
