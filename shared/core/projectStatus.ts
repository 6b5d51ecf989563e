/**
 * Status projection: from what Azure looks like after a reconcile, the status of one configuration.
 *
 * - `egressIpPrefix`: the prefix CIDR (public-IP mode) or the sorted, comma-separated secondary
 *   private IPs of the pool's members (private-IP mode), as upstream.
 * - `gatewayServerProfile.ip`/`.port`: the pool's ILB frontend IP and the configuration's rule port.
 *   (`publicKey`/`privateKeySecretRef` are the relay's; they are not produced here.)
 * - `gatewayVMProfiles`: per member `{nodeName, primaryIP, secondaryIP}`, sorted by nodeName; nodeName is
 *   the VMSS instance computerName, the NIC name for VirtualMachines pools (upstream), the VM
 *   computerName for standalone VMs.
 * - `conditions`: `Ready`, and `Accepted` (reason `AcceptedWithWarnings`) while the spec has warnings,
 *   stamped with the injected clock only when their status changes.
 * Pure and deterministic: identical inputs give a deep-equal status, so identical reconciles never
 * rewrite status ({@link statusEquals}).
 */
import { loadBalancerChildId, loadBalancerId, publicIpPrefixId, sameArmId } from './armId.js';
import { compareIpText } from './cidr.js';
import type { ConditionDraft, ReadyReason } from './conditions.js';
import { acceptedWithWarningsCondition, readyCondition, stampConditions } from './conditions.js';
import type { FieldProblem } from './errors.js';
import type { LoadBalancer, NetworkInterface, ObservedPoolMembers, PublicIpPrefix } from './observed.js';
import type { ConfigurationOutcome } from './plan.js';
import type { ResolvedPool } from './pool.js';
import type {
  EgressSpec,
  GatewayVmProfile,
  StaticGatewayConfigurationStatus,
} from './staticGatewayConfiguration.js';
import { DEFAULT_LOAD_BALANCER_NAME, managedResourceName } from './wellKnown.js';

/** The status fields the control plane owns (the relay adds the key fields). */
export type ProjectedStatus = Omit<StaticGatewayConfigurationStatus, 'gatewayServerProfile'> & {
  readonly gatewayServerProfile?: { readonly ip?: string; readonly port?: number };
};

/** Everything {@link projectStatus} looks at. */
export interface ProjectStatusInput {
  readonly uid: string;
  readonly generation?: number;
  /** Absent for a configuration being deleted whose last spec is unknown. */
  readonly egress?: EgressSpec;
  /** The pool, when it resolved. */
  readonly pool?: ResolvedPool;
  /** From a plan made on the state observed after applying (normally an empty plan). */
  readonly outcome?: ConfigurationOutcome;
  /** A problem that stopped the reconcile before or during planning/applying; wins over `outcome`. */
  readonly problem?: { readonly reason: ReadyReason; readonly message: string };
  /** Warnings about the current spec (validation): an `Accepted` condition names them. */
  readonly warnings?: readonly FieldProblem[];
  readonly members?: ObservedPoolMembers;
  readonly loadBalancer?: LoadBalancer;
  readonly prefixes?: readonly PublicIpPrefix[];
  readonly settings: {
    readonly subscriptionId: string;
    readonly loadBalancerResourceGroup: string;
    readonly loadBalancerName?: string;
    readonly publicIpResourceGroup: string;
  };
  readonly previous?: StaticGatewayConfigurationStatus;
  /** RFC 3339, from the injected clock. */
  readonly now: string;
}

/** The projection and whether deletion has finished. */
export interface StatusProjection {
  readonly status: ProjectedStatus;
  /** True when the configuration is being deleted and nothing of it is left in Azure. */
  readonly finalized: boolean;
}

