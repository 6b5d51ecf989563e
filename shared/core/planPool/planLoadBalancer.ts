/**
 * The load balancer: the pool's frontend and backend pool, one UDP rule (floating IP) and one HTTP
 * probe per active configuration; rules and probes of leaving configurations (and orphans with
 * `orphans: 'delete'`) removed; the frontend and backend pool removed together once nothing uses
 * them, and the ILB deleted when no frontend is left. At most one write.
 */
import { armIdKey } from '../armId.js';
import type {
  BackendAddressPool,
  FrontendIpConfiguration,
  LoadBalancer,
  LoadBalancingRule,
  Probe,
} from '../observed.js';
import type { PlanPhase, PlanStep } from '../plan.js';
import {
  LB_PROBE_INTERVAL_SECONDS,
  LB_PROBE_PORT,
  LB_PROBE_THRESHOLD,
  STANDARD_REGIONAL_SKU,
  probePath,
} from '../wellKnown.js';
import type { PlanContext } from './planContext.js';
import { cmp, eqName, ifMatch, sameId, sameOptionalId } from './names.js';

/** What the load balancer write depends on. */
export interface LoadBalancerPlanInput {
  readonly observed: LoadBalancer | undefined;
  /** Configurations that get a rule and probe, with their ports. */
  readonly active: readonly { readonly uid: string; readonly port: number }[];
  /** Blocked configurations: their rules and probes are kept. */
  readonly held: readonly string[];
  /** Configurations being deleted: their rules and probes go. */
  readonly leaving: readonly string[];
  readonly orphans: 'keep' | 'delete';
  /** A member's ipConfig is still in the pool's backend pool after the member edits. */
  readonly membersReferenceBackend: boolean;
}

/** The lists being edited, and what the edit has said so far. */
interface Draft {
  frontends: FrontendIpConfiguration[];
  backends: BackendAddressPool[];
  rules: LoadBalancingRule[];
  probes: Probe[];
  changed: boolean;
  createsPoolParts: boolean;
  readonly reasons: string[];
  /** Lower-case names of the rules and probes this write adds, updates or removes. */
  readonly touched: Set<string>;
}

/** Plans the one ILB write (PUT or DELETE), or none. */
export function planLoadBalancer(ctx: PlanContext, p: LoadBalancerPlanInput): PlanStep | undefined {
  const observed = p.observed;
  if (observed === undefined && p.active.length === 0) return undefined;
  const d: Draft = {
    frontends: [...(observed?.frontendIPConfigurations ?? [])],
    backends: [...(observed?.backendAddressPools ?? [])],
    rules: [...(observed?.loadBalancingRules ?? [])],
    probes: [...(observed?.probes ?? [])],
    changed: false,
    createsPoolParts: observed === undefined,
    reasons: [],
    touched: new Set(),
  };
  if (p.active.length > 0) addPoolParts(ctx, d);
  const activeByUid = new Map(p.active.map((a) => [a.uid.toLowerCase(), a]));
  const sortedActive = [...p.active].sort((x, y) => cmp(x.uid, y.uid));
  const removedRuleProbes = planRules(ctx, p, d, activeByUid, sortedActive);
  planProbes(ctx, p, d, activeByUid, sortedActive, removedRuleProbes);
  if (p.active.length === 0 && p.held.length === 0) removePoolParts(ctx, p, d);
  if (!d.changed) return undefined;
  const uids = servedUids(ctx, d, p);
  if (observed !== undefined && d.frontends.length === 0) {
    return {
      kind: 'delete-load-balancer',
      phase: 'lb-after-members',
      resourceId: observed.id,
      uids,
      reasons: ['no frontend is left', ...d.reasons].sort(),
      ...ifMatch(observed.etag),
    };
  }
  const phase: PlanPhase = d.createsPoolParts ? 'lb-before-members' : 'lb-after-members';
  const base = observed ?? {
    name: ctx.lbName,
    location: ctx.input.settings.location,
    sku: { ...STANDARD_REGIONAL_SKU },
  };
  return {
    kind: 'put-load-balancer',
    phase,
    resourceId: observed?.id ?? ctx.lbId,
    uids,
    reasons: (observed === undefined ? ['create the load balancer', ...d.reasons] : d.reasons).sort(),
    ...ifMatch(observed?.etag),
    body: {
      ...base,
      frontendIPConfigurations: d.frontends,
      backendAddressPools: d.backends,
      loadBalancingRules: d.rules,
      probes: d.probes,
    },
  };
}

