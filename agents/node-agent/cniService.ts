/**
 * What the node agent does for a CNI call (upstream cni-manager NicAdd/NicDel + the plugin's device
 * and route work, which here runs in the agent so the plugin stays a thin forwarder):
 *
 * ADD of an annotated pod: check the configuration is ready, create `wg0` in the pod's namespace
 * (socket in the node's namespace), generate the pod's key pair in memory, write the PodEndpoint,
 * configure the peer `<ILB IP>:<port>`, set routes and the ingress-reply rule. Any failure undoes
 * what this ADD did. Un-annotated pods pass through untouched.
 * DEL: remove `wg0` (when the namespace still exists) and the PodEndpoint; never fails.
 */
import { ValidationError, errorMessage } from '../../shared/core/errors.js';
import type { CommandRunner } from '../common/commandRunner.js';
import { isIPv4 } from '../common/gatewayConfig.js';
import { IpDriver } from '../common/ip.js';
import type { NodeAgentCluster } from '../common/kube/clusterPorts.js';
import { defaultRouteOf, excludeCidrsOf, gatewayEndpointOf } from '../common/gatewayConfig.js';
import type { StaticGatewayConfiguration } from '../../shared/core/staticGatewayConfiguration.js';
import type { Logger } from '../common/logger.js';
import type { MetricsRegistry } from '../common/metrics.js';
import { NftDriver } from '../common/nftables.js';
import { generateWireGuardKeyPair, type WireGuardDriver } from '../common/wireguard.js';
import type { TunnelWatchdog } from './tunnelWatchdog.js';
import {
  CNI_ERROR,
  type CniRequest,
  type CniResult,
  addInterface,
  convertResult,
  podIPv4,
} from './cni/cniProtocol.js';
import {
  POD_INGRESS_MARK,
  POD_NFT_TABLE,
  POD_WIREGUARD_LINK,
  cidrsByFamily,
  planPodRoutes,
  renderPodIngressRules,
  routeArgs,
} from './podNetwork.js';

/** Pod annotation that opts a pod in; value = configuration name in the pod's namespace. */
export const POD_GATEWAY_ANNOTATION = 'kubernetes.azure.com/static-gateway-configuration';

/** A CNI error the plugin prints as is. */
export class CniCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

export interface CniServiceDeps {
  readonly cluster: NodeAgentCluster;
  readonly runner: CommandRunner;
  readonly wg: WireGuardDriver;
  readonly nodeExceptionCidrs: readonly string[];
  readonly clusterCidrs: readonly string[];
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** Watches attached pods' tunnels for a gateway that stopped answering (optional). */
  readonly watchdog?: TunnelWatchdog;
}

/** The named namespace of a CNI_NETNS path (`/var/run/netns/<name>` or `/run/netns/<name>`). */
export function netnsName(path: string): string {
  const m = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(path);
  if (m?.[1] === undefined)
    throw new ValidationError([
      {
        field: 'CNI_NETNS',
        message: `${JSON.stringify(path)} is not a named network namespace under /var/run/netns`,
      },
    ]);
  return m[1];
}

/** True when pods may use the configuration (upstream: egressIpPrefix set; egret also needs the endpoint). */
export function isReadyForPods(c: StaticGatewayConfiguration): boolean {
  return gatewayEndpointOf(c) !== undefined;
}

export class CniService {
  private readonly ipd: IpDriver;
  private readonly nft: NftDriver;
  private readonly ops;

  constructor(private readonly deps: CniServiceDeps) {
    this.ipd = new IpDriver(deps.runner);
    this.nft = new NftDriver(deps.runner);
    this.ops = deps.metrics.counter(
      'egret_cni_operations_total',
      'CNI calls handled, by command and result.',
    );
  }

  async add(req: CniRequest, signal: AbortSignal): Promise<CniResult> {
    try {
      const r = await this.addInner(req, signal);
      this.ops.inc({ command: 'ADD', result: 'ok' });
      return r;
    } catch (e) {
      this.ops.inc({ command: 'ADD', result: 'error' });
      throw e;
    }
  }

