/**
 * Prefixes: which prefix each public-mode configuration allocates from, and why a present
 * configuration cannot be served (the pool is missing, its prefix is missing, of the wrong length or
 * too small, or a per-NIC public IP of that name comes from another prefix).
 */
import { armIdKey, publicIpPrefixId, type ResourceLocation } from '../armId.js';
import type { PublicIpPrefix } from '../observed.js';
import type { EgressSpec } from '../staticGatewayConfiguration.js';
import { managedResourceName } from '../wellKnown.js';
import type { Blocked, PlanContext, PrefixChoice } from './planContext.js';
import { canonicalId, nameOf, sameId } from './names.js';
import type { PoolMembers } from './resolveMembers.js';

/** The prefix of every configuration whose (last known) egress is public, by uid. */
export function choosePrefixes(ctx: PlanContext): Map<string, PrefixChoice> {
  const prefixOf = new Map<string, PrefixChoice>();
  for (const c of ctx.configs) {
    const egress = c.state.egress;
    if (egress?.kind === 'public')
      prefixOf.set(c.uid, choosePrefix(c.uid, egress, ctx.pipLocation, ctx.prefixesByKey));
  }
  return prefixOf;
}

/** Present configurations that cannot be served, by uid (before the BYO hand-over and ports). */
export function checkConfigurations(
  ctx: PlanContext,
  members: PoolMembers,
  prefixOf: ReadonlyMap<string, PrefixChoice>,
): Map<string, Blocked> {
  const blocked = new Map<string, Blocked>();
  const wanted = ctx.input.pool.prefixLength;
  for (const c of ctx.configs) {
    if (c.state.kind !== 'present') continue;
    if (members.problem !== undefined) {
      blocked.set(c.uid, members.problem);
      continue;
    }
    const prefix = prefixOf.get(c.uid);
    if (prefix === undefined) continue;
    const problem = prefixProblem(ctx, members, prefix, wanted);
    if (problem !== undefined) blocked.set(c.uid, problem);
  }
  return blocked;
}

function prefixProblem(
  ctx: PlanContext,
  members: PoolMembers,
  prefix: PrefixChoice,
  wanted: number | undefined,
): Blocked | undefined {
  if (wanted === undefined)
    return { reason: 'InvalidSpec', message: 'the gateway pool has no public IP prefix length' };
  if (!prefix.managed && prefix.observed === undefined)
    return { reason: 'PrefixNotFound', message: `public IP prefix ${prefix.id} does not exist` };
  if (prefix.observed?.prefixLength !== undefined && prefix.observed.prefixLength !== wanted)
    return {
      reason: 'PrefixSizeMismatch',
      message:
        `public IP prefix ${prefix.name} is /${prefix.observed.prefixLength} but the gateway pool asks for /${wanted}` +
        (prefix.managed
          ? '; a prefix length cannot change: recreate the configuration to get a new prefix'
          : ''),
    };
  if (members.count > 2 ** (32 - wanted))
    return {
      reason: 'PrefixSizeMismatch',
      message:
        `the gateway pool has ${members.count} members but a /${wanted} prefix holds ` +
        `${2 ** (32 - wanted)} addresses; use a larger prefix (a smaller prefix length)`,
    };
  if (!members.nicPool) return undefined;
  for (const nic of members.nics) {
    const clash = ctx.pipsByKey.get(ctx.nicPip(prefix.name, nic.name).key);
    if (clash !== undefined && !sameId(clash.publicIPPrefix?.id, prefix.id))
      return {
        reason: 'Conflict',
        message: `public IP ${clash.name} exists but comes from ${clash.publicIPPrefix?.id ?? 'no prefix'}, not ${prefix.id}`,
      };
  }
  return undefined;
}

function choosePrefix(
  uid: string,
  egress: EgressSpec & { kind: 'public' },
  at: ResourceLocation,
  observed: ReadonlyMap<string, PublicIpPrefix>,
): PrefixChoice {
  const managed = egress.prefix.kind === 'managed';
  const id =
    egress.prefix.kind === 'managed'
      ? publicIpPrefixId(at, managedResourceName(uid))
      : canonicalId(egress.prefix.id);
  const found = observed.get(armIdKey(id));
  return {
    id,
    name: managed && isPlainName(uid) ? managedResourceName(uid) : nameOf(id),
    managed,
    ...(found === undefined ? {} : { observed: found }),
  };
}

/**
 * A uid without slashes and without white space at its end: the last segment of the managed
 * prefix's id is then exactly `egressgateway-<uid>`, however the rest of the id parses.
 */
function isPlainName(uid: string): boolean {
  return !uid.includes('/') && uid.trimEnd() === uid;
}
