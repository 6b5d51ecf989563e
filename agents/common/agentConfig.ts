/**
 * The in-cluster agents' settings: the only place the agents read `process.env` (STYLE.md §5; the
 * control plane's reader is shared/config.ts). Every setting is declared with its default and
 * meaning; a bad value stops the agent at start with one ConfigError listing every problem.
 */
import { ConfigError, errorMessage } from '../../shared/core/errors.js';
import { isIPv4Cidr } from './gatewayConfig.js';
import type { LogLevel } from './logger.js';
import type { WireGuardMode } from './wireguard.js';

export interface AgentSettingSpec {
  readonly name: string;
  readonly default?: string;
  readonly description: string;
}

const COMMON: readonly AgentSettingSpec[] = [
  { name: 'MY_NODE_NAME', description: 'Kubernetes node name (downward API spec.nodeName). Required.' },
  { name: 'KUBECONFIG', description: 'kubeconfig file; empty = the in-cluster service account.' },
  {
    name: 'WIREGUARD_MODE',
    default: 'auto',
    description: 'kernel | userspace (wireguard-go) | auto (kernel when the module loads).',
  },
  {
    name: 'METRICS_BIND_ADDRESS',
    default: '0.0.0.0',
    description: 'Address of the /metrics, /healthz, /readyz server.',
  },
  { name: 'METRICS_PORT', default: '8080', description: 'Port of the /metrics, /healthz, /readyz server.' },
  { name: 'EGRET_LOG_LEVEL', default: 'info', description: 'debug | info | warn | error.' },
];

/** Settings of the gateway daemon (DaemonSet on gateway nodes). */
export const GATEWAY_DAEMON_SETTINGS: readonly AgentSettingSpec[] = [
  ...COMMON,
  {
    name: 'MY_POD_NAMESPACE',
    description: "The daemon's namespace: its GatewayStatus objects live there. Required.",
  },
  {
    name: 'KEY_SECRET_NAMESPACE',
    description:
      "Namespace of the WireGuard key Secrets the relay writes (the relay's KEY_SECRET_NAMESPACE); the only " +
      "namespace whose Secrets the daemon reads. Empty = the daemon's namespace.",
  },
  {
    name: 'IMDS_ENDPOINT',
    default: 'http://169.254.169.254',
    description: 'Azure Instance Metadata Service base URL.',
  },
  {
    name: 'GATEWAY_NETNS',
    default: 'ns-static-egress-gateway',
    description: 'The gateway network namespace.',
  },
  {
    name: 'HOST_INTERFACE',
    default: 'eth0',
    description: "The node's primary interface (ILB IP goes there).",
  },
  {
    name: 'LB_PROBE_BIND_ADDRESS',
    default: '0.0.0.0',
    description: 'Address of the LB health-probe server.',
  },
  {
    name: 'LB_PROBE_PORT',
    default: '8082',
    description: 'Port of the LB health-probe server (GET /gw/<uid>).',
  },
  {
    name: 'LB_PROBE_DRAIN_DELAY_SECONDS',
    default: '10',
    description: 'After SIGTERM, answer 503 this long before exiting.',
  },
  {
    name: 'CLEANUP_INTERVAL_SECONDS',
    default: '60',
    description: 'Full observe/plan/apply pass (drift repair, cleanup) interval.',
  },
  {
    name: 'WITHDRAW_ON_EXIT',
    default: 'true',
    description:
      "After the drain delay, remove this node's gateway devices, addresses and rules before exiting (upstream leaves them).",
  },
];