  private async addInner(req: CniRequest, signal: AbortSignal): Promise<CniResult> {
    const { cluster, log } = this.deps;
    const prev = req.prevResult;
    if (prev === undefined)
      throw new CniCallError(CNI_ERROR.invalidConfig, "ADD needs the main plugin's prevResult");
    const podRef = { namespace: req.podNamespace, name: req.podName };
    const pod = await cluster.getPod(podRef, signal);
    if (pod === undefined)
      throw new CniCallError(
        CNI_ERROR.tryAgainLater,
        `pod ${req.podNamespace}/${req.podName} not found in the API`,
      );
    const gatewayName = pod.annotations[POD_GATEWAY_ANNOTATION];
    if (gatewayName === undefined || gatewayName === '') return convertResult(prev, req.cniVersion);

    const sgcRef = { namespace: req.podNamespace, name: gatewayName };
    const sgc = await cluster.getStaticGatewayConfiguration(sgcRef, signal);
    if (sgc === undefined)
      throw new CniCallError(
        CNI_ERROR.tryAgainLater,
        `pod ${podRef.namespace}/${podRef.name} has ${POD_GATEWAY_ANNOTATION}=${gatewayName}, but StaticGatewayConfiguration ${sgcRef.namespace}/${sgcRef.name} is not served: it does not exist (deleted, or not created yet); the pod starts once it exists and is ready, or without the annotation`,
      );
    if (!isReadyForPods(sgc))
      throw new CniCallError(
        CNI_ERROR.tryAgainLater,
        `StaticGatewayConfiguration ${sgcRef.namespace}/${sgcRef.name} is not ready: its egress IP prefix and gateway endpoint are not published yet`,
      );
    const server = gatewayEndpointOf(sgc);
    if (server === undefined)
      throw new CniCallError(CNI_ERROR.internal, 'unreachable: server profile vanished');
    const netns = netnsName(req.netns);
    const podIp = podIPv4(prev, req.netns);
    if (podIp === undefined || !isIPv4(podIp))
      throw new CniCallError(
        CNI_ERROR.invalidConfig,
        "the main plugin's result has no IPv4 address for the pod",
      );
    const eth0 = req.ifName;
    const routes = await this.ipd.routes({ netns });
    const gateway =
      routes.find((r) => r.dst === '0.0.0.0/0' && r.dev === eth0)?.gateway ??
      prev.ips?.find((ip) => ip.address.startsWith(`${podIp}/`))?.gateway;
    if (gateway === undefined || !isIPv4(gateway))
      throw new CniCallError(CNI_ERROR.invalidConfig, `the pod's ${eth0} has no IPv4 default gateway`);

    const ref = { netns, name: POD_WIREGUARD_LINK };
    const endpointRef = { namespace: req.podNamespace, name: req.podName };
    let podEndpointWritten = false;
    try {
      // A repeated ADD gets a fresh device and key (upstream regenerates the key too).
      await this.deps.wg.deleteLink(ref);
      await this.deps.wg.createLink(ref);
      const keys = generateWireGuardKeyPair();
      await cluster.applyPodEndpoint(
        {
          ...endpointRef,
          staticGatewayConfiguration: gatewayName,
          podIpAddress: `${podIp}/32`,
          podPublicKey: keys.publicKey,
          containerId: req.containerId,
        },
        { name: req.podName, uid: pod.uid },
        signal,
      );
      podEndpointWritten = true;
      await this.deps.wg.configure(ref, { privateKey: keys.privateKey });
      const peer = {
        publicKey: server.publicKey,
        endpoint: `${server.ip}:${server.port}`,
        allowedIps: ['0.0.0.0/0'],
      };
      await this.deps.wg.setPeer(ref, peer);
      const linkLocal = (await this.ipd.addresses({ netns, dev: eth0 })).find(
        (a) => a.family === 'inet6' && a.scope === 'link',
      );
      await this.ipd.ip(
        [
          'addr',
          'replace',
          linkLocal === undefined ? 'fe80::2/64' : `${linkLocal.local}/64`,
          'dev',
          POD_WIREGUARD_LINK,
        ],
        { netns },
      );
      await this.ipd.ip(['link', 'set', POD_WIREGUARD_LINK, 'up'], { netns });
      const changes = planPodRoutes({
        mode: defaultRouteOf(sgc),
        eth0,
        gateway,
        eth0Routes: routes,
        excludeCidrs: excludeCidrsOf(sgc),
        nodeExceptionCidrs: this.deps.nodeExceptionCidrs,
        clusterCidrs: this.deps.clusterCidrs,
      });
      const unusable = cidrsByFamily(excludeCidrsOf(sgc)).unusable;
      if (unusable.length > 0)
        log.warn('excludeCidrs entries that are no CIDR are skipped', {
          configuration: `${sgcRef.namespace}/${sgcRef.name}`,
          entries: unusable.join(', '),
        });
      for (const c of changes) {
        if (c.kind === 'delete') await this.ipd.ipTry(routeArgs(c), { netns });
        else await this.ipd.ip(routeArgs(c), { netns });
      }
      await this.nft.replaceTable({ family: 'ip', name: POD_NFT_TABLE, netns }, renderPodIngressRules(eth0));
      const mark = `0x${POD_INGRESS_MARK.toString(16)}`;
      const rules = await this.ipd.rules(netns);
      if (!rules.some((r) => r.fwmark === mark && r.table === String(POD_INGRESS_MARK)))
        await this.ipd.ip(
          ['rule', 'add', 'fwmark', mark, 'lookup', String(POD_INGRESS_MARK), 'priority', '100'],
          { netns },
        );
      // Packets that arrive on eth0 from sources whose best route is wg0 must pass reverse-path checks.
      await this.ipd.sysctl('net.ipv4.conf.all.rp_filter', '2', netns);
      await this.ipd.sysctl(`net.ipv4.conf.${eth0}.rp_filter`, '2', netns);
      this.deps.watchdog?.track(req.containerId, { ref, peer, pod: `${req.podNamespace}/${req.podName}` });
      log.info('pod attached', {
        pod: `${req.podNamespace}/${req.podName}`,
        configuration: gatewayName,
        podIp,
        mode: defaultRouteOf(sgc),
      });
    } catch (e) {
      log.warn('ADD failed; undoing', { pod: `${req.podNamespace}/${req.podName}`, error: errorMessage(e) });
      await this.deps.wg.deleteLink(ref).catch(() => undefined);
      if (podEndpointWritten)
        await cluster
          .deletePodEndpoint(endpointRef, { containerId: req.containerId }, signal)
          .catch(() => undefined);
      throw e instanceof CniCallError
        ? e
        : new CniCallError(CNI_ERROR.tryAgainLater, `egret ADD failed: ${errorMessage(e)}`);
    }
    return convertResult(
      addInterface(prev, { name: POD_WIREGUARD_LINK, sandbox: req.netns }),
      req.cniVersion,
    );
  }

