/**
 * What the chaos harness checks after a schedule, against ARM itself (read through the real SDK from
 * the stand-in), never against egret's tables:
 * - every live valid configuration is Ready for its generation with exactly the sub-resources it owns:
 *   ipConfig `egressgateway-<uid>` on every member of its pool (and in the VMSS model) and nowhere
 *   else, a public IP on each in public mode and none in private mode, its managed prefix only in
 *   public mode without BYO, its LB rule and probe;
 * - a live excluded configuration says why (Ready=False, its reason, for its generation);
 * - no egret-named sub-resource exists without a live owner;
 * - no configuration is lost (each live one is in relayStatus), each deleted one is finalized or gone;
 * - the status relayStatus returns matches Azure (egressIpPrefix, frontend IP and port).
 */
import type { RelayStatusItem } from '../../shared/core/relayContract.js';
import { LB, RG, VMSS, type ChaosWorld } from './chaosWorld.js';
import type { PoolName } from './chaosSchedule.js';

const IPC = 'egressgateway-';
const UID_LENGTH = 36;

export interface Violation {
  /** A stable class, e.g. `orphan`, `not-ready`, `missing-subresource`. */
  readonly kind: string;
  readonly uid?: string;
  readonly detail: string;
}

/** One secondary ipConfig of egret's on a member NIC. */
interface MemberConfig {
  readonly pool: PoolName;
  readonly member: string;
  readonly privateIp: string;
  readonly publicIp: boolean;
}

/** Egret's footprint in Azure, by owner uid. */
export interface AzureSnapshot {
  readonly members: Readonly<Record<PoolName, readonly string[]>>;
  readonly ipConfigs: ReadonlyMap<string, readonly MemberConfig[]>;
  readonly modelIpConfigs: ReadonlySet<string>;
  /** Managed prefixes `egressgateway-<uid>` → CIDR. */
  readonly prefixes: ReadonlyMap<string, string>;
  /** BYO prefix id (lower case) → CIDR. */
  readonly byoPrefixes: ReadonlyMap<string, string>;
  /** Public IPs named after a uid → count. */
  readonly publicIps: ReadonlyMap<string, number>;
  readonly rules: ReadonlyMap<string, { readonly port: number; readonly frontendIp: string }>;
  readonly probes: ReadonlySet<string>;
  /** Egret-looking names that carry no uid (e.g. a rule not named by a uid). */
  readonly strays: readonly string[];
}

/** Reads egret's footprint through the ARM SDK. */
export async function readAzure(world: ChaosWorld): Promise<AzureSnapshot> {
  const { compute, network } = world.sdk;
  const members: Record<PoolName, string[]> = { gw: [], vmgw: [], standalone: [] };
  const ipConfigs = new Map<string, MemberConfig[]>();
  const strays: string[] = [];
  const add = (pool: PoolName, member: string, nic: { ipConfigurations?: unknown[] }): void => {
    members[pool].push(member);
    for (const c of (nic.ipConfigurations ?? []) as {
      name?: string;
      privateIPAddress?: string;
      publicIPAddress?: { id?: string };
    }[]) {
      if (!c.name?.startsWith(IPC)) continue;
      const uid = c.name.slice(IPC.length);
      const list = ipConfigs.get(uid) ?? [];
      list.push({
        pool,
        member,
        privateIp: c.privateIPAddress ?? '',
        publicIp: c.publicIPAddress?.id !== undefined,
      });
      ipConfigs.set(uid, list);
    }
  };
  const vmPoolNics = new Set(
    (world.seeded.vmPools['vmgw']?.nicIds ?? []).map((id) => id.split('/').pop()!.toLowerCase()),
  );
  for await (const nic of network.networkInterfaces.list(RG)) {
    const name = nic.name ?? '';
    if (vmPoolNics.has(name.toLowerCase())) add('vmgw', name, nic);
    else if (name.startsWith('standalone-')) add('standalone', name, nic);
  }
  for await (const nic of network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(RG, VMSS)) {
    const instance = /\/virtualMachines\/([^/]+)\//i.exec(nic.id ?? '')?.[1] ?? nic.name ?? '';
    add('gw', `${VMSS}/${instance}`, nic);
  }
  const vmss = await compute.virtualMachineScaleSets.get(RG, VMSS);
  const modelIpConfigs = new Set<string>();
  for (const nc of vmss.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [])
    for (const c of nc.ipConfigurations ?? [])
      if (c.name.startsWith(IPC)) modelIpConfigs.add(c.name.slice(IPC.length));

  const prefixes = new Map<string, string>();
  const byoPrefixes = new Map<string, string>();
  for await (const p of network.publicIPPrefixes.list(RG)) {
    if (p.name?.startsWith(IPC)) prefixes.set(p.name.slice(IPC.length), p.ipPrefix ?? '');
    else byoPrefixes.set((p.id ?? '').toLowerCase(), p.ipPrefix ?? '');
  }
  const publicIps = new Map<string, number>();
  for await (const ip of network.publicIPAddresses.list(RG)) {
    if (!ip.name?.startsWith(IPC)) continue;
    const uid = ip.name.slice(IPC.length, IPC.length + UID_LENGTH);
    publicIps.set(uid, (publicIps.get(uid) ?? 0) + 1);
  }
  const rules = new Map<string, { port: number; frontendIp: string }>();
  const probes = new Set<string>();
  const lb = await network.loadBalancers.get(RG, LB).catch((e: { statusCode?: number }) => {
    if (e.statusCode === 404) return undefined;
    throw e;
  });
  for (const rule of lb?.loadBalancingRules ?? []) {
    const name = rule.name ?? '';
    if (name.length !== UID_LENGTH) strays.push(`LB rule ${name}`);
    const frontend = lb?.frontendIPConfigurations?.find(
      (f) => f.id?.toLowerCase() === rule.frontendIPConfiguration?.id?.toLowerCase(),
    );
    rules.set(name, { port: rule.frontendPort ?? 0, frontendIp: frontend?.privateIPAddress ?? '' });
  }
  for (const probe of lb?.probes ?? []) probes.add(probe.name ?? '');
  return { members, ipConfigs, modelIpConfigs, prefixes, byoPrefixes, publicIps, rules, probes, strays };
}