/** Settings of the node agent (DaemonSet on all other nodes). */
export const NODE_AGENT_SETTINGS: readonly AgentSettingSpec[] = [
  ...COMMON,
  {
    name: 'CNI_SOCKET',
    default: '/var/run/egret/node-agent.sock',
    description: 'Unix socket the CNI plugin calls.',
  },
  { name: 'CNI_CONF_DIR', default: '/etc/cni/net.d', description: "The node's CNI configuration directory." },
  {
    name: 'CNI_CONF_FILE',
    default: '01-egret.conflist',
    description: 'Name of the chained conflist egret writes (must sort first).',
  },
  {
    name: 'CNI_BIN_DIR',
    default: '/opt/cni/bin',
    description: 'Where the egret-cni plugin executable is installed.',
  },
  {
    name: 'CNI_PLUGIN_COMMAND',
    default: '["/opt/egret/bin/node","/opt/egret/lib/cni/egretCni.js"]',
    description: 'JSON array: the command the installed egret-cni wrapper runs (host paths).',
  },
  {
    name: 'EXCEPTION_CIDRS',
    default: '169.254.169.254/32,169.254.10.11/32',
    description: 'Node-wide destinations never tunnelled (IMDS, node-local DNS; upstream PR #1356).',
  },
  {
    name: 'CLUSTER_CIDRS',
    default: '',
    description: 'Pod and service CIDRs, comma-separated: in-cluster traffic stays off the tunnel.',
  },
  {
    name: 'CNI_HEARTBEAT_FILE',
    default: '/var/run/egret/node-agent.heartbeat',
    description:
      'Host file the agent touches on every CNI configuration sync; egret-cni reads its age when the agent does not answer.',
  },
  {
    name: 'CNI_AGENT_GONE_AFTER_SECONDS',
    default: '300',
    description:
      'On a runtime that passes no pod annotations: with the agent unreachable and its heartbeat older than this, egret-cni takes egret as removed and passes pods through.',
  },
  {
    name: 'CNI_UNINSTALL_FILE',
    default: '/etc/egret/cni-uninstall/uninstall',
    description:
      'While this file (the egret-cni-uninstall ConfigMap key) says "true", the chained conflist is removed and not written again.',
  },
  {
    name: 'CNI_CONF_RESYNC_SECONDS',
    default: '10',
    description: 'Re-check the CNI configuration this often (besides file events).',
  },
  {
    name: 'TUNNEL_STALL_SECONDS',
    default: '3',
    description:
      "Reset a pod tunnel's session when it sent but received nothing this long (faster failover than WireGuard's 15 s); 0 turns it off.",
  },
  {
    name: 'TUNNEL_CHECK_INTERVAL_SECONDS',
    default: '1',
    description: "How often pods' tunnel counters are sampled.",
  },
];

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly problems: string[] = [];
  constructor(
    private readonly env: Env,
    private readonly specs: readonly AgentSettingSpec[],
  ) {}

  str(name: string, required = false): string {
    const spec = this.specs.find((s) => s.name === name);
    if (spec === undefined) throw new ConfigError(`setting ${name} is not declared`);
    const v = this.env[name]?.trim();
    const value = v === undefined || v === '' ? (spec.default ?? '') : v;
    if (required && value === '') this.problems.push(`${name} is required: ${spec.description}`);
    return value;
  }

  int(name: string, min: number, max: number): number {
    const v = this.str(name);
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max)
      this.problems.push(`${name}=${JSON.stringify(v)} is not an integer in [${min}, ${max}]`);
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.str(name);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name}=${JSON.stringify(v)} is unknown; expected one of: ${allowed.join(', ')}`);
    return allowed[0] as T;
  }

  cidrs(name: string): string[] {
    const list = this.str(name)
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    for (const c of list)
      if (!isIPv4Cidr(c)) this.problems.push(`${name}: ${JSON.stringify(c)} is not an IPv4 CIDR`);
    return list;
  }

  done(): void {
    if (this.problems.length > 0)
      throw new ConfigError(`invalid settings:\n  - ${this.problems.join('\n  - ')}`);
  }
}

interface CommonConfig {
  readonly nodeName: string;
  readonly kubeconfig?: string;
  readonly wireguardMode: WireGuardMode | 'auto';
  readonly metrics: { readonly host: string; readonly port: number };
  readonly logLevel: LogLevel;
}

function readCommon(r: Reader): CommonConfig {
  const kubeconfig = r.str('KUBECONFIG');
  return {
    nodeName: r.str('MY_NODE_NAME', true),
    ...(kubeconfig === '' ? {} : { kubeconfig }),
    wireguardMode: r.oneOf('WIREGUARD_MODE', ['auto', 'kernel', 'userspace'] as const),
    metrics: { host: r.str('METRICS_BIND_ADDRESS'), port: r.int('METRICS_PORT', 0, 65535) },
    logLevel: r.oneOf('EGRET_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const),
  };
}

export interface GatewayDaemonConfig extends CommonConfig {
  readonly namespace: string;
  /** Where the key Secrets are watched (KEY_SECRET_NAMESPACE, else `namespace`). */
  readonly keySecretNamespace: string;
  readonly imdsEndpoint: string;
  readonly netns: string;
  readonly hostInterface: string;
  readonly probe: { readonly host: string; readonly port: number; readonly drainDelayMs: number };
  readonly cleanupIntervalMs: number;
  readonly withdrawOnExit: boolean;
}

/** @throws ConfigError naming every missing or invalid setting. */
export function loadGatewayDaemonConfig(env: Env = process.env): GatewayDaemonConfig {
  const r = new Reader(env, GATEWAY_DAEMON_SETTINGS);
  const common = readCommon(r);
  const imdsEndpoint = r.str('IMDS_ENDPOINT');
  if (!/^https?:\/\/[^\s]+$/.test(imdsEndpoint))
    r.problems.push(`IMDS_ENDPOINT=${JSON.stringify(imdsEndpoint)} is not an http URL`);
  const netns = r.str('GATEWAY_NETNS');
  if (!/^[A-Za-z0-9][-\w.]{0,62}$/.test(netns))
    r.problems.push(`GATEWAY_NETNS=${JSON.stringify(netns)} is not a namespace name`);
  const hostInterface = r.str('HOST_INTERFACE');
  if (!/^[-\w.]{1,10}$/.test(hostInterface))
    r.problems.push(
      `HOST_INTERFACE=${JSON.stringify(hostInterface)} is not an interface name of at most 10 characters (the ILB address label adds ":egress")`,
    );
  const config: GatewayDaemonConfig = {
    ...common,
    namespace: r.str('MY_POD_NAMESPACE', true),
    keySecretNamespace: r.str('KEY_SECRET_NAMESPACE') || r.str('MY_POD_NAMESPACE', true),
    imdsEndpoint,
    netns,
    hostInterface,
    probe: {
      host: r.str('LB_PROBE_BIND_ADDRESS'),
      port: r.int('LB_PROBE_PORT', 0, 65535),
      drainDelayMs: r.int('LB_PROBE_DRAIN_DELAY_SECONDS', 0, 3600) * 1000,
    },
    cleanupIntervalMs: r.int('CLEANUP_INTERVAL_SECONDS', 1, 86400) * 1000,
    withdrawOnExit: r.oneOf('WITHDRAW_ON_EXIT', ['true', 'false'] as const) === 'true',
  };
  r.done();
  return config;
}

export interface NodeAgentConfig extends CommonConfig {
  readonly socketPath: string;
  readonly cniConfDir: string;
  readonly cniConfFile: string;
  readonly cniBinDir: string;
  readonly pluginCommand: readonly string[];
  readonly exceptionCidrs: readonly string[];
  readonly clusterCidrs: readonly string[];
  readonly uninstallFile: string;
  readonly heartbeatFile: string;
  readonly agentGoneAfterSeconds: number;
  readonly confResyncMs: number;
  readonly tunnelStallMs: number;
  readonly tunnelCheckIntervalMs: number;
}

/** @throws ConfigError naming every missing or invalid setting. */
export function loadNodeAgentConfig(env: Env = process.env): NodeAgentConfig {
  const r = new Reader(env, NODE_AGENT_SETTINGS);
  const common = readCommon(r);
  let pluginCommand: string[] = [];
  const raw = r.str('CNI_PLUGIN_COMMAND');
  try {
    const parsed: unknown = JSON.parse(raw);
    if (
      !Array.isArray(parsed) ||
      parsed.length === 0 ||
      !parsed.every((x) => typeof x === 'string' && x !== '')
    )
      throw new Error('not a non-empty array of strings');
    pluginCommand = parsed as string[];
  } catch (e) {
    r.problems.push(`CNI_PLUGIN_COMMAND is not a JSON array of strings: ${errorMessage(e)}`);
  }
  const cniConfFile = r.str('CNI_CONF_FILE');
  if (!/^[\w.-]+\.conflist$/.test(cniConfFile))
    r.problems.push(`CNI_CONF_FILE=${JSON.stringify(cniConfFile)} must be a file name ending in .conflist`);
  const config: NodeAgentConfig = {
    ...common,
    socketPath: r.str('CNI_SOCKET'),
    cniConfDir: r.str('CNI_CONF_DIR'),
    cniConfFile,
    cniBinDir: r.str('CNI_BIN_DIR'),
    pluginCommand,
    exceptionCidrs: r.cidrs('EXCEPTION_CIDRS'),
    clusterCidrs: r.cidrs('CLUSTER_CIDRS'),
    uninstallFile: r.str('CNI_UNINSTALL_FILE'),
    heartbeatFile: r.str('CNI_HEARTBEAT_FILE'),
    agentGoneAfterSeconds: r.int('CNI_AGENT_GONE_AFTER_SECONDS', 30, 86400),
    confResyncMs: r.int('CNI_CONF_RESYNC_SECONDS', 1, 3600) * 1000,
    tunnelStallMs: r.int('TUNNEL_STALL_SECONDS', 0, 3600) * 1000,
    tunnelCheckIntervalMs: r.int('TUNNEL_CHECK_INTERVAL_SECONDS', 1, 3600) * 1000,
  };
  r.done();
  return config;
}
