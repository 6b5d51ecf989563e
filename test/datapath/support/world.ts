/**
 * The data-path world (test facade, STYLE.md §13): network namespaces for an external server, a
 * load-balancer stand-in that is also the VNet's router, two gateway nodes and one regular node with
 * pods; the Kubernetes API stand-in (real client-node adapters talk to it through a forwarder in each
 * node namespace); per-node IMDS stand-ins; the real gateway daemons and node agent as processes in
 * their node namespaces; and a CNI runtime stand-in that runs the conflist the agent installed.
 *
 * Addresses (all inside namespaces this world creates):
 *   VNet 10.0.0.0/24 on a bridge in `lb` (10.0.0.1 = router); gw1 10.0.0.11, gw2 10.0.0.12,
 *   node1 10.0.0.21; ILB frontend 10.0.1.100 (off-subnet, so nodes send it to the router, which
 *   spreads each rule's port over the healthy gateways by ECMP); the external network 203.0.113.0/24
 *   (server .10 and .20, router .1); pods 10.244.1.0/24 on node1's bridge `cbr0` (10.244.1.1).
 *   Every node masquerades traffic leaving eth0 for outside 10.0.0.0/8 (what the cluster's network
 *   plugin / ip-masq-agent do), so egress IPs only survive if the gateway's NAT exemption works.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JsonObject } from '../../../infra/local/kube/json.js';
import { startKubeStandIn, type KubeStandIn } from '../../../infra/local/kube/startKubeStandIn.js';
import { wireGuardControlName } from '../../../agents/common/wireguard.js';
import {
  cleanupRun,
  cleanupStaleRuns,
  newRunPrefix,
  removeStaleWireGuardSockets,
  RUN_MARKER_ENV,
} from './cleanup.js';
import { egretCrds } from './crds.js';
import { Proc } from './proc.js';

export const REPO = resolve(import.meta.dirname, '../../..');
const TSX = import.meta.resolve('tsx');
export const APP_NAMESPACE = 'default';
export const GROUP_VERSION = 'egressgateway.kubernetes.azure.com/v1alpha1';
export const EGRET_NAMESPACE = 'egret-system';
export const ILB_IP = '10.0.1.100';
export const EXTERNAL_IP = '203.0.113.10';
export const EXTERNAL_IP_2 = '203.0.113.20';
export const ECHO_PORT = 8080;
export const PROBE_PORT = 8082;
export const NODE1_IP = '10.0.0.21';

export interface GatewayNodeSpec {
  readonly name: string;
  readonly ip: string;
  readonly computerName: string;
}

export const GATEWAY_NODES: readonly GatewayNodeSpec[] = [
  { name: 'gw1', ip: '10.0.0.11', computerName: 'gwpool-vmss000000' },
  { name: 'gw2', ip: '10.0.0.12', computerName: 'gwpool-vmss000001' },
];

/** A configuration the world publishes as the control plane would (status ready). */
export interface ConfigurationSpec {
  readonly name: string;
  readonly port: number;
  /** secondary IP per gateway node name. */
  readonly secondaryIps: Readonly<Record<string, string>>;
  readonly excludeCidrs?: readonly string[];
  readonly defaultRoute?: 'staticEgressGateway' | 'azureNetworking';
  /** How the configuration names the pool: by AKS pool name or by VMSS profile. */
  readonly selector: 'nodepool' | 'vmss';
  readonly ready?: boolean;
}

export interface Pod {
  readonly name: string;
  readonly ns: string;
  readonly netnsPath: string;
  readonly ip: string;
  readonly containerId: string;
}