/** What the harness expects of one configuration. */
export type Expectation =
  | {
      readonly state: 'valid';
      readonly uid: string;
      readonly name: string;
      readonly generation: number;
      readonly pool: PoolName;
      readonly publicIps: boolean;
      /** BYO prefix id, when one. */
      readonly byo: string | undefined;
    }
  | {
      readonly state: 'excluded';
      readonly uid: string;
      readonly name: string;
      readonly generation: number;
      readonly reason: string;
    }
  /** Gone from the cluster, or being deleted: Azure must be clean, and `finalized` (or no item). */
  | { readonly state: 'deleted'; readonly uid: string; readonly name: string };

/** Every broken invariant, given what the cluster holds, what relayStatus says and what Azure has. */
export function checkInvariants(
  expected: readonly Expectation[],
  status: readonly RelayStatusItem[],
  azure: AzureSnapshot,
): Violation[] {
  const out: Violation[] = [];
  const byUid = new Map(status.map((i) => [i.uid, i]));
  const owners = new Set(expected.filter((e) => e.state !== 'deleted').map((e) => e.uid));
  for (const e of expected) {
    const item = byUid.get(e.uid);
    if (e.state === 'deleted') {
      if (item !== undefined && !item.finalized)
        out.push({ kind: 'not-finalized', uid: e.uid, detail: `${e.name}: ${readyText(item)}` });
      continue;
    }
    if (item === undefined) {
      out.push({ kind: 'lost', uid: e.uid, detail: `${e.name} is not in relayStatus` });
      continue;
    }
    const ready = item.status.conditions?.find((c) => c.type === 'Ready');
    if (e.state === 'excluded') {
      if (
        ready?.status !== 'False' ||
        ready.reason !== e.reason ||
        item.status.observedGeneration !== e.generation
      )
        out.push({
          kind: 'excluded-status',
          uid: e.uid,
          detail: `${e.name}: want False/${e.reason} gen ${e.generation}, got ${readyText(item)}`,
        });
      continue;
    }
    if (
      ready?.status !== 'True' ||
      ready.reason !== 'Reconciled' ||
      item.status.observedGeneration !== e.generation
    )
      out.push({
        kind: 'not-ready',
        uid: e.uid,
        detail: `${e.name} (${e.pool}): want True/Reconciled gen ${e.generation}, got ${readyText(item)}`,
      });
    out.push(...checkFootprint(e, item, azure));
  }
  // Orphans: egret-named resources whose uid owns nothing live.
  const named: [string, Iterable<string>][] = [
    ['ipConfig', azure.ipConfigs.keys()],
    ['VMSS model ipConfig', azure.modelIpConfigs],
    ['prefix', azure.prefixes.keys()],
    ['public IP', azure.publicIps.keys()],
    ['LB rule', azure.rules.keys()],
    ['LB probe', azure.probes],
  ];
  for (const [what, uids] of named)
    for (const uid of uids)
      if (!owners.has(uid)) {
        const owner = expected.find((e) => e.uid === uid);
        out.push({
          kind: 'orphan',
          uid,
          detail: `${what} of ${owner === undefined ? 'an unknown uid' : `${owner.name} (${owner.state})`}${
            what === 'ipConfig'
              ? ` on ${azure.ipConfigs
                  .get(uid)
                  ?.map((m) => m.member)
                  .join(', ')}`
              : ''
          }`,
        });
      }
  for (const s of azure.strays) out.push({ kind: 'orphan', detail: `${s} is not named by a uid` });
  return out;
}

