/**
 * Outcomes: per configuration, `active` with its port, `blocked` with why, or for one being deleted
 * `removing` while anything of it is observed in Azure (ipConfig, rule, probe, managed prefix, a
 * per-NIC public IP of its prefix) and `removed` once nothing is.
 */
import { armIdKey } from '../armId.js';
import type { PublicIpAddress } from '../observed.js';
import type { ConfigurationOutcome } from '../plan.js';
import type { PlannedConfiguration } from '../planPool.js';
import { managedResourceName } from '../wellKnown.js';
import type { Decisions } from './decide.js';
import type { PlanContext, PrefixChoice } from './planContext.js';
import { builtIdKey, eqName, nameOf, sameId } from './names.js';
import type { PoolMembers } from './resolveMembers.js';
import type { DesiredPip } from './planPublicIps.js';

/** One outcome per configuration, in uid order. */
export function planOutcomes(
  ctx: PlanContext,
  members: PoolMembers,
  decisions: Decisions,
  p: { readonly desiredPips: ReadonlyMap<string, DesiredPip>; readonly heldPrefixes: ReadonlySet<string> },
): ConfigurationOutcome[] {
  let artefacts: ArtefactIndex | undefined;
  return ctx.configs.map((c): ConfigurationOutcome => {
    if (c.state.kind === 'deleting') {
      artefacts ??= indexArtefacts(ctx, members);
      // A per-NIC public IP of a BYO prefix is named by prefix and NIC only: it belongs to whichever
      // configuration carries it, uses the prefix now, or keeps it while blocked — not to one that
      // leaves the prefix (or asked for it and never got it).
      const claimedByOther = (pip: PublicIpAddress): boolean => {
        const from = pip.publicIPPrefix?.id;
        const at = pip.ipConfiguration?.id;
        return (
          p.desiredPips.has(armIdKey(pip.id)) ||
          (from !== undefined && p.heldPrefixes.has(armIdKey(from))) ||
          (at !== undefined && !eqName(nameOf(at), managedResourceName(c.uid)))
        );
      };
      const left = hasArtefacts(ctx, members, artefacts, c, decisions.prefixOf.get(c.uid), claimedByOther);
      return { uid: c.uid, kind: left ? 'removing' : 'removed' };
    }
    const b = decisions.blocked.get(c.uid);
    if (b !== undefined) return { uid: c.uid, kind: 'blocked', reason: b.reason, message: b.message };
    return { uid: c.uid, kind: 'active', port: decisions.ports.get(c.uid) as number };
  });
}

/** What of egret's is observed, by lower-case name or key, indexed once (only when something is deleted). */
interface ArtefactIndex {
  /** Names of the ipConfigs on the VMSS model and instances, or on the managed NICs. */
  readonly ipConfigs: ReadonlySet<string>;
  readonly rules: ReadonlySet<string>;
  readonly probes: ReadonlySet<string>;
  readonly prefixes: ReadonlySet<string>;
  readonly pipsByName: ReadonlyMap<string, readonly PublicIpAddress[]>;
}

function indexArtefacts(ctx: PlanContext, members: PoolMembers): ArtefactIndex {
  const ipConfigs = new Set<string>();
  const addNames = (lists: readonly (readonly { readonly name?: string }[])[]): void => {
    for (const l of lists)
      for (const ipc of l) if (ipc.name !== undefined) ipConfigs.add(ipc.name.toLowerCase());
  };
  const m = ctx.input.members;
  if (m.kind === 'vmss') {
    const model = m.vmss?.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations ?? [];
    addNames(model.map((n) => n.ipConfigurations ?? []));
    for (const i of m.instances)
      addNames(
        (i.vm.networkProfileConfiguration?.networkInterfaceConfigurations ?? []).map(
          (n) => n.ipConfigurations ?? [],
        ),
      );
  } else addNames(members.managedNics.map((n) => n.ipConfigurations ?? []));
  const names = (xs: readonly { readonly name?: string }[] | undefined): Set<string> =>
    new Set((xs ?? []).flatMap((x) => (x.name === undefined ? [] : [x.name.toLowerCase()])));
  const pipsByName = new Map<string, PublicIpAddress[]>();
  for (const pip of ctx.input.publicIps) {
    const key = pip.name.toLowerCase();
    pipsByName.set(key, [...(pipsByName.get(key) ?? []), pip]);
  }
  return {
    ipConfigs,
    rules: names(ctx.input.loadBalancer?.loadBalancingRules),
    probes: names(ctx.input.loadBalancer?.probes),
    prefixes: new Set(ctx.input.prefixes.map((x) => armIdKey(x.id))),
    pipsByName,
  };
}

function hasArtefacts(
  ctx: PlanContext,
  members: PoolMembers,
  index: ArtefactIndex,
  c: PlannedConfiguration,
  prefix: PrefixChoice | undefined,
  claimedByOther: (pip: PublicIpAddress) => boolean,
): boolean {
  const ipConfigName = managedResourceName(c.uid);
  if (index.ipConfigs.has(ipConfigName.toLowerCase())) return true;
  const uid = c.uid.toLowerCase();
  if (index.rules.has(uid) || index.probes.has(uid)) return true;
  if (index.prefixes.has(builtIdKey(ctx.prefixIdPrefix + ipConfigName))) return true;
  if (prefix === undefined) return false;
  for (const nic of members.managedNics)
    for (const pip of index.pipsByName.get(ctx.nicPip(prefix.name, nic.name).name.toLowerCase()) ?? [])
      if (sameId(pip.publicIPPrefix?.id, prefix.id) && !claimedByOther(pip)) return true;
  return false;
}