export interface CniOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sh(cmd: string, args: readonly string[], input?: string): string {
  return execFileSync(cmd, [...args], { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
}

/** What the data-path tests need before they can run (root and the Debian tools). */
export function dataPathPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['ip', 'nft', 'wg', 'wireguard-go', 'nsenter']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs ${tool}`;
    }
  }
  return undefined;
}

export class DataPathWorld {
  readonly prefix = newRunPrefix();
  readonly dir = join(tmpdir(), `egret-${this.prefix}`);
  readonly procs: Proc[] = [];
  readonly gatewayDaemons = new Map<string, Proc>();
  kube!: KubeStandIn;
  lb!: Proc;
  agent!: Proc;
  private readonly servers: (Server | HttpServer)[] = [];
  private podCount = 0;
  readonly pods = new Map<string, Pod>();
  readonly confDir: string;
  readonly binDir: string;

  constructor(readonly options: { readonly probeIntervalMs: number; readonly drainDelaySeconds: number }) {
    this.confDir = join(this.dir, 'cni', 'net.d');
    this.binDir = join(this.dir, 'cni', 'bin');
  }

  ns(role: string): string {
    return `${this.prefix}-${role}`;
  }

  private exec(role: string, cmd: string, args: readonly string[]): string {
    return sh('ip', ['netns', 'exec', this.ns(role), cmd, ...args]);
  }

  /** Sets sysctls inside a namespace by writing /proc/sys (no dependency on sysctl(8)). */
  private sysctls(role: string, values: Readonly<Record<string, string>>): void {
    for (const [k, v] of Object.entries(values))
      this.exec(role, 'sh', ['-c', 'printf %s "$1" > "$0"', `/proc/sys/${k.replace(/\./g, '/')}`, v]);
  }

  private nft(role: string, rules: string): void {
    sh('ip', ['netns', 'exec', this.ns(role), 'nft', '-f', '-'], rules);
  }

  /** Builds namespaces, links and routes, then starts every process. */
  async start(configurations: readonly ConfigurationSpec[]): Promise<void> {
    cleanupStaleRuns();
    mkdirSync(this.confDir, { recursive: true });
    mkdirSync(this.binDir, { recursive: true });
    this.buildNetwork(configurations);
    this.kube = await startKubeStandIn({
      namespaces: ['default', 'kube-system', EGRET_NAMESPACE],
      bookmarkIntervalMs: 0,
    });
    for (const crd of egretCrds()) this.kube.create(crd);
    for (const n of [...GATEWAY_NODES.map((g) => g.name), 'node1'])
      this.kube.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: n } });
    await this.startBridges();
    for (const c of configurations) this.publishConfiguration(c);
    const starts: Promise<unknown>[] = [];
    this.lb = this.spawnHelper('lb', 'lb', {
      frontends: configurations.map((c) => ({
        ip: ILB_IP,
        port: c.port,
        probePath: `/gw/${this.configurationUid(c.name)}`,
      })),
      backends: GATEWAY_NODES.map((g) => g.ip),
      probePort: PROBE_PORT,
      intervalMs: this.options.probeIntervalMs,
    });
    starts.push(this.lb.waitForLine((l) => l === 'READY', 20_000));
    const echo = this.spawnHelper('ext', 'echo-server', { port: ECHO_PORT });
    starts.push(echo.waitForLine((l) => l === 'READY', 20_000));
    for (const g of GATEWAY_NODES) this.startGatewayDaemon(g);
    this.agent = this.startNodeAgent();
    await Promise.all(starts);
  }

  private buildNetwork(configurations: readonly ConfigurationSpec[]): void {
    const roles = ['lb', 'ext', ...GATEWAY_NODES.map((g) => g.name), 'node1'];
    for (const r of roles) {
      sh('ip', ['netns', 'add', this.ns(r)]);
      sh('ip', ['-n', this.ns(r), 'link', 'set', 'lo', 'up']);
    }
    const lb = this.ns('lb');
    // A router that forwards back out of the interface a packet came in on sends ICMP redirects
    // (send_redirects is OR-ed over all/interface, so set it before br0 exists); nodes would then
    // bypass the LB stand-in and its health-based routing.
    this.sysctls('lb', {
      'net.ipv4.conf.all.send_redirects': '0',
      'net.ipv4.conf.default.send_redirects': '0',
    });
    sh('ip', ['-n', lb, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', lb, 'addr', 'add', '10.0.0.1/24', 'dev', 'br0']);
    sh('ip', ['-n', lb, 'link', 'set', 'br0', 'up']);
    this.sysctls('lb', { 'net.ipv4.ip_forward': '1', 'net.ipv4.fib_multipath_hash_policy': '1' });
    // external network
    sh('ip', [
      'link',
      'add',
      'eth0',
      'netns',
      this.ns('ext'),
      'type',
      'veth',
      'peer',
      'name',
      'ext0',
      'netns',
      lb,
    ]);
    sh('ip', ['-n', lb, 'addr', 'add', '203.0.113.1/24', 'dev', 'ext0']);
    sh('ip', ['-n', lb, 'link', 'set', 'ext0', 'up']);
    sh('ip', ['-n', this.ns('ext'), 'addr', 'add', `${EXTERNAL_IP}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', this.ns('ext'), 'addr', 'add', `${EXTERNAL_IP_2}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', this.ns('ext'), 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', this.ns('ext'), 'route', 'add', 'default', 'via', '203.0.113.1']);
    // nodes on the VNet bridge
    const nodes = [
      ...GATEWAY_NODES.map((g) => ({ role: g.name, ip: g.ip })),
      { role: 'node1', ip: NODE1_IP },
    ];
    for (const n of nodes) {
      const ns = this.ns(n.role);
      sh('ip', [
        'link',
        'add',
        'eth0',
        'netns',
        ns,
        'type',
        'veth',
        'peer',
        'name',
        `v-${n.role}`,
        'netns',
        lb,
      ]);
      sh('ip', ['-n', lb, 'link', 'set', `v-${n.role}`, 'master', 'br0', 'up']);
      sh('ip', ['-n', ns, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', '10.0.0.1']);
      // Kubernetes nodes forward; a namespace made here copies the test host's settings.
      this.sysctls(n.role, { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.accept_redirects': '0' });
      this.nft(
        n.role,
        'table ip egret-test-cni {\n chain postrouting {\n  type nat hook postrouting priority srcnat; policy accept;\n' +
          '  oifname "eth0" ip daddr != 10.0.0.0/8 masquerade\n }\n}\n',
      );
    }
    // the "VNet" knows which NIC owns which secondary IP (Azure delivers it to the NIC)
    for (const c of configurations)
      for (const g of GATEWAY_NODES) {
        const ip = c.secondaryIps[g.name];
        if (ip !== undefined) sh('ip', ['-n', lb, 'route', 'add', `${ip}/32`, 'via', g.ip]);
      }
    sh('ip', ['-n', lb, 'route', 'add', '10.244.1.0/24', 'via', NODE1_IP]);
    // ILB: one policy table per rule (port); the lb helper fills it with the healthy gateways
    const marks = configurations
      .map((c) => `  ip daddr ${ILB_IP} udp dport ${c.port} meta mark set ${c.port}\n`)
      .join('');
    this.nft(
      'lb',
      `table ip egret-test-lb {\n chain prerouting {\n  type filter hook prerouting priority mangle; policy accept;\n${marks} }\n}\n`,
    );
    for (const c of configurations)
      sh('ip', ['-n', lb, 'rule', 'add', 'fwmark', String(c.port), 'lookup', String(c.port)]);
    // node1's pod bridge (what the main CNI plugin set up)
    const n1 = this.ns('node1');
    sh('ip', ['-n', n1, 'link', 'add', 'cbr0', 'type', 'bridge']);
    sh('ip', ['-n', n1, 'addr', 'add', '10.244.1.1/24', 'dev', 'cbr0']);
    sh('ip', ['-n', n1, 'link', 'set', 'cbr0', 'up']);
    writeFileSync(
      join(this.confDir, '10-testnet.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'testnet',
        plugins: [{ type: 'bridge', bridge: 'cbr0' }, { type: 'portmap' }],
      }),
    );
  }

  /** Unix sockets the forwarders in the node namespaces connect to: kube API and per-node IMDS. */
  private async startBridges(): Promise<void> {
    const kubePort = Number(new URL(this.kube.url).port);
    const kubeSock = join(this.dir, 'kube.sock');
    const kubeBridge = createServer((c) => {
      const up = connect(kubePort, '127.0.0.1');
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
      c.pipe(up).pipe(c);
    });
    await new Promise<void>((r) => kubeBridge.listen(kubeSock, r));
    this.servers.push(kubeBridge);
    const waits: Promise<string>[] = [];
    for (const role of [...GATEWAY_NODES.map((g) => g.name), 'node1']) {
      const g = GATEWAY_NODES.find((x) => x.name === role);
      const imdsSock = join(this.dir, `imds-${role}.sock`);
      const imds = createHttpServer((req, res) => {
        if (req.headers.metadata !== 'true' || !(req.url ?? '').startsWith('/metadata/instance')) {
          res.writeHead(400).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            compute: {
              name: g?.computerName ?? role,
              osProfile: { computerName: g?.computerName ?? role },
              vmScaleSetName: g === undefined ? '' : 'gwpool-vmss',
              resourceGroupName: 'rg-egret-nodes',
              tags:
                g === undefined
                  ? 'aks-managed-poolName:nodepool1'
                  : 'aks-managed-poolName:gwpool;aks-managed-createOperationID:x',
            },
          }),
        );
      });
      await new Promise<void>((r) => imds.listen(imdsSock, r));
      this.servers.push(imds);
      const fwd = this.spawnHelper(role, 'forward', {
        listen: [
          { host: '127.0.0.1', port: kubePort, socket: kubeSock },
          { host: '127.0.0.1', port: 16999, socket: imdsSock },
        ],
      });
      waits.push(fwd.waitForLine((l) => l === 'READY', 20_000));
    }
    await Promise.all(waits);
  }

  private nodeCommand(role: string, args: readonly string[]): { cmd: string; args: string[] } {
    return {
      cmd: 'nsenter',
      args: [`--net=/var/run/netns/${this.ns(role)}`, '--', process.execPath, '--import', TSX, ...args],
    };
  }

  private spawnHelper(role: string, mode: string, config: unknown): Proc {
    const c = this.nodeCommand(role, [
      join(REPO, 'test/datapath/support/helper.ts'),
      mode,
      JSON.stringify(config),
    ]);
    const p = new Proc(`${mode}@${role}`, c.cmd, c.args, {
      env: { [RUN_MARKER_ENV]: this.prefix },
      cwd: REPO,
    });
    this.procs.push(p);
    return p;
  }

  startGatewayDaemon(g: GatewayNodeSpec): Proc {
    const c = this.nodeCommand(g.name, [join(REPO, 'agents/gateway-daemon/main.ts')]);
    const p = new Proc(`gateway-daemon@${g.name}`, c.cmd, c.args, {
      cwd: REPO,
      env: {
        [RUN_MARKER_ENV]: this.prefix,
        MY_NODE_NAME: g.name,
        MY_POD_NAMESPACE: EGRET_NAMESPACE,
        KUBECONFIG: this.kube.kubeconfigPath,
        IMDS_ENDPOINT: 'http://127.0.0.1:16999',
        GATEWAY_NETNS: this.ns(`${g.name}-gw`),
        WIREGUARD_MODE: 'userspace',
        LB_PROBE_PORT: String(PROBE_PORT),
        LB_PROBE_DRAIN_DELAY_SECONDS: String(this.options.drainDelaySeconds),
        CLEANUP_INTERVAL_SECONDS: '5',
        METRICS_PORT: '18080',
      },
    });
    this.procs.push(p);
    this.gatewayDaemons.set(g.name, p);
    return p;
  }

  private startNodeAgent(): Proc {
    const c = this.nodeCommand('node1', [join(REPO, 'agents/node-agent/main.ts')]);
    const p = new Proc('node-agent@node1', c.cmd, c.args, {
      cwd: REPO,
      env: {
        [RUN_MARKER_ENV]: this.prefix,
        MY_NODE_NAME: 'node1',
        KUBECONFIG: this.kube.kubeconfigPath,
        WIREGUARD_MODE: 'userspace',
        CNI_SOCKET: join(this.dir, 'agent.sock'),
        CNI_CONF_DIR: this.confDir,
        CNI_BIN_DIR: this.binDir,
        CNI_PLUGIN_COMMAND: JSON.stringify([
          process.execPath,
          '--import',
          TSX,
          join(REPO, 'agents/node-agent/cni/egretCni.ts'),
        ]),
        CLUSTER_CIDRS: '10.244.0.0/16,10.0.0.0/24',
        CNI_UNINSTALL_FILE: join(this.dir, 'uninstall'),
        CNI_HEARTBEAT_FILE: join(this.dir, 'node-agent.heartbeat'),
        METRICS_PORT: '18081',
      },
    });
    this.procs.push(p);
    return p;
  }

  /** Creates or replaces a configuration with a ready status, its key Secret, as the control plane would. */
  publishConfiguration(c: ConfigurationSpec): void {
    const selector =
      c.selector === 'nodepool'
        ? { gatewayNodepoolName: 'gwpool' }
        : {
            gatewayVmssProfile: {
              vmssResourceGroup: 'rg-egret-nodes',
              vmssName: 'gwpool-vmss',
              publicIpPrefixSize: 31,
            },
          };
    const base = {
      apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
      kind: 'StaticGatewayConfiguration',
      metadata: { namespace: APP_NAMESPACE, name: c.name },
      spec: {
        ...selector,
        provisionPublicIps: false,
        defaultRoute: c.defaultRoute ?? 'staticEgressGateway',
        excludeCidrs: [...(c.excludeCidrs ?? [])],
      },
    };
    const ref = { apiVersion: base.apiVersion, kind: base.kind, namespace: APP_NAMESPACE, name: c.name };
    if (this.kube.get(ref) === undefined) this.kube.create(base);
    const uid = this.configurationUid(c.name);
    const secretRef = { apiVersion: 'v1', kind: 'Secret', namespace: EGRET_NAMESPACE, name: `sgw-${uid}` };
    if (this.kube.get(secretRef) === undefined) {
      const privateKey = sh('wg', ['genkey']).trim();
      const publicKey = sh('wg', ['pubkey'], `${privateKey}\n`).trim();
      this.kube.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { namespace: EGRET_NAMESPACE, name: `sgw-${uid}` },
        data: {
          PrivateKey: Buffer.from(privateKey).toString('base64'),
          PublicKey: Buffer.from(publicKey).toString('base64'),
        },
      });
    }
    const data = this.kube.get(secretRef)?.data as Record<string, string>;
    const publicKey = Buffer.from(data.PublicKey ?? '', 'base64').toString();
    const ready = c.ready ?? true;
    const current = this.kube.get(ref) as { metadata: JsonObject };
    this.kube.put({
      ...base,
      metadata: current.metadata,
      status: ready
        ? {
            egressIpPrefix: GATEWAY_NODES.map((g) => c.secondaryIps[g.name]).join(','),
            gatewayServerProfile: {
              ip: ILB_IP,
              port: c.port,
              publicKey,
              privateKeySecretRef: {
                apiVersion: 'v1',
                kind: 'Secret',
                namespace: EGRET_NAMESPACE,
                name: `sgw-${uid}`,
              },
            },
            gatewayVMProfiles: GATEWAY_NODES.map((g) => ({
              nodeName: g.computerName,
              primaryIP: g.ip,
              secondaryIP: c.secondaryIps[g.name] ?? '',
            })),
          }
        : {},
    });
  }

  /** The uid the API assigned to a configuration. */
  configurationUid(name: string): string {
    const o = this.kube.get({
      apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
      kind: 'StaticGatewayConfiguration',
      namespace: APP_NAMESPACE,
      name,
    });
    return (o?.metadata as { uid?: string } | undefined)?.uid ?? '';
  }

  /** Creates the Pod object, its namespace and eth0 (the main plugin's work), then runs egret-cni ADD. */
  async addPod(name: string, annotation?: string): Promise<{ pod: Pod; add: CniOutcome }> {
    this.podCount += 1;
    const idx = this.podCount;
    const ip = `10.244.1.${idx + 1}`;
    const role = `pod${idx}`;
    const ns = this.ns(role);
    const containerId = `${this.prefix}c${idx}`.padEnd(64, '0');
    this.kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        namespace: APP_NAMESPACE,
        name,
        ...(annotation === undefined
          ? {}
          : { annotations: { 'kubernetes.azure.com/static-gateway-configuration': annotation } }),
      },
      spec: { nodeName: 'node1', containers: [{ name: 'app', image: 'app' }] },
    });
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const hostVeth = `vp${idx}`;
    sh('ip', [
      'link',
      'add',
      'eth0',
      'netns',
      ns,
      'type',
      'veth',
      'peer',
      'name',
      hostVeth,
      'netns',
      this.ns('node1'),
    ]);
    sh('ip', ['-n', this.ns('node1'), 'link', 'set', hostVeth, 'master', 'cbr0', 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', '10.244.1.1']);
    const pod: Pod = { name, ns, netnsPath: `/var/run/netns/${ns}`, ip, containerId };
    this.pods.set(name, pod);
    const prevResult = {
      cniVersion: '1.0.0',
      interfaces: [{ name: hostVeth }, { name: 'eth0', sandbox: pod.netnsPath }],
      ips: [{ address: `${ip}/24`, gateway: '10.244.1.1', interface: 1 }],
    };
    const add = await this.runChain('ADD', pod, prevResult);
    return { pod, add };
  }

  /** Runs egret-cni DEL, then deletes the pod's namespace and (unless asked not to) the Pod object. */
  async deletePod(name: string, options: { readonly keepObject?: boolean } = {}): Promise<CniOutcome> {
    const pod = this.pods.get(name);
    if (pod === undefined) throw new Error(`no pod ${name}`);
    const del = await this.runChain('DEL', pod);
    sh('ip', ['netns', 'del', pod.ns]);
    if (options.keepObject !== true)
      this.kube.remove({ apiVersion: 'v1', kind: 'Pod', namespace: APP_NAMESPACE, name });
    this.pods.delete(name);
    return del;
  }

  /** A PodEndpoint as the API holds it. */
  podEndpoint(name: string): Record<string, unknown> | undefined {
    return this.kube.get({
      apiVersion: GROUP_VERSION,
      kind: 'PodEndpoint',
      namespace: APP_NAMESPACE,
      name,
    });
  }

  /** A gateway node's GatewayStatus spec. */
  gatewayStatus(node: string): Record<string, unknown> | undefined {
    const o = this.kube.get({
      apiVersion: GROUP_VERSION,
      kind: 'GatewayStatus',
      namespace: EGRET_NAMESPACE,
      name: node,
    });
    return o?.spec as Record<string, unknown> | undefined;
  }

  /** `GET http://<ip>:<port><path>` from a namespace; resolves with the status and body. */
  async httpGet(
    fromNs: string,
    ip: string,
    port: number,
    path: string,
  ): Promise<{ status: number; body: string }> {
    const script =
      `require('http').get({host:'${ip}',port:${port},path:${JSON.stringify(path)},timeout:2000},r=>{let b='';` +
      `r.setEncoding('utf8');r.on('data',d=>b+=d);r.on('end',()=>{process.stdout.write(JSON.stringify({status:r.statusCode,body:b}));` +
      `process.exit(0)})}).on('error',e=>{process.stderr.write(e.message);process.exit(1)});`;
    return JSON.parse(await this.runScript(fromNs, script)) as { status: number; body: string };
  }

  /** `GET http://<ip>:<port><path>` from a namespace; resolves with the HTTP status (0 = no answer). */
  httpStatus(fromNs: string, ip: string, port: number, path: string): Promise<number> {
    const script =
      `require('http').get({host:'${ip}',port:${port},path:${JSON.stringify(path)},timeout:2000},r=>{r.resume();` +
      `process.stdout.write(String(r.statusCode));process.exit(0)}).on('error',()=>{process.stdout.write('0');process.exit(0)})` +
      `.on('timeout',function(){this.destroy()});`;
    return new Promise((resolveStatus) => {
      const child = spawn('ip', ['netns', 'exec', fromNs, process.execPath, '-e', script]);
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('exit', () => resolveStatus(Number(out || '0')));
    });
  }

  /** The conflist the runtime would use: the first configuration file by name. */
  activeConflist(): { file: string; plugins: Record<string, unknown>[]; cniVersion: string; name: string } {
    const file = readdirSync(this.confDir)
      .filter((f) => /\.(conflist|conf|json)$/.test(f))
      .sort()[0];
    if (file === undefined) throw new Error('no CNI configuration');
    const list = JSON.parse(readFileSync(join(this.confDir, file), 'utf8')) as {
      plugins: Record<string, unknown>[];
      cniVersion: string;
      name: string;
    };
    return { file, ...list };
  }

  /**
   * The CNI runtime stand-in: runs the active conflist. The main plugin (`bridge`) was emulated by
   * addPod; `egret-cni` is executed for real (as the runtime does, on the node, with CNI_* env and
   * the network config + prevResult on stdin); `portmap` is a no-op here.
   */
  async runChain(command: 'ADD' | 'DEL' | 'CHECK', pod: Pod, prevResult?: unknown): Promise<CniOutcome> {
    const list = this.activeConflist();
    const entry = list.plugins.find((p) => p.type === 'egret-cni');
    if (entry === undefined)
      return { code: 0, stdout: JSON.stringify(prevResult ?? {}), stderr: 'egret-cni not chained' };
    const conf = {
      cniVersion: list.cniVersion,
      name: list.name,
      ...entry,
      ...(prevResult === undefined ? {} : { prevResult }),
    };
    return this.execPlugin(command, pod, conf);
  }

  execPlugin(command: string, pod: Pod, conf: unknown): Promise<CniOutcome> {
    return new Promise((resolveOutcome) => {
      const child = spawn(
        'nsenter',
        [`--net=/var/run/netns/${this.ns('node1')}`, '--', join(this.binDir, 'egret-cni')],
        {
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            [RUN_MARKER_ENV]: this.prefix,
            CNI_COMMAND: command,
            CNI_CONTAINERID: pod.containerId,
            CNI_NETNS: pod.netnsPath,
            CNI_IFNAME: 'eth0',
            CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${APP_NAMESPACE};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`,
            CNI_PATH: this.binDir,
          },
          cwd: '/',
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('exit', (code) => resolveOutcome({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(JSON.stringify(conf));
    });
  }

  /**
   * One TCP request from a namespace: connects to `ip:port` and returns what the server answered
   * (the echo server answers the source address it saw). Rejects when the connection fails.
   */
  request(fromNs: string, ip: string, port = ECHO_PORT, timeoutMs = 3000): Promise<string> {
    const script =
      `const s=require('net').connect(${port},'${ip}');let d='';s.setEncoding('utf8');` +
      `s.on('data',x=>d+=x);s.on('end',()=>{process.stdout.write(d.trim());process.exit(0)});` +
      `s.on('error',e=>{process.stderr.write(e.message);process.exit(1)});` +
      `setTimeout(()=>{process.stderr.write('timeout');process.exit(2)},${timeoutMs});`;
    return new Promise((resolveAnswer, reject) => {
      const child = spawn('ip', ['netns', 'exec', fromNs, process.execPath, '-e', script], {
        env: { ...process.env, [RUN_MARKER_ENV]: this.prefix },
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('exit', (code) =>
        code === 0
          ? resolveAnswer(out)
          : reject(new Error(`request ${fromNs} → ${ip}:${port} failed: ${err}`)),
      );
    });
  }

  /** Retries `request` until it succeeds (or `deadlineMs` passes): for states reached asynchronously. */
  async requestEventually(fromNs: string, ip: string, deadlineMs: number, port = ECHO_PORT): Promise<string> {
    const end = Date.now() + deadlineMs;
    let last: unknown;
    while (Date.now() < end) {
      try {
        return await this.request(fromNs, ip, port, 2000);
      } catch (e) {
        last = e;
      }
    }
    throw new Error(
      `no successful request from ${fromNs} to ${ip}:${port} within ${deadlineMs} ms: ${String(last)}`,
    );
  }

  /** Starts a helper server (`echo-server`, `sink`, `pingpong`) inside one of the world's namespaces. */
  async startServer(role: string, mode: 'echo-server' | 'sink' | 'pingpong', port: number): Promise<Proc> {
    const p = this.spawnHelper(role, mode, { port });
    await p.waitForLine((l) => l === 'READY', 20_000);
    return p;
  }

  /** Runs a Node script inside a namespace and returns its stdout (rejects on a non-zero exit). */
  runScript(fromNs: string, script: string): Promise<string> {
    return new Promise((resolveOut, reject) => {
      const child = spawn('ip', ['netns', 'exec', fromNs, process.execPath, '-e', script], {
        env: { ...process.env, [RUN_MARKER_ENV]: this.prefix },
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('exit', (code) =>
        code === 0 ? resolveOut(out) : reject(new Error(`script in ${fromNs} failed: ${err}`)),
      );
    });
  }

  /** Starts an echo server inside a namespace (e.g. a pod, for the inbound-connection check). */
  async startEchoServer(fromNs: string, port: number): Promise<Proc> {
    const role = fromNs.slice(this.prefix.length + 1);
    const p = this.spawnHelper(role, 'echo-server', { port });
    await p.waitForLine((l) => l === 'READY', 20_000);
    return p;
  }

  /** `wg show <dev> dump` of a gateway node's `wg-<port>` (the daemon's userspace device). */
  gatewayPeers(gateway: string, port: number): string[] {
    const out = sh('ip', ['-n', this.ns(`${gateway}-gw`), '-json', 'link', 'show', `wg-${port}`]);
    if (out.trim() === '') return [];
    const ctl = wireGuardControlName({ netns: this.ns(`${gateway}-gw`), name: `wg-${port}` });
    const dump = sh('wg', ['show', ctl, 'dump']);
    return dump
      .trim()
      .split('\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => l.split('\t')[0] ?? '');
  }

  /** Waits for the LB stand-in to report exactly `healthy` for a rule port. */
  async waitForLb(port: number, healthy: readonly string[], timeoutMs: number): Promise<void> {
    const want = `HEALTHY ${port} ${[...healthy].join(' ')}`;
    const lines = this.lb.lines;
    const latest = [...lines]
      .reverse()
      .find((l) => l.startsWith(`HEALTHY ${port} `) || l === `HEALTHY ${port}`);
    if (latest?.trimEnd() === want.trimEnd()) return;
    await this.lb.waitForLine((l) => l.trimEnd() === want.trimEnd(), timeoutMs, lines.length);
  }

  /** Every process's recent output, for a failed test's message. */
  diagnostics(): string {
    return this.procs.map((p) => `--- ${p.name} (pid ${p.pid})\n${p.output().slice(-4000)}`).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop(2000)));
    for (const s of this.servers) s.close();
    await this.kube?.stop();
    cleanupRun(this.prefix);
    await removeStaleWireGuardSockets();
  }
}
