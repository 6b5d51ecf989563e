/**
 * Ports: per pool, in 6000–6999. A configuration keeps its claim from egret's state, else the port of
 * its existing sane rule, else it gets the lowest port no rule on the pool's backend pool and no
 * claim uses (configurations in uid order). None left ⇒ `PortsExhausted`.
 */
import type { LoadBalancingRule } from '../observed.js';
import type { PortClaim } from '../planPool.js';
import { WIREGUARD_PORT_MAX, WIREGUARD_PORT_MIN } from '../wellKnown.js';
import type { Blocked, PlanContext } from './planContext.js';
import { sameId } from './names.js';

/** The ports decided, and the configurations none was left for. */
export interface PortAssignment {
  /** By uid. */
  readonly ports: ReadonlyMap<string, number>;
  /** By uid: `PortsExhausted`. */
  readonly exhausted: ReadonlyMap<string, Blocked>;
}

/** Assigns ports to the present configurations; `blocked` ones keep a port they have but get no new one. */
export function assignPorts(ctx: PlanContext, blocked: ReadonlyMap<string, Blocked>): PortAssignment {
  const ourRules = (ctx.input.loadBalancer?.loadBalancingRules ?? []).filter((r) =>
    sameId(r.backendAddressPool?.id, ctx.backendId),
  );
  const used = new Set<number>();
  for (const r of ourRules) for (const p of [r.frontendPort, r.backendPort]) if (p !== undefined) used.add(p);
  for (const claim of ctx.input.portClaims) used.add(claim.port);
  const claimsOf = groupBy(ctx.input.portClaims, (c) => c.configUid.toLowerCase());
  const ruleOf = new Map<string, LoadBalancingRule>();
  for (const r of ourRules) {
    if (r.name === undefined) continue;
    const key = r.name.toLowerCase();
    if (!ruleOf.has(key)) ruleOf.set(key, r);
  }
  const ports = new Map<string, number>();
  const taken = new Set<number>();
  const present = ctx.configs.filter((c) => c.state.kind === 'present');
  // 1. egret's own record (claims) first, so a drifted rule is put back rather than adopted;
  for (const c of present) {
    const port = lowestClaim(claimsOf.get(c.uid.toLowerCase()), taken);
    if (port !== undefined) {
      ports.set(c.uid, port);
      taken.add(port);
    }
  }
  // 2. then the port of an existing sane rule (adopting upstream's or a lost claim);
  for (const c of present) {
    if (ports.has(c.uid)) continue;
    const rule = ruleOf.get(c.uid.toLowerCase());
    if (
      rule !== undefined &&
      rule.frontendPort === rule.backendPort &&
      inRange(rule.frontendPort) &&
      !taken.has(rule.frontendPort)
    ) {
      ports.set(c.uid, rule.frontendPort);
      taken.add(rule.frontendPort);
    }
  }
  // 3. else the lowest port no rule on the pool's backend pool and no claim uses. Ports only get
  //    taken, so the lowest free one never goes down: one cursor serves every configuration.
  const exhausted = new Map<string, Blocked>();
  let cursor = WIREGUARD_PORT_MIN;
  for (const c of present) {
    if (ports.has(c.uid) || blocked.has(c.uid)) continue;
    while (cursor <= WIREGUARD_PORT_MAX && (used.has(cursor) || taken.has(cursor))) cursor++;
    if (cursor > WIREGUARD_PORT_MAX) {
      exhausted.set(c.uid, {
        reason: 'PortsExhausted',
        message: `all ports ${WIREGUARD_PORT_MIN}–${WIREGUARD_PORT_MAX} of the gateway pool are in use`,
      });
      continue;
    }
    ports.set(c.uid, cursor);
    taken.add(cursor);
  }
  return { ports, exhausted };
}

function inRange(p: number | undefined): p is number {
  return p !== undefined && Number.isInteger(p) && p >= WIREGUARD_PORT_MIN && p <= WIREGUARD_PORT_MAX;
}

/** The lowest claimed port in range that is not taken yet. */
function lowestClaim(
  claims: readonly PortClaim[] | undefined,
  taken: ReadonlySet<number>,
): number | undefined {
  let best: number | undefined;
  for (const claim of claims ?? [])
    if (inRange(claim.port) && !taken.has(claim.port) && (best === undefined || claim.port < best))
      best = claim.port;
  return best;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}
