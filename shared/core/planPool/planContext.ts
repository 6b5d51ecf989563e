/**
 * What every sub-planner of `planPool` reads, computed once per plan: the ids egret's shared
 * resources have, the configurations in uid order, and the observed prefixes and public IPs by key.
 */
import {
  armIdKey,
  loadBalancerChildId,
  loadBalancerId,
  publicIpAddressId,
  publicIpPrefixId,
  type ResourceLocation,
} from '../armId.js';
import type { ReadyReason } from '../conditions.js';
import { fnv1a64Hex } from '../fnv1a64.js';
import type { PublicIpAddress, PublicIpPrefix } from '../observed.js';
import type { PlanPoolInput, PlannedConfiguration } from '../planPool.js';
import { DEFAULT_LOAD_BALANCER_NAME } from '../wellKnown.js';
import { builtIdKey, cmp } from './names.js';

/** Why a configuration cannot be served now. */
export interface Blocked {
  readonly reason: ReadyReason;
  readonly message: string;
}

/** The prefix a public-mode configuration allocates from. */
export interface PrefixChoice {
  readonly id: string;
  readonly name: string;
  readonly managed: boolean;
  readonly observed?: PublicIpPrefix;
}

/** The planner's read-only view of its input, indexed once. */
export interface PlanContext {
  readonly input: PlanPoolInput;
  readonly lbId: string;
  readonly lbName: string;
  readonly frontendId: string;
  readonly backendId: string;
  /** Where managed prefixes and per-NIC public IPs live. */
  readonly pipLocation: ResourceLocation;
  /** The configurations, sorted by uid. */
  readonly configs: readonly PlannedConfiguration[];
  /** By lower-case uid (the last of configurations whose uids differ only in case). */
  readonly byUid: ReadonlyMap<string, PlannedConfiguration>;
  readonly prefixesByKey: ReadonlyMap<string, PublicIpPrefix>;
  readonly pipsByKey: ReadonlyMap<string, PublicIpAddress>;
  /** The id of a public IP in `pipLocation` is this followed by its name. */
  readonly pipIdPrefix: string;
  /** The id of a public IP prefix in `pipLocation` is this followed by its name. */
  readonly prefixIdPrefix: string;
  /** Id of the probe of a configuration. */
  probeId(uid: string): string;
  /** The per-NIC public IP of a prefix: its id and its key (the NIC name's hash is computed once). */
  nicPip(
    prefixName: string,
    nicName: string,
  ): { readonly name: string; readonly id: string; readonly key: string };
  /** `fnv64a(NIC name)` as upstream prints it, memoised for this plan. */
  nicHash(nicName: string): string;
}

/** Builds the context of one plan. */
export function planContext(input: PlanPoolInput): PlanContext {
  const { settings, pool } = input;
  const lbName = settings.loadBalancerName ?? DEFAULT_LOAD_BALANCER_NAME;
  const lbId = loadBalancerId(
    { subscriptionId: settings.subscriptionId, resourceGroup: settings.loadBalancerResourceGroup },
    lbName,
  );
  const pipLocation = {
    subscriptionId: settings.subscriptionId,
    resourceGroup: settings.publicIpResourceGroup,
  };
  const pipIdPrefix = publicIpAddressId(pipLocation, '');
  const configs = [...input.configurations].sort((a, b) => cmp(a.uid, b.uid));
  const hashes = new Map<string, string>();
  const nicHash = (nicName: string): string => {
    let h = hashes.get(nicName);
    if (h === undefined) {
      h = fnv1a64Hex(nicName);
      hashes.set(nicName, h);
    }
    return h;
  };
  return {
    input,
    lbId,
    lbName,
    frontendId: loadBalancerChildId(lbId, 'frontendIPConfigurations', pool.uniqueId),
    backendId: loadBalancerChildId(lbId, 'backendAddressPools', pool.uniqueId),
    pipLocation,
    configs,
    byUid: new Map(configs.map((c) => [c.uid.toLowerCase(), c])),
    prefixesByKey: new Map(input.prefixes.map((p) => [armIdKey(p.id), p])),
    pipsByKey: new Map(input.publicIps.map((p) => [armIdKey(p.id), p])),
    pipIdPrefix,
    prefixIdPrefix: publicIpPrefixId(pipLocation, ''),
    probeId: (uid) => loadBalancerChildId(lbId, 'probes', uid),
    nicPip: (prefixName, nicName) => {
      const name = `${prefixName}-${nicHash(nicName)}`;
      const id = pipIdPrefix + name;
      return { name, id, key: builtIdKey(id) };
    },
    nicHash,
  };
}