function addPoolParts(ctx: PlanContext, d: Draft): void {
  const uniqueId = ctx.input.pool.uniqueId;
  if (!d.frontends.some((f) => eqName(f.name, uniqueId))) {
    d.frontends.push({
      name: uniqueId,
      privateIPAddressVersion: 'IPv4',
      privateIPAllocationMethod: 'Dynamic',
      subnet: { id: ctx.input.settings.frontendSubnetId },
    });
    d.changed = d.createsPoolParts = true;
    d.reasons.push(`add frontend ${uniqueId}`);
  }
  if (!d.backends.some((b) => eqName(b.name, uniqueId))) {
    d.backends.push({ name: uniqueId });
    d.changed = d.createsPoolParts = true;
    d.reasons.push(`add backend pool ${uniqueId}`);
  }
}

/** Rules: the active ones as desired, others kept or removed; returns the keys of removed rules' probes. */
function planRules(
  ctx: PlanContext,
  p: LoadBalancerPlanInput,
  d: Draft,
  activeByUid: ReadonlyMap<string, { readonly uid: string; readonly port: number }>,
  sortedActive: readonly { readonly uid: string; readonly port: number }[],
): Set<string> {
  const heldSet = new Set(p.held.map((u) => u.toLowerCase()));
  const leavingSet = new Set(p.leaving.map((u) => u.toLowerCase()));
  const isOurs = (r: LoadBalancingRule): boolean =>
    sameId(r.backendAddressPool?.id, ctx.backendId) || sameId(r.frontendIPConfiguration?.id, ctx.frontendId);
  const removedRuleProbes = new Set<string>();
  const kept: LoadBalancingRule[] = [];
  const present = new Set<string>();
  for (const r of d.rules) {
    const key = (r.name ?? '').toLowerCase();
    const want = activeByUid.get(key);
    if (want !== undefined) {
      present.add(key);
      const desired = desiredRule(ctx, want.uid, want.port);
      if (sameRule(r, desired)) kept.push(r);
      else {
        kept.push(desired);
        d.changed = true;
        d.touched.add(key);
        d.reasons.push(`update rule ${want.uid}`);
      }
    } else if (heldSet.has(key) || !isOurs(r) || (!leavingSet.has(key) && p.orphans === 'keep')) {
      kept.push(r);
    } else {
      d.changed = true;
      d.touched.add(key);
      d.reasons.push(`remove rule ${r.name ?? ''}`);
      if (r.probe?.id !== undefined) removedRuleProbes.add(armIdKey(r.probe.id));
    }
  }
  for (const a of sortedActive) {
    if (present.has(a.uid.toLowerCase())) continue;
    kept.push(desiredRule(ctx, a.uid, a.port));
    d.changed = true;
    d.touched.add(a.uid.toLowerCase());
    d.reasons.push(`add rule ${a.uid} on port ${a.port}`);
  }
  d.rules = kept;
  return removedRuleProbes;
}

