/**
 * Gateway daemon entry point (DaemonSet on gateway nodes). `main.js ensure-netns` only creates the
 * gateway namespace (the privileged init container's job); without arguments it runs the daemon.
 */
import { loadGatewayDaemonConfig } from '../common/agentConfig.js';
import { createExecRunner } from '../common/commandRunner.js';
import { startHealthServer } from '../common/healthServer.js';
import { fetchNodeIdentity } from '../common/imds.js';
import { IpDriver } from '../common/ip.js';
import { createClientNodeGatewayCluster } from '../common/kube/clientNodeCluster.js';
import { loadKubeConfig } from '../common/kube/kubeConfig.js';
import { errorMessage } from '../../shared/core/errors.js';
import { createLogger } from '../common/logger.js';
import { MetricsRegistry } from '../common/metrics.js';
import { retryUntil, terminationSignal } from '../common/process.js';
import { createSerialLoop } from '../common/serialLoop.js';
import { createWireGuardDriver, selectWireGuardMode } from '../common/wireguard.js';
import { createGatewayReconciler } from './gatewayDaemon.js';
import { GatewayNode } from './gatewayNode.js';
import { DEFAULT_GATEWAY_LAYOUT } from './gatewayPlan.js';
import { startProbeServer } from './probeServer.js';

async function main(): Promise<void> {
  const config = loadGatewayDaemonConfig();
  const log = createLogger('gateway-daemon', { level: config.logLevel });
  const runner = createExecRunner();
  if (process.argv[2] === 'ensure-netns') {
    await new IpDriver(runner).ensureNetns(config.netns);
    return;
  }
  const stop = new AbortController();
  const terminated = terminationSignal();
  void terminated.then(() => stop.abort());

  const mode = await selectWireGuardMode(config.wireguardMode, runner);
  const node = await retryUntil(() => fetchNodeIdentity(config.imdsEndpoint, stop.signal), {
    what: 'IMDS',
    log,
    signal: stop.signal,
  });
  log.info('starting', { node: config.nodeName, computerName: node.computerName, wireguard: mode });

  const metrics = new MetricsRegistry();
  const probe = await startProbeServer(config.probe);
  let synced = false;
  const health = await startHealthServer({ ...config.metrics, metrics, isReady: () => synced });
  const cluster = createClientNodeGatewayCluster({
    kubeConfig: loadKubeConfig(config.kubeconfig),
    namespace: config.keySecretNamespace,
    nodeName: config.nodeName,
    log,
  });
  const layout = { ...DEFAULT_GATEWAY_LAYOUT, netns: config.netns, hostInterface: config.hostInterface };
  const gateway = new GatewayNode(runner, createWireGuardDriver(mode, runner), layout, log);
  const reconcile = createGatewayReconciler({
    node,
    nodeName: config.nodeName,
    namespace: config.namespace,
    cluster,
    gateway,
    setReady: (uids) => probe.setReady(uids),
    log,
    metrics,
  });
  const loop = createSerialLoop({
    pass: async () => (await reconcile()).converged,
    debounceMs: 50,
    retryMinMs: 500,
    retryMaxMs: 30_000,
    onError: (e) => log.error('reconcile failed', { error: errorMessage(e) }),
  });
  cluster.onChange(() => loop.trigger());
  await retryUntil(() => cluster.start(stop.signal), { what: 'cluster watch', log, signal: stop.signal });
  synced = true;
  loop.trigger();
  const ticker = setInterval(() => loop.trigger(), config.cleanupIntervalMs);

  const sig = await terminated;
  // Upstream PR #1347: probes fail first, so the LB moves new flows away, then the daemon exits.
  log.info('draining', { signal: sig, drainDelayMs: config.probe.drainDelayMs });
  probe.startDraining();
  await new Promise((r) => setTimeout(r, config.probe.drainDelayMs));
  clearInterval(ticker);
  await loop.stop();
  if (config.withdrawOnExit) {
    // egret change: upstream leaves the data path up when the daemon exits. A gateway the LB no
    // longer sends to but that still forwards return traffic keeps each pod's WireGuard session
    // half alive (every packet from it resets the pod's 15 s re-handshake timer), so pods kept
    // sending into a session the other gateways cannot decrypt. Withdrawing makes this gateway
    // silent, and pods re-handshake through the LB with a healthy one.
    const r = await reconcile({ withdraw: true }).catch((e: unknown) => {
      log.error('withdraw failed', { error: errorMessage(e) });
      return undefined;
    });
    log.info('withdrawn', { converged: r?.converged ?? false });
  }
  await cluster.stop();
  await probe.close();
  await health.close();
  log.info('stopped');
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`gateway-daemon: ${errorMessage(e)}\n`);
  process.exit(1);
});