function checkFootprint(
  e: Extract<Expectation, { state: 'valid' }>,
  item: RelayStatusItem,
  azure: AzureSnapshot,
): Violation[] {
  const out: Violation[] = [];
  const v = (kind: string, detail: string): void =>
    void out.push({ kind, uid: e.uid, detail: `${e.name}: ${detail}` });
  const configs = azure.ipConfigs.get(e.uid) ?? [];
  const on = new Set(configs.filter((c) => c.pool === e.pool).map((c) => c.member));
  const missing = azure.members[e.pool].filter((m) => !on.has(m));
  if (missing.length > 0) v('missing-subresource', `no ipConfig on ${missing.join(', ')}`);
  const elsewhere = configs.filter((c) => c.pool !== e.pool);
  if (elsewhere.length > 0)
    v(
      'extra-subresource',
      `ipConfig outside its pool ${e.pool}: on ${elsewhere.map((c) => c.member).join(', ')}`,
    );
  if (e.pool === 'gw' && !azure.modelIpConfigs.has(e.uid))
    v('missing-subresource', 'no ipConfig in the VMSS model');
  if (e.pool !== 'gw' && azure.modelIpConfigs.has(e.uid))
    v('extra-subresource', 'ipConfig in the VMSS model');
  const withPublic = configs.filter((c) => c.publicIp).length;
  if (e.publicIps && withPublic < configs.length)
    v('missing-subresource', `${configs.length - withPublic} ipConfig(s) without a public IP`);
  if (!e.publicIps && (withPublic > 0 || (azure.publicIps.get(e.uid) ?? 0) > 0))
    v('extra-subresource', 'a public IP in private mode');
  const managed = azure.prefixes.get(e.uid);
  const wantManaged = e.publicIps && e.byo === undefined;
  if (wantManaged && managed === undefined) v('missing-subresource', 'no managed prefix');
  if (!wantManaged && managed !== undefined) v('extra-subresource', `a managed prefix ${managed}`);
  const rule = azure.rules.get(e.uid);
  if (rule === undefined) v('missing-subresource', 'no LB rule');
  if (!azure.probes.has(e.uid)) v('missing-subresource', 'no LB probe');

  // Status against Azure: what a Ready status claims must be what Azure has.
  const s = item.status;
  if (s.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return out;
  const want = e.publicIps
    ? e.byo === undefined
      ? managed
      : azure.byoPrefixes.get(e.byo.toLowerCase())
    : configs
        .filter((c) => c.pool === e.pool)
        .map((c) => c.privateIp)
        .sort(compareIps)
        .join(',');
  if (want !== undefined && s.egressIpPrefix !== want)
    v('status-mismatch', `egressIpPrefix ${s.egressIpPrefix ?? '(none)'}, Azure has ${want}`);
  if (rule !== undefined) {
    if (s.gatewayServerProfile?.port !== rule.port)
      v('status-mismatch', `port ${s.gatewayServerProfile?.port ?? '(none)'}, the LB rule has ${rule.port}`);
    if (s.gatewayServerProfile?.ip !== rule.frontendIp)
      v(
        'status-mismatch',
        `ip ${s.gatewayServerProfile?.ip ?? '(none)'}, the LB frontend has ${rule.frontendIp}`,
      );
  }
  return out;
}

/** True when nothing of `uid` is in Azure. */
export function isCleanOf(azure: AzureSnapshot, uid: string): boolean {
  return (
    !azure.ipConfigs.has(uid) &&
    !azure.modelIpConfigs.has(uid) &&
    !azure.prefixes.has(uid) &&
    !azure.publicIps.has(uid) &&
    !azure.rules.has(uid) &&
    !azure.probes.has(uid)
  );
}

export function readyText(item: RelayStatusItem | undefined): string {
  if (item === undefined) return '(no item)';
  const c = item.status.conditions?.find((x) => x.type === 'Ready');
  const why = c === undefined || c.status === 'True' ? '' : ` "${c.message.slice(0, 120)}"`;
  return `${c === undefined ? '(no Ready)' : `${c.status}/${c.reason}${why}`} gen ${item.status.observedGeneration ?? '-'}${item.finalized ? ' finalized' : ''}`;
}

function compareIps(a: string, b: string): number {
  const n = (ip: string): number => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}
