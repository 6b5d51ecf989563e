/**
 * The gateway daemon's reconcile pass: cluster snapshot → desired → observe → plan → apply →
 * observe → plan again. What is still left to do after applying decides which configurations the LB
 * probe reports healthy; the node's GatewayStatus lists the configurations and peers in place.
 */
import type { NodeIdentity } from '../common/imds.js';
import type { GatewayDaemonCluster } from '../common/kube/clusterPorts.js';
import type { GatewayStatusSpec } from '../common/kube/types.js';
import { errorMessage } from '../../shared/core/errors.js';
import type { Logger } from '../common/logger.js';
import type { MetricsRegistry } from '../common/metrics.js';
import type { GatewayNode } from './gatewayNode.js';
import { blockedConfigurations, desiredGatewayNode, planGatewayNode } from './gatewayPlan.js';

export interface GatewayDaemonDeps {
  readonly node: NodeIdentity;
  readonly nodeName: string;
  readonly namespace: string;
  readonly cluster: GatewayDaemonCluster;
  readonly gateway: GatewayNode;
  readonly setReady: (uids: ReadonlySet<string>) => void;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

export interface PassResult {
  /** True when nothing was left to do after applying. */
  readonly converged: boolean;
  readonly ready: ReadonlySet<string>;
}

/**
 * Builds the pass function; it keeps only what it last reported (logs, GatewayStatus) between calls.
 * `withdraw` plans for "nothing applies to this node": it removes every device, address, route and
 * rule the daemon made (the namespace and veth stay, as upstream leaves them).
 */
export function createGatewayReconciler(
  deps: GatewayDaemonDeps,
): (options?: { readonly withdraw?: boolean }) => Promise<PassResult> {
  const { log, metrics } = deps;
  const passes = metrics.counter('egret_gateway_reconcile_total', 'Reconcile passes, by result.');
  const actionsApplied = metrics.counter(
    'egret_gateway_actions_total',
    'Data-path actions applied, by kind and result.',
  );
  const readyGauge = metrics.gauge(
    'egret_gateway_configuration_ready',
    '1 when a configuration is fully configured on this node.',
  );
  const peersGauge = metrics.gauge('egret_gateway_peers', 'WireGuard peers configured, by interface.');
  let lastStatus = '';
  let lastProblems = '';

  return async function pass(options = {}): Promise<PassResult> {
    const signal = AbortSignal.timeout(60_000);
    const desired =
      options.withdraw === true
        ? { gateways: [], pending: [], invalidPeers: [] }
        : desiredGatewayNode({ node: deps.node, snapshot: deps.cluster.snapshot() });
    const problems = JSON.stringify([desired.pending, desired.invalidPeers]);
    if (problems !== lastProblems) {
      for (const p of desired.pending)
        log.warn('configuration not served yet', { configuration: p.key, reason: p.reason });
      for (const p of desired.invalidPeers)
        log.warn('PodEndpoint skipped', { podEndpoint: p.podEndpoint, reason: p.reason });
      lastProblems = problems;
    }
    let observed = await deps.gateway.observe(desired);
    const plan = planGatewayNode(desired, observed, deps.gateway.layout);
    let remaining = plan;
    if (plan.length > 0) {
      log.info('applying', { actions: plan.map((a) => a.kind) });
      const { failed } = await deps.gateway.apply(plan);
      for (const a of plan) actionsApplied.inc({ kind: a.kind });
      if (failed > 0) actionsApplied.inc({ kind: 'failed' }, failed);
      observed = await deps.gateway.observe(desired);
      remaining = planGatewayNode(desired, observed, deps.gateway.layout);
    }
    const blocked = blockedConfigurations(remaining, desired);
    const ready = new Set(desired.gateways.filter((g) => !blocked.has(g.uid)).map((g) => g.uid));
    deps.setReady(ready);
    readyGauge.reset();
    peersGauge.reset();
    for (const g of desired.gateways) readyGauge.set(ready.has(g.uid) ? 1 : 0, { configuration: g.key });
    for (const l of observed.links) peersGauge.set(l.device?.peers.length ?? 0, { interface: l.name });
    passes.inc({ result: remaining.length === 0 ? 'converged' : 'pending' });
    if (remaining.length > 0) log.warn('not converged', { remaining: remaining.map((a) => a.kind) });

    const spec: GatewayStatusSpec = {
      readyGatewayConfigurations: desired.gateways
        .filter((g) => ready.has(g.uid))
        .map((g) => ({ staticGatewayConfiguration: g.key, interfaceName: g.link })),
      readyPeerConfigurations: desired.gateways
        .filter((g) => ready.has(g.uid))
        .flatMap((g) => {
          const have = observed.links.find((l) => l.name === g.link)?.device?.peers ?? [];
          return g.peers
            .filter((p) => have.some((h) => h.publicKey === p.publicKey))
            .map((p) => ({ podEndpoint: p.podEndpoint, interfaceName: g.link, publicKey: p.publicKey }));
        }),
    };
    const text = JSON.stringify(spec);
    if (text !== lastStatus) {
      try {
        await deps.cluster.upsertGatewayStatus(
          { namespace: deps.namespace, name: deps.nodeName },
          spec,
          signal,
        );
        lastStatus = text;
      } catch (e) {
        log.warn('GatewayStatus update failed', { error: errorMessage(e) });
        return { converged: false, ready };
      }
    }
    return { converged: remaining.length === 0, ready };
  };
}
