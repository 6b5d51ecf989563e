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
import { createLogger, errorMessage } from '../common/logger.js';
import { MetricsRegistry } from '../common/metrics.js';
import { terminationSignal } from '../common/process.js';
import { createWireGuardDriver, selectWireGuardMode } from '../common/wireguard.js';
import { EGRET_CNI_TYPE } from './cni/cniProtocol.js';
import { CniConfInstaller } from './cniConf.js';
import { startCniServer } from './cniServer.js';
import { CniService } from './cniService.js';
import { TunnelWatchdog } from './tunnelWatchdog.js';

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
    entry: { type: EGRET_CNI_TYPE, socketPath: config.socketPath, timeoutMs: 20_000 },
    resyncMs: config.confResyncMs,
    log,
    onError: () => confFailures.inc(),
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
  // restart (rolling update) must not let pods start without their gateway in between.
  const uninstall =
    existsSync(config.uninstallFile) && readFileSync(config.uninstallFile, 'utf8').trim() === 'true';
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