  /** Never throws: DEL must succeed. */
  async del(req: CniRequest, signal: AbortSignal): Promise<void> {
    const { log } = this.deps;
    this.deps.watchdog?.untrack(req.containerId);
    try {
      const netns = netnsName(req.netns);
      if (await this.ipd.netnsExists(netns))
        await this.deps.wg.deleteLink({ netns, name: POD_WIREGUARD_LINK });
    } catch (e) {
      log.debug('DEL: no device to remove', { error: errorMessage(e) });
    }
    try {
      const outcome = await this.deps.cluster.deletePodEndpoint(
        { namespace: req.podNamespace, name: req.podName },
        { containerId: req.containerId },
        signal,
      );
      log.info('pod detached', { pod: `${req.podNamespace}/${req.podName}`, podEndpoint: outcome });
      this.ops.inc({ command: 'DEL', result: 'ok' });
    } catch (e) {
      // The PodEndpoint is also garbage-collected through its owner reference when the pod goes.
      log.warn('DEL: PodEndpoint not deleted', {
        pod: `${req.podNamespace}/${req.podName}`,
        error: errorMessage(e),
      });
      this.ops.inc({ command: 'DEL', result: 'error' });
    }
  }

  /** CHECK: an annotated pod must still have its device. */
  async check(req: CniRequest, signal: AbortSignal): Promise<void> {
    const pod = await this.deps.cluster.getPod({ namespace: req.podNamespace, name: req.podName }, signal);
    if (pod?.annotations[POD_GATEWAY_ANNOTATION] === undefined) return;
    const netns = netnsName(req.netns);
    const links = await this.ipd.links(netns);
    if (!links.some((l) => l.ifname === POD_WIREGUARD_LINK))
      throw new CniCallError(
        CNI_ERROR.internal,
        `pod ${req.podNamespace}/${req.podName} has no ${POD_WIREGUARD_LINK}`,
      );
  }
}