/** Projects the status of one configuration. */
export function projectStatus(input: ProjectStatusInput): StatusProjection {
  const data = input.pool !== undefined && input.members !== undefined ? observe(input) : undefined;
  const previous = input.previous;
  const egressIpPrefix = data?.egressIpPrefix ?? previous?.egressIpPrefix;
  const ip = data?.ip ?? previous?.gatewayServerProfile?.ip;
  const port = data?.port ?? previous?.gatewayServerProfile?.port;
  const nodes = data?.nodes ?? previous?.gatewayVMProfiles;
  const generation = input.generation === undefined ? {} : { generation: input.generation };

  let ready: ConditionDraft;
  const outcome = input.outcome;
  if (input.problem !== undefined) {
    ready = readyCondition({
      status: 'False',
      reason: input.problem.reason,
      message: input.problem.message,
      ...generation,
    });
  } else if (outcome?.kind === 'removed') {
    ready = readyCondition({
      status: 'False',
      reason: 'Finalized',
      message: 'all Azure resources of this configuration are deleted',
      ...generation,
    });
  } else if (outcome?.kind === 'removing') {
    ready = readyCondition({
      status: 'False',
      reason: 'Deleting',
      message: 'deleting the Azure resources of this configuration',
      ...generation,
    });
  } else if (outcome?.kind === 'blocked') {
    ready = readyCondition({
      status: 'False',
      reason: outcome.reason,
      message: outcome.message,
      ...generation,
    });
  } else {
    const complete =
      egressIpPrefix !== undefined &&
      egressIpPrefix !== '' &&
      ip !== undefined &&
      port !== undefined &&
      outcome?.kind === 'active' &&
      outcome.port === port;
    ready = complete
      ? readyCondition({
          status: 'True',
          reason: 'Reconciled',
          message: `provisioned with egress prefix ${egressIpPrefix ?? ''}`,
          ...generation,
        })
      : readyCondition({
          status: 'False',
          reason: 'Reconciling',
          message: 'waiting for Azure to finish',
          ...generation,
        });
  }
  const server = { ...(ip === undefined ? {} : { ip }), ...(port === undefined ? {} : { port }) };
  const status: ProjectedStatus = {
    ...(egressIpPrefix === undefined ? {} : { egressIpPrefix }),
    ...(Object.keys(server).length === 0 ? {} : { gatewayServerProfile: server }),
    ...(nodes === undefined ? {} : { gatewayVMProfiles: nodes }),
    conditions: stampConditions(
      previous?.conditions,
      [ready, acceptedWithWarningsCondition(input.warnings ?? [], generation) ?? []].flat(),
      input.now,
    ),
    ...(input.generation === undefined ? {} : { observedGeneration: input.generation }),
  };
  return { status, finalized: outcome?.kind === 'removed' && input.problem === undefined };
}

interface Observed {
  readonly egressIpPrefix: string | undefined;
  readonly ip: string | undefined;
  readonly port: number | undefined;
  readonly nodes: readonly GatewayVmProfile[];
}

function observe(input: ProjectStatusInput): Observed {
  const pool = input.pool as ResolvedPool;
  const members = input.members as ObservedPoolMembers;
  const { settings } = input;
  const lbId = loadBalancerId(
    { subscriptionId: settings.subscriptionId, resourceGroup: settings.loadBalancerResourceGroup },
    settings.loadBalancerName ?? DEFAULT_LOAD_BALANCER_NAME,
  );
  const frontendId = loadBalancerChildId(lbId, 'frontendIPConfigurations', pool.uniqueId);
  const frontend = input.loadBalancer?.frontendIPConfigurations?.find(
    (f) => sameArmId(f.id, frontendId) || f.name?.toLowerCase() === pool.uniqueId.toLowerCase(),
  );
  const rule = input.loadBalancer?.loadBalancingRules?.find(
    (r) => r.name?.toLowerCase() === input.uid.toLowerCase(),
  );
  const nodes = nodesOf(members, managedResourceName(input.uid)).sort((a, b) =>
    a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0,
  );
  let egressIpPrefix: string | undefined;
  const egress = input.egress;
  if (egress?.kind === 'private') {
    const ips = nodes.map((n) => n.secondaryIP).sort(compareIpText);
    egressIpPrefix = ips.length === 0 ? undefined : ips.join(',');
  } else if (egress?.kind === 'public') {
    const id =
      egress.prefix.kind === 'byo'
        ? egress.prefix.id
        : publicIpPrefixId(
            { subscriptionId: settings.subscriptionId, resourceGroup: settings.publicIpResourceGroup },
            managedResourceName(input.uid),
          );
    const prefix = (input.prefixes ?? []).find((p) => sameArmId(p.id, id));
    egressIpPrefix = prefix?.ipPrefix;
  }
  return {
    egressIpPrefix,
    ip: frontend?.privateIPAddress,
    port:
      rule?.frontendPort !== undefined && rule.frontendPort === rule.backendPort
        ? rule.frontendPort
        : undefined,
    nodes,
  };
}

function nodesOf(members: ObservedPoolMembers, ipConfigName: string): GatewayVmProfile[] {
  const fromNic = (nodeName: string | undefined, nic: NetworkInterface | undefined): GatewayVmProfile[] => {
    if (nodeName === undefined || nic === undefined) return [];
    const ipcs = nic.ipConfigurations ?? [];
    const primary = ipcs.find((c) => c.primary === true) ?? (ipcs.length === 1 ? ipcs[0] : undefined);
    const secondary = ipcs.find((c) => c.name?.toLowerCase() === ipConfigName.toLowerCase());
    const primaryIP = primary?.privateIPAddress;
    const secondaryIP = secondary?.privateIPAddress;
    if (primaryIP === undefined || primaryIP === '' || secondaryIP === undefined || secondaryIP === '')
      return [];
    return [{ nodeName, primaryIP, secondaryIP }];
  };
  switch (members.kind) {
    case 'vmss':
      return members.instances.flatMap((i) => fromNic(i.vm.osProfile?.computerName, i.primaryNic));
    case 'aks-vm-pool':
      return members.nics.flatMap((n) => fromNic(n.name, n));
    case 'standalone-vms':
      return members.vms.flatMap((v) => fromNic(v.vm?.osProfile?.computerName ?? v.vm?.name, v.primaryNic));
  }
}

/** Structural equality with key order ignored: write status only when this is false. */
export function statusEquals(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
