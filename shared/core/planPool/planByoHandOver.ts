/**
 * BYO prefix hand-over: a present configuration whose BYO prefix still holds addresses of another
 * configuration's ipConfigs waits (`Reconciling` when this plan releases them all, else `Conflict`),
 * and a blocked or waiting holder that no longer asks for the prefix releases it now. See the module
 * comment of planPool.ts for why.
 */
import { armIdKey, parseArmId } from '../armId.js';
import type { NetworkInterface } from '../observed.js';
import type { PlannedConfiguration } from '../planPool.js';
import { MANAGED_RESOURCE_PREFIX, managedResourceName } from '../wellKnown.js';
import type { Blocked, PlanContext, PrefixChoice } from './planContext.js';
import { cmp, eqName, idKeySet, isChildOfAny, isManagedName, sameId, vmssAllocatedIp } from './names.js';
import type { PoolMembers } from './resolveMembers.js';

/** What the hand-over decides. */
export interface HandOver {
  /** Configurations that wait for a prefix (their outcome), by uid. */
  readonly waiting: ReadonlyMap<string, Blocked>;
  /** Blocked holders that release a prefix another one waits for: uid → text appended to their message. */
  readonly releasing: ReadonlyMap<string, string>;
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

/** Decides who waits for a BYO prefix and who releases one; `blocked` are the configurations blocked so far. */
export function planByoHandOver(
  ctx: PlanContext,
  members: PoolMembers,
  prefixOf: ReadonlyMap<string, PrefixChoice>,
  blocked: ReadonlyMap<string, Blocked>,
): HandOver {
  // 1. Who waits: a present, otherwise unblocked configuration whose BYO prefix holds addresses of
  //    other configurations' ipConfigs.
  let index: HolderIndex | undefined;
  const found = new Map<string, { readonly prefix: PrefixChoice; readonly holders: PrefixHolder[] }>();
  for (const c of ctx.configs) {
    const prefix = prefixOf.get(c.uid);
    if (c.state.kind !== 'present' || blocked.has(c.uid) || prefix === undefined || prefix.managed) continue;
    index ??= indexHolders(ctx, members);
    const holders = byoPrefixHolders(ctx, index, prefix, c.uid);
    if (holders.length > 0) found.set(c.uid, { prefix, holders });
  }
  if (found.size === 0) return { waiting: new Map(), releasing: new Map() };
  const holderConfig = (h: PrefixHolder): PlannedConfiguration | undefined =>
    ctx.byUid.get(h.ipConfig.slice(MANAGED_RESOURCE_PREFIX.length).toLowerCase());
  // 2. A blocked (or itself waiting) configuration that holds a BYO prefix it no longer asks for, and
  //    that another one waits for, lets it go now instead of keeping its ipConfigs: the prefix identifies
  //    the traffic of the configuration that asks for it. Without this a chain of hand-overs would stall
  //    behind a waiting holder, and two configurations swapping prefixes would wait for each other.
  const releasing = new Map<string, string>();
  for (const [uid, w] of found) {
    for (const h of w.holders) {
      const other = h.onPool ? holderConfig(h) : undefined;
      if (other?.state.kind !== 'present' || wantsByo(other, w.prefix.id)) continue;
      if (!blocked.has(other.uid) && !found.has(other.uid)) continue; // its ipConfigs are replaced anyway
      const c = ctx.byUid.get(uid.toLowerCase());
      releasing.set(
        other.uid,
        `; meanwhile its addresses from public IP prefix ${w.prefix.name} are released for ` +
          `${c === undefined ? uid : `${c.namespace}/${c.name}`}, which uses that prefix now`,
      );
    }
  }
  // 3. Why each waits: `Reconciling` when this plan releases every holder, else `Conflict`.
  const waiting = new Map<string, Blocked>();
  for (const [uid, { prefix, holders }] of found) {
    const releasedHere = (h: PrefixHolder): boolean => {
      if (!h.onPool) return false;
      const other = holderConfig(h);
      if (other === undefined) return ctx.input.settings.orphans === 'delete';
      return other.state.kind === 'deleting' || !wantsByo(other, prefix.id);
    };
    const list = describeHolders(holders);
    waiting.set(
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
  return { waiting, releasing };
}

function wantsByo(c: PlannedConfiguration, prefixId: string): boolean {
  return (
    c.state.egress?.kind === 'public' &&
    c.state.egress.prefix.kind === 'byo' &&
    sameId(c.state.egress.prefix.id, prefixId)
  );
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

/** A holder candidate and its position in the order the holders are first listed (for de-duplication). */
interface Candidate extends PrefixHolder {
  readonly seq: number;
}

/**
 * Every `egressgateway-*` ipConfig that may hold an address of some prefix, indexed once per plan by
 * the prefix it allocates from (VMSS ipConfigs, NIC ipConfigs whose public IP is observed), so that
 * finding the holders of one prefix does not scan the pool again.
 */
interface HolderIndex {
  readonly vmssByPrefix: ReadonlyMap<string, readonly Candidate[]>;
  readonly nicByPrefix: ReadonlyMap<string, readonly Candidate[]>;
  /** NIC ipConfigs whose public IP is not observed: they hold a prefix if the id is that prefix's per-NIC name. */
  readonly nicUnknown: readonly (Candidate & { readonly nic: NetworkInterface; readonly refKey: string })[];
  /** Observed public IPs attached to a NIC ipConfig, by the key of their prefix. */
  readonly pipsByPrefix: ReadonlyMap<string, readonly { readonly at: string; readonly seq: number }[]>;
  /** Keys of the NICs this plan manages. */
  readonly nicKeys: ReadonlySet<string>;
}

function indexHolders(ctx: PlanContext, members: PoolMembers): HolderIndex {
  let seq = 0;
  const vmssByPrefix = new Map<string, Candidate[]>();
  const push = <T>(m: Map<string, T[]>, key: string, value: T): void => {
    const list = m.get(key);
    if (list === undefined) m.set(key, [value]);
    else list.push(value);
  };
  const m = members.observed;
  const vmss = members.vmss;
  if (vmss !== undefined && m.kind === 'vmss') {
    const lists = [
      {
        where: `VMSS ${vmss.name} model`,
        configs: vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations,
      },
      ...m.instances.map((i) => ({
        where: `VMSS ${vmss.name} instance ${i.vm.instanceId}`,
        configs: i.vm.networkProfileConfiguration?.networkInterfaceConfigurations,
      })),
    ];
    for (const { where, configs } of lists)
      for (const n of configs ?? [])
        for (const ipc of n.ipConfigurations ?? []) {
          const prefixId = ipc.publicIPAddressConfiguration?.publicIPPrefix?.id;
          if (isManagedName(ipc.name) && prefixId !== undefined)
            push(vmssByPrefix, armIdKey(prefixId), { ipConfig: ipc.name, where, onPool: true, seq: seq++ });
        }
  }
  const nicByPrefix = new Map<string, Candidate[]>();
  const nicUnknown: (Candidate & { nic: NetworkInterface; refKey: string })[] = [];
  for (const nic of members.managedNics)
    for (const ipc of nic.ipConfigurations ?? []) {
      const ref = ipc.publicIPAddress?.id;
      if (!isManagedName(ipc.name) || ref === undefined) continue;
      const refKey = armIdKey(ref);
      const pip = ctx.pipsByKey.get(refKey);
      const candidate = { ipConfig: ipc.name, where: `NIC ${nic.name}`, onPool: true, seq: seq++ };
      if (pip === undefined) nicUnknown.push({ ...candidate, nic, refKey });
      else if (pip.publicIPPrefix?.id !== undefined)
        push(nicByPrefix, armIdKey(pip.publicIPPrefix.id), candidate);
    }
  const pipsByPrefix = new Map<string, { at: string; seq: number }[]>();
  for (const pip of ctx.input.publicIps) {
    const at = pip.ipConfiguration?.id;
    if (at !== undefined && pip.publicIPPrefix?.id !== undefined)
      push(pipsByPrefix, armIdKey(pip.publicIPPrefix.id), { at, seq: seq++ });
  }
  return { vmssByPrefix, nicByPrefix, nicUnknown, pipsByPrefix, nicKeys: idKeySet(members.managedNics) };
}

/**
 * The ipConfigs of OTHER configurations that hold an address of BYO `prefix` (sorted, deduplicated):
 * on this pool, every model/instance ipConfig allocating from it and every NIC ipConfig carrying a
 * public IP from it; elsewhere, what Azure reports — VMSS-allocated addresses the prefix lists for
 * other scale sets, and public IPs from it attached to other NICs. Addresses that no `egressgateway-*`
 * ipConfig holds (the prefix owner's own public IPs) are not egret's business and are not listed.
 */
function byoPrefixHolders(
  ctx: PlanContext,
  index: HolderIndex,
  prefix: PrefixChoice,
  uid: string,
): PrefixHolder[] {
  const own = managedResourceName(uid);
  const isOther = (name: string | undefined): name is string => isManagedName(name) && !eqName(name, own);
  const key = armIdKey(prefix.id);
  // On this pool, in the order they were indexed (the last of two equal entries wins, as listed).
  const onPool: Candidate[] = [
    ...(index.vmssByPrefix.get(key) ?? []),
    ...(index.nicByPrefix.get(key) ?? []),
    ...index.nicUnknown.filter((u) => u.refKey === ctx.nicPip(prefix.name, u.nic.name).key),
  ].sort((a, b) => a.seq - b.seq);
  const found = new Map<string, PrefixHolder>();
  const add = (h: PrefixHolder): void => {
    found.set(`${h.where}|${h.ipConfig}`.toLowerCase(), h);
  };
  for (const h of onPool)
    if (isOther(h.ipConfig)) add({ ipConfig: h.ipConfig, where: h.where, onPool: true });
  const vmssName = ctx.input.members.kind === 'vmss' ? ctx.input.members.vmss?.name : undefined;
  for (const ref of prefix.observed?.publicIPAddresses ?? []) {
    const ip = ref.id === undefined ? undefined : vmssAllocatedIp(ref.id);
    if (ip === undefined || !isOther(ip.ipConfigName)) continue;
    if (vmssName !== undefined && eqName(ip.vmssName, vmssName)) continue; // this pool: seen above
    add({ ipConfig: ip.ipConfigName, where: `VMSS ${ip.vmssName} instance ${ip.instanceId}`, onPool: false });
  }
  for (const { at } of index.pipsByPrefix.get(key) ?? []) {
    const parsed = parseArmId(at);
    if (parsed.kind !== 'ok') continue;
    const { types, names } = parsed.resource;
    if (types.join('/').toLowerCase() !== 'networkinterfaces/ipconfigurations') continue;
    const [nicName, ipConfigName] = names;
    if (!isOther(ipConfigName)) continue;
    if (isChildOfAny(at, index.nicKeys)) continue; // seen above
    add({ ipConfig: ipConfigName, where: `NIC ${nicName ?? ''}`, onPool: false });
  }
  return [...found].sort(([a], [b]) => cmp(a, b)).map(([, h]) => h);
}
