/**
 * What a deleting configuration left in Azure when no pool can plan its removal any more: its managed
 * prefix `egressgateway-<uid>` (and egret's per-NIC public IPs from it) after the configuration moved
 * out of the pool that created them — e.g. its nodepool name was changed to one that does not
 * resolve, then it was deleted — or after that pool itself was deleted. The prefix is named after the
 * configuration's uid, so it is this configuration's alone; the planner of the pool it left no longer
 * sees it (that planner still removes the ipConfigs and the per-NIC public IPs on its members).
 *
 * Pure: the same rules as `planPool`'s deletion — a per-NIC public IP only once nothing is attached
 * to it, the prefix only once every address allocated from it is being deleted (VMSS-allocated
 * addresses go with their instance's ipConfig, which the pool's own planner removes).
 */
import { armIdKey } from './armId.js';
import type { PublicIpAddress, PublicIpPrefix } from './observed.js';
import type { Plan, PlanStep } from './plan.js';
import { managedResourceName } from './wellKnown.js';

export interface LeftoversInput {
  /** The pool key the configuration is stored under (for the plan and logs). */
  readonly poolKey: string;
  readonly configuration: { readonly uid: string; readonly namespace: string; readonly name: string };
  /** Its managed prefix as observed, or undefined when there is none. */
  readonly prefix: PublicIpPrefix | undefined;
  /** The public IPs of the prefix's resource group (any prefix). */
  readonly publicIps: readonly PublicIpAddress[];
}

/** The plan's steps, and what still holds the prefix when it cannot be deleted yet. */
export interface LeftoversPlan {
  readonly plan: Plan;
  /** Ids of addresses that are still attached or not egret's to delete; empty once all can go. */
  readonly blockers: readonly string[];
}

/** Plans the removal of a deleting configuration's leftovers; an empty plan and no blockers: none. */
export function planLeftovers(input: LeftoversInput): LeftoversPlan {
  const { configuration: c, prefix } = input;
  const result = (blockers: readonly string[], steps: readonly PlanStep[] = []): LeftoversPlan => ({
    plan: {
      poolKey: input.poolKey,
      steps,
      ports: [],
      outcomes: [{ uid: c.uid, kind: steps.length === 0 && blockers.length === 0 ? 'removed' : 'removing' }],
    },
    blockers,
  });
  if (prefix === undefined) return result([]);
  const managed = managedResourceName(c.uid).toLowerCase();
  const who = `${c.namespace}/${c.name}`;
  // egret's per-NIC addresses from this prefix (`<prefix name>-<hash of the NIC name>`).
  const ownPips = input.publicIps
    .filter(
      (p) =>
        p.publicIPPrefix?.id !== undefined &&
        armIdKey(p.publicIPPrefix.id) === armIdKey(prefix.id) &&
        p.name.toLowerCase().startsWith(`${managed}-`),
    )
    .sort((a, b) => (armIdKey(a.id) < armIdKey(b.id) ? -1 : armIdKey(a.id) > armIdKey(b.id) ? 1 : 0));
  const steps: PlanStep[] = [];
  const blockers: string[] = [];
  for (const pip of ownPips) {
    if (pip.ipConfiguration?.id !== undefined) {
      blockers.push(pip.id);
      continue;
    }
    steps.push(deletion('delete-public-ip', 'delete-public-ips', pip, c.uid, `public IP of ${who}`));
  }
  const deleted = new Set(steps.map((s) => armIdKey(s.resourceId)));
  const blocked = new Set(blockers.map(armIdKey));
  for (const ref of prefix.publicIPAddresses ?? []) {
    if (ref.id === undefined || deleted.has(armIdKey(ref.id)) || blocked.has(armIdKey(ref.id))) continue;
    blocked.add(armIdKey(ref.id));
    blockers.push(ref.id);
  }
  if (blockers.length === 0)
    steps.push(
      deletion('delete-public-ip-prefix', 'delete-prefixes', prefix, c.uid, `managed prefix of ${who}`),
    );
  return result(blockers.sort(), steps);
}

/** A DELETE of an observed resource, conditional on its ETag. */
function deletion(
  kind: 'delete-public-ip' | 'delete-public-ip-prefix',
  phase: 'delete-public-ips' | 'delete-prefixes',
  resource: { readonly id: string; readonly etag?: string },
  uid: string,
  what: string,
): PlanStep {
  return {
    kind,
    phase,
    resourceId: resource.id,
    uids: [uid],
    reasons: [`${what}, which is being deleted and has no pool`],
    ...(resource.etag === undefined ? {} : { ifMatch: resource.etag }),
  };
}
