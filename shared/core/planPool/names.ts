/**
 * Small helpers the sub-planners of `planPool` share: names, id keys, comparison and step order.
 * Everything here is pure and cheap; the planner calls them once per observed item, never per pair.
 */
import { armIdKey, parseArmId, sameArmId } from '../armId.js';
import { fnv1a64Hex } from '../fnv1a64.js';
import type { PlanStep } from '../plan.js';
import { PLAN_PHASES } from '../plan.js';
import { MANAGED_RESOURCE_PREFIX } from '../wellKnown.js';

/** Upstream's per-NIC public IP name: `<prefix name>-<fnv64a(NIC name) as %x>`. */
export function pipName(prefixName: string, nicName: string): string {
  return `${prefixName}-${fnv1a64Hex(nicName)}`;
}

/** Code-unit order (the planner's deterministic order for uids and id keys). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Case-insensitive name equality; an absent name equals nothing. */
export function eqName(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** `{ ifMatch }` when an ETag was observed. */
export function ifMatch(etag: string | undefined): { readonly ifMatch?: string } {
  return etag === undefined ? {} : { ifMatch: etag };
}

/** True for `egressgateway-*` names (any case). */
export function isManagedName(name: string | undefined): name is string {
  return (
    name !== undefined &&
    (name.startsWith(MANAGED_RESOURCE_PREFIX) || name.toLowerCase().startsWith(MANAGED_RESOURCE_PREFIX))
  );
}

/** `sameArmId`, with the common case (identical strings) answered without parsing. */
export function sameId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a === b || sameArmId(a, b);
}

/** Two optional ids: both absent, or both present and the same resource. */
export function sameOptionalId(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a === b || sameArmId(a, b);
}

/**
 * `armIdKey` of an id egret formatted itself (`/subscriptions/…/<type>/<name>`): its lower-case
 * spelling, unless its last character is a slash or white space (which `armIdKey` would trim).
 */
export function builtIdKey(id: string): string {
  const last = id.charCodeAt(id.length - 1);
  // Anything `trim` might remove (ASCII controls and spaces, non-ASCII spaces) takes the slow path.
  return last === 47 /* / */ || last <= 32 || last >= 127 ? armIdKey(id) : id.toLowerCase();
}

/** The canonical spelling of an id (as given when it does not parse). */
export function canonicalId(id: string): string {
  const parsed = parseArmId(id);
  return parsed.kind === 'ok' ? parsed.resource.id : id;
}

/** The innermost name of an id. */
export function nameOf(id: string): string {
  const parsed = parseArmId(id);
  return parsed.kind === 'ok' ? parsed.resource.name : id.slice(id.lastIndexOf('/') + 1);
}

/** The parts of a VMSS-allocated public IP id. */
export interface VmssAllocatedIp {
  readonly vmssName: string;
  readonly instanceId: string;
  readonly ipConfigName: string;
}

/**
 * A VMSS-allocated public IP id looks like
 * `…/virtualMachineScaleSets/<vmss>/virtualMachines/<i>/networkInterfaces/<nic>/ipConfigurations/<ipc>/publicIPAddresses/<n>`.
 */
export function vmssAllocatedIp(id: string): VmssAllocatedIp | undefined {
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

/** The keys of some resources' ids. */
export function idKeySet(resources: readonly { readonly id: string }[]): Set<string> {
  return new Set(resources.map((r) => armIdKey(r.id)));
}

/** True when `id` (lower-cased) starts with `<key>/` for one of `keys`: a child of one of them. */
export function isChildOfAny(id: string, keys: ReadonlySet<string>): boolean {
  const lower = id.toLowerCase();
  for (let i = lower.indexOf('/'); i >= 0; i = lower.indexOf('/', i + 1))
    if (keys.has(lower.slice(0, i))) return true;
  return false;
}

/** Sorted, without duplicates. */
export function sortedUids(uids: Iterable<string>): readonly string[] {
  return [...new Set(uids)].sort(cmp);
}

/** Steps by phase, then by resource id (case-insensitive); each key is computed once. */
export function sortSteps(steps: readonly PlanStep[]): PlanStep[] {
  return steps
    .map((step) => ({ step, phase: PLAN_PHASES.indexOf(step.phase), key: armIdKey(step.resourceId) }))
    .sort((a, b) => a.phase - b.phase || cmp(a.key, b.key))
    .map((s) => s.step);
}
