/**
 * The relay's entry point (composition root): reads the settings, wires the client-node adapters,
 * the control-plane client, metrics and the health server, runs until SIGTERM/SIGINT, then shuts down
 * gracefully (ends the leadership term, releases the lease, exits 0). A bad setting exits 1 with every
 * problem listed.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../../shared/core/errors.js';
import { createLogger } from '../common/logger.js';
import { terminationSignal } from '../common/process.js';
import { systemClock } from '../../shared/adapters/system/systemClock.js';
import { createClientNodeEventSink } from './clientNodeEventSink.js';
import { createClientNodeLeasePort, createClientNodeRelayCluster } from './clientNodeRelayCluster.js';
import { createControlPlaneClient } from './controlPlaneClient.js';
import { EventRecorder } from './eventRecorder.js';
import { Relay } from './relay.js';
import { describeRelayConfig, loadRelayConfig, type RelayConfig } from './relayConfig.js';
import { createRelayMetrics } from './relayMetrics.js';
import { startRelayServer } from './relayServer.js';

async function main(): Promise<number> {
  let config: RelayConfig;
  try {
    config = loadRelayConfig({ env: process.env, argv: process.argv.slice(2) });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`${JSON.stringify({ level: 'error', component: 'relay', message: e.message })}\n`);
    return 1;
  }
  const log = createLogger('relay', { level: config.logLevel });
  log.info('starting', describeRelayConfig(config));

  const kubeConfig = new KubeConfig();
  if (config.kubeconfig === undefined) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromFile(config.kubeconfig);

  const metrics = createRelayMetrics({ defaultMetrics: true });
  const relay = new Relay({
    clusterId: config.clusterId,
    namespace: config.keySecretNamespace,
    identity: config.identity,
    cluster: createClientNodeRelayCluster({ kubeConfig, clock: systemClock, log }),
    controlPlane: createControlPlaneClient({
      baseUrl: config.controlPlaneUrl,
      clusterId: config.clusterId,
      sharedSecret: config.sharedSecret,
      timeoutMs: config.requestTimeoutMs,
      clock: systemClock,
    }),
    leases: createClientNodeLeasePort({ kubeConfig, namespace: config.namespace, name: config.lease.name }),
    lease: config.lease,
    statusPollIntervalMs: config.statusPollIntervalMs,
    syncIntervalMs: config.syncIntervalMs,
    backoff: config.backoff,
    clock: systemClock,
    log,
    metrics,
    events: new EventRecorder({
      sink: createClientNodeEventSink({ kubeConfig }),
      instance: config.identity,
      clock: systemClock,
      log,
    }),
  });
  const server = await startRelayServer({
    host: config.server.host,
    port: config.server.port,
    registry: metrics.registry,
    isReady: () => relay.isReady(),
  });
  log.info('serving /healthz, /readyz and /metrics', { port: server.port });

  const terminated = terminationSignal();
  await Promise.race([relay.start(), terminated]);
  const signal = await terminated;
  log.info('shutting down', { signal });
  await relay.stop({ timeoutMs: config.shutdownTimeoutMs });
  await server.close();
  log.info('stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'error', component: 'relay', message: 'relay crashed', error: e instanceof Error ? e.stack : String(e) })}\n`,
    );
    process.exit(1);
  },
);
