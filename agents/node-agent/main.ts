/**
 * Node agent entry point (DaemonSet on every non-gateway node): chains egret-cni into the node's CNI
 * configuration, serves the plugin on a unix socket, and serves health and metrics.
 * `main.js uninstall` removes the chained conflist and exits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadNodeAgentConfig } from '../common/agentConfig.js';
import { createExecRunner } from '../common/commandRunner.js';
import { startHealthServer } from '../common/healthServer.js';
import { createClientNodeAgentCluster } from '../common/kube/clientNodeCluster.js';
import { loadKubeConfig } from '../common/kube/kubeConfig.js';
import { errorMessage } from '../../shared/core/errors.js';
import { createLogger } from '../common/logger.js';
import { MetricsRegistry } from '../common/metrics.js';
import { terminationSignal } from '../common/process.js';
import { createWireGuardDriver, selectWireGuardMode } from '../common/wireguard.js';
import { CniConfInstaller, egretPluginEntry } from './cniConf.js';
import { startCniServer } from './cniServer.js';
import { CniService } from './cniService.js';
import { TunnelWatchdog } from './tunnelWatchdog.js';

/** The cni-uninstall switch: the mounted ConfigMap key says "true". */
function uninstallRequested(file: string): boolean {
  return existsSync(file) && readFileSync(file, 'utf8').trim() === 'true';
}

async function main(): Promise<void> {
  const config = loadNodeAgentConfig();
  const log = createLogger('node-agent', { level: config.logLevel });
  const metrics = new MetricsRegistry();
  const confFailures = metrics.counter('egret_cni_config_failures_total', 'Failed CNI configuration syncs.');
  const installer = new CniConfInstaller({
    confDir: config.cniConfDir,
    confFile: config.cniConfFile,
    binDir: config.cniBinDir,
    pluginCommand: config.pluginCommand,
    entry: egretPluginEntry({
      socketPath: config.socketPath,
      heartbeatFile: config.heartbeatFile,
      agentGoneAfterSeconds: config.agentGoneAfterSeconds,
    }),
    resyncMs: config.confResyncMs,
    log,
    onError: () => confFailures.inc(),
    uninstallRequested: () => uninstallRequested(config.uninstallFile),
  });
  if (process.argv[2] === 'uninstall') {
    installer.uninstall();
    return;
  }
  const runner = createExecRunner();
  const mode = await selectWireGuardMode(config.wireguardMode, runner);
  const wg = createWireGuardDriver(mode, runner);
  const watchdog =
    config.tunnelStallMs > 0
      ? new TunnelWatchdog({
          wg,
          intervalMs: config.tunnelCheckIntervalMs,
          stallMs: config.tunnelStallMs,
          log,
          metrics,
        })
      : undefined;
  watchdog?.start();
  const service = new CniService({
    cluster: createClientNodeAgentCluster({
      kubeConfig: loadKubeConfig(config.kubeconfig),
      nodeName: config.nodeName,
    }),
    runner,
    wg,
    nodeExceptionCidrs: config.exceptionCidrs,
    clusterCidrs: config.clusterCidrs,
    log,
    metrics,
    ...(watchdog === undefined ? {} : { watchdog }),
  });
  const server = await startCniServer({ socketPath: config.socketPath, service, log });
  // The server listens before the conflist names it: a pod ADD never finds the socket missing.
  installer.start();
  const health = await startHealthServer({
    ...config.metrics,
    metrics,
    isReady: () => existsSync(installer.confPath),
  });
  log.info('started', {
    node: config.nodeName,
    wireguard: mode,
    socket: config.socketPath,
    conf: installer.confPath,
  });

  const sig = await terminationSignal();
  installer.stop();
  watchdog?.stop();
  // Upstream's cni-uninstall ConfigMap: only an explicit "true" takes egret out of the chain; a plain
  // restart (rolling update) must not let annotated pods start without their gateway in between. The
  // switch is also read on every sync, so `uninstall: "true"` removes the conflist while the agent runs.
  const uninstall = uninstallRequested(config.uninstallFile);
  if (uninstall) installer.uninstall();
  await server.close();
  await health.close();
  log.info('stopped', { signal: sig, uninstalled: uninstall });
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`node-agent: ${errorMessage(e)}\n`);
  process.exit(1);
});