/** Probes: the active ones as desired; others removed once no rule references them. */
function planProbes(
  ctx: PlanContext,
  p: LoadBalancerPlanInput,
  d: Draft,
  activeByUid: ReadonlyMap<string, { readonly uid: string; readonly port: number }>,
  sortedActive: readonly { readonly uid: string; readonly port: number }[],
  removedRuleProbes: ReadonlySet<string>,
): void {
  const heldSet = new Set(p.held.map((u) => u.toLowerCase()));
  const leavingSet = new Set(p.leaving.map((u) => u.toLowerCase()));
  let referenced: Set<string> | undefined; // built only if some probe is not an active one
  const kept: Probe[] = [];
  const present = new Set<string>();
  for (const probe of d.probes) {
    const key = (probe.name ?? '').toLowerCase();
    const want = activeByUid.get(key);
    if (want !== undefined) {
      present.add(key);
      const desired = desiredProbe(want.uid);
      if (sameProbe(probe, desired)) kept.push(probe);
      else {
        kept.push(desired);
        d.changed = true;
        d.touched.add(key);
        d.reasons.push(`update probe ${want.uid}`);
      }
      continue;
    }
    referenced ??= new Set(d.rules.map((r) => (r.probe?.id === undefined ? '' : armIdKey(r.probe.id))));
    const id = armIdKey(probe.id ?? ctx.probeId(probe.name ?? ''));
    const removable =
      !heldSet.has(key) &&
      !referenced.has(id) &&
      (leavingSet.has(key) || (p.orphans === 'delete' && removedRuleProbes.has(id)));
    if (removable) {
      d.changed = true;
      d.touched.add(key);
      d.reasons.push(`remove probe ${probe.name ?? ''}`);
    } else kept.push(probe);
  }
  for (const a of sortedActive) {
    if (present.has(a.uid.toLowerCase())) continue;
    kept.push(desiredProbe(a.uid));
    d.changed = true;
    d.touched.add(a.uid.toLowerCase());
    d.reasons.push(`add probe ${a.uid}`);
  }
  d.probes = kept;
}

/**
 * The pool's frontend and backend pool go together, once nothing uses either: no rule, and no member
 * left in the backend pool (e.g. an orphan ipConfig kept with `orphans: 'keep'`). Dropping the
 * frontend alone could delete the ILB under members Azure still counts in its backend pool.
 */
function removePoolParts(ctx: PlanContext, p: LoadBalancerPlanInput, d: Draft): void {
  const uniqueId = ctx.input.pool.uniqueId;
  const unused =
    !d.rules.some((r) => sameId(r.frontendIPConfiguration?.id, ctx.frontendId)) &&
    !d.rules.some((r) => sameId(r.backendAddressPool?.id, ctx.backendId)) &&
    !p.membersReferenceBackend;
  if (unused && d.frontends.some((f) => eqName(f.name, uniqueId))) {
    d.frontends = d.frontends.filter((f) => !eqName(f.name, uniqueId));
    d.changed = true;
    d.reasons.push(`remove frontend ${uniqueId}`);
  }
  if (unused && d.backends.some((b) => eqName(b.name, uniqueId))) {
    d.backends = d.backends.filter((b) => !eqName(b.name, uniqueId));
    d.changed = true;
    d.reasons.push(`remove backend pool ${uniqueId}`);
  }
}

/**
 * The configurations the write is made for: those whose rule or probe it adds, updates or removes,
 * and every active one when it creates the load balancer or the pool's frontend or backend pool.
 */
function servedUids(ctx: PlanContext, d: Draft, p: LoadBalancerPlanInput): readonly string[] {
  const uids = new Set<string>();
  for (const key of d.touched) {
    const c = ctx.byUid.get(key);
    if (c !== undefined) uids.add(c.uid);
  }
  if (d.createsPoolParts) for (const a of p.active) uids.add(a.uid);
  return [...uids].sort(cmp);
}

function desiredRule(ctx: PlanContext, uid: string, port: number): LoadBalancingRule {
  return {
    name: uid,
    frontendIPConfiguration: { id: ctx.frontendId },
    backendAddressPool: { id: ctx.backendId },
    probe: { id: ctx.probeId(uid) },
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
