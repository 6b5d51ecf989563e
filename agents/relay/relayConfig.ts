/**
 * The relay's settings: the only place the relay reads `process.env` and its command line (STYLE.md §5).
 * Every setting is declared once with its environment variable, its flag, its default and its meaning;
 * a flag (`--cluster-id=prod-1`) wins over the variable. `loadRelayConfig` validates everything at start
 * and throws one ConfigError listing every problem, so a misconfigured relay stops before it touches
 * the cluster.
 *
 * In the cluster the Deployment fills them from the downward API, the ConfigMap `egret-relay-config`
 * (`controlPlaneUrl`, `clusterId`) and the Secret `egret-relay-secret` (`sharedSecret`).
 */
import { ConfigError } from '../../shared/core/errors.js';
import { isTableSafeKey } from '../../shared/core/pool.js';

/** One setting. */
export interface RelaySettingSpec {
  /** Environment variable. */
  readonly name: string;
  /** Command-line flag (`--<flag>=<value>`); none for secrets, which must not show in `ps`. */
  readonly flag?: string;
  readonly default?: string;
  readonly secret?: boolean;
  readonly description: string;
}

/** Every setting the relay reads, in documentation order. */
export const RELAY_SETTINGS: readonly RelaySettingSpec[] = [
  {
    name: 'EGRET_CONTROL_PLANE_URL',
    flag: 'control-plane-url',
    description:
      'Base URL of the control plane Functions app (https; http only to a loopback address), e.g. ' +
      'https://egret-func.azurewebsites.net. The relay calls <url>/api/relay/events and /api/relay/status. Required.',
  },
  {
    name: 'EGRET_CLUSTER_ID',
    flag: 'cluster-id',
    description:
      'Identifies this cluster to the control plane (no / \\ # ? or control characters). Required.',
  },
  {
    name: 'EGRET_SHARED_SECRET',
    secret: true,
    description:
      'HMAC key shared with the control plane, at least 32 characters (from Secret egret-relay-secret, key ' +
      'sharedSecret). Required; never logged.',
  },
  {
    name: 'MY_POD_NAMESPACE',
    flag: 'namespace',
    description: "The relay's namespace (downward API): its Lease lives there. Required.",
  },
  {
    name: 'KEY_SECRET_NAMESPACE',
    description:
      'Namespace of the WireGuard key Secrets sgw-<uid>, which the relay creates and the gateway daemons ' +
      "read; apart from the relay's own namespace, so the daemons cannot read the relay's HMAC key " +
      "Secret. Empty = the relay's namespace.",
  },
  {
    name: 'MY_POD_NAME',
    flag: 'identity',
    description: "This replica's identity in the Lease (downward API metadata.name). Required.",
  },
  {
    name: 'KUBECONFIG',
    flag: 'kubeconfig',
    description: 'kubeconfig file; empty = the in-cluster service account.',
  },
  {
    name: 'LEASE_NAME',
    flag: 'lease-name',
    default: 'egret-relay',
    description: 'coordination.k8s.io Lease used for leader election.',
  },
  {
    name: 'LEASE_DURATION_SECONDS',
    flag: 'lease-duration',
    default: '15',
    description: 'How long a non-renewed lease stays valid; a standby replica takes over after this.',
  },
  {
    name: 'LEASE_RENEW_DEADLINE_SECONDS',
    flag: 'lease-renew-deadline',
    default: '10',
    description:
      'The leader stops acting when it could not renew for this long (less than the lease duration).',
  },
  {
    name: 'LEASE_RETRY_PERIOD_SECONDS',
    flag: 'lease-retry-period',
    default: '2',
    description: 'How often replicas try to acquire or renew the lease (less than the renew deadline).',
  },
  {
    name: 'STATUS_POLL_INTERVAL_SECONDS',
    flag: 'status-poll-interval',
    default: '10',
    description: 'How often the leader pulls relayStatus (also right after each forwarded batch).',
  },
  {
    name: 'SYNC_INTERVAL_SECONDS',
    flag: 'sync-interval',
    default: '300',
    description: 'How often the leader sends a full SYNC that heals anything missed.',
  },
  {
    name: 'REQUEST_TIMEOUT_SECONDS',
    flag: 'request-timeout',
    default: '30',
    description: 'Timeout of one control-plane request.',
  },
  {
    name: 'BACKOFF_INITIAL_MILLISECONDS',
    flag: 'backoff-initial',
    default: '1000',
    description: 'First retry delay after a failed control-plane request; doubles per failure.',
  },
  {
    name: 'BACKOFF_MAX_SECONDS',
    flag: 'backoff-max',
    default: '60',
    description: 'Longest retry delay.',
  },
  {
    name: 'SHUTDOWN_TIMEOUT_SECONDS',
    flag: 'shutdown-timeout',
    default: '10',
    description:
      'On SIGTERM, how long in-flight work may take before the lease is released and the relay exits.',
  },
  {
    name: 'METRICS_BIND_ADDRESS',
    flag: 'metrics-bind-address',
    default: '0.0.0.0',
    description: 'Address of the /metrics, /healthz and /readyz server.',
  },
  {
    name: 'METRICS_PORT',
    flag: 'metrics-port',
    default: '8080',
    description: 'Port of the /metrics, /healthz and /readyz server.',
  },
  {
    name: 'EGRET_LOG_LEVEL',
    flag: 'log-level',
    default: 'info',
    description: 'debug | info | warn | error.',
  },
];

/** Log levels, least to most severe. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The relay's validated settings. */
export interface RelayConfig {
  /** Without a trailing slash. */
  readonly controlPlaneUrl: string;
  readonly clusterId: string;
  readonly sharedSecret: string;
  readonly namespace: string;
  /** Where the WireGuard key Secrets live (KEY_SECRET_NAMESPACE, else `namespace`). */
  readonly keySecretNamespace: string;
  readonly identity: string;
  readonly kubeconfig?: string;
  readonly lease: {
    readonly name: string;
    readonly durationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  readonly statusPollIntervalMs: number;
  readonly syncIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly shutdownTimeoutMs: number;
  readonly server: { readonly host: string; readonly port: number };
  readonly logLevel: LogLevel;
}

/** Shortest shared secret accepted (e.g. `openssl rand -hex 32` gives 64 characters). */
export const MIN_SHARED_SECRET_LENGTH = 32;

type Env = Readonly<Record<string, string | undefined>>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Options of {@link loadRelayConfig}. */
export interface LoadRelayConfigOptions {
  readonly env: Env;
  /** Command-line arguments after the script (`process.argv.slice(2)`). */
  readonly argv?: readonly string[];
}

/** @throws ConfigError naming every missing, unknown or invalid setting. */
export function loadRelayConfig(options: LoadRelayConfigOptions): RelayConfig {
  const problems: string[] = [];
  const flags = parseFlags(options.argv ?? [], problems);
  const raw = (name: string): string => {
    const spec = RELAY_SETTINGS.find((s) => s.name === name);
    if (spec === undefined) throw new ConfigError(`setting ${name} is not declared`);
    const fromFlag = spec.flag === undefined ? undefined : flags.get(spec.flag);
    const value = (fromFlag ?? options.env[name] ?? '').trim();
    return value === '' ? (spec.default ?? '') : value;
  };
  const required = (name: string): string => {
    const value = raw(name);
    if (value === '') problems.push(`${name} is required: ${describe(name)}`);
    return value;
  };
  const seconds = (name: string, min: number, max: number): number => integer(name, min, max) * 1000;
  const integer = (name: string, min: number, max: number): number => {
    const value = raw(name);
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(value)} is not an integer in [${min}, ${max}]`);
      return min;
    }
    return n;
  };

  const controlPlaneUrl = required('EGRET_CONTROL_PLANE_URL');
  if (controlPlaneUrl !== '') checkUrl(controlPlaneUrl, problems);

  const clusterId = required('EGRET_CLUSTER_ID');
  if (clusterId !== '' && (!isTableSafeKey(clusterId) || clusterId.length > 128)) {
    problems.push(
      `EGRET_CLUSTER_ID=${JSON.stringify(clusterId)} must be 1–128 characters without / \\ # ? or control characters`,
    );
  }

  const sharedSecret = required('EGRET_SHARED_SECRET');
  if (sharedSecret !== '' && sharedSecret.length < MIN_SHARED_SECRET_LENGTH) {
    problems.push(`EGRET_SHARED_SECRET is too short: at least ${MIN_SHARED_SECRET_LENGTH} characters`);
  }

  const namespace = required('MY_POD_NAMESPACE');
  if (namespace !== '' && !DNS_LABEL.test(namespace)) {
    problems.push(`MY_POD_NAMESPACE=${JSON.stringify(namespace)} is not a namespace name`);
  }
  const keySecretNamespace = raw('KEY_SECRET_NAMESPACE') || namespace;
  if (!DNS_LABEL.test(keySecretNamespace) && keySecretNamespace !== '') {
    problems.push(`KEY_SECRET_NAMESPACE=${JSON.stringify(keySecretNamespace)} is not a namespace name`);
  }
  const identity = required('MY_POD_NAME');
  const kubeconfig = raw('KUBECONFIG');
  const leaseName = raw('LEASE_NAME');
  if (!DNS_SUBDOMAIN.test(leaseName))
    problems.push(`LEASE_NAME=${JSON.stringify(leaseName)} is not an object name`);

  const lease = {
    name: leaseName,
    durationMs: seconds('LEASE_DURATION_SECONDS', 2, 3600),
    renewDeadlineMs: seconds('LEASE_RENEW_DEADLINE_SECONDS', 1, 3600),
    retryPeriodMs: seconds('LEASE_RETRY_PERIOD_SECONDS', 1, 3600),
  };
  // client-go's rule: the leader must give up before anyone may take over, and must retry in between.
  if (lease.renewDeadlineMs >= lease.durationMs) {
    problems.push('LEASE_RENEW_DEADLINE_SECONDS must be less than LEASE_DURATION_SECONDS');
  }
  if (lease.retryPeriodMs >= lease.renewDeadlineMs) {
    problems.push('LEASE_RETRY_PERIOD_SECONDS must be less than LEASE_RENEW_DEADLINE_SECONDS');
  }

  const backoff = {
    initialMs: integer('BACKOFF_INITIAL_MILLISECONDS', 1, 3_600_000),
    maxMs: seconds('BACKOFF_MAX_SECONDS', 1, 3600),
  };
  if (backoff.initialMs > backoff.maxMs) {
    problems.push('BACKOFF_INITIAL_MILLISECONDS must not exceed BACKOFF_MAX_SECONDS');
  }

  const logLevel = raw('EGRET_LOG_LEVEL');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(
      `EGRET_LOG_LEVEL=${JSON.stringify(logLevel)} is unknown; expected one of: ${LOG_LEVELS.join(', ')}`,
    );
  }

  const config: RelayConfig = {
    controlPlaneUrl: controlPlaneUrl.replace(/\/+$/, ''),
    clusterId,
    sharedSecret,
    namespace,
    keySecretNamespace,
    identity,
    ...(kubeconfig === '' ? {} : { kubeconfig }),
    lease,
    statusPollIntervalMs: seconds('STATUS_POLL_INTERVAL_SECONDS', 1, 3600),
    syncIntervalMs: seconds('SYNC_INTERVAL_SECONDS', 10, 86_400),
    requestTimeoutMs: seconds('REQUEST_TIMEOUT_SECONDS', 1, 600),
    backoff,
    shutdownTimeoutMs: seconds('SHUTDOWN_TIMEOUT_SECONDS', 1, 600),
    server: { host: raw('METRICS_BIND_ADDRESS'), port: integer('METRICS_PORT', 0, 65535) },
    logLevel: logLevel as LogLevel,
  };
  if (problems.length > 0) {
    throw new ConfigError(`invalid relay settings:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

/** The settings as log fields, without the shared secret. */
export function describeRelayConfig(config: RelayConfig): Readonly<Record<string, unknown>> {
  const { sharedSecret: _secret, ...rest } = config;
  return rest;
}

function describe(name: string): string {
  return RELAY_SETTINGS.find((s) => s.name === name)?.description ?? '';
}

function parseFlags(argv: readonly string[], problems: string[]): Map<string, string> {
  const known = new Set(RELAY_SETTINGS.flatMap((s) => (s.flag === undefined ? [] : [s.flag])));
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z][a-z0-9-]*)=(.*)$/s.exec(arg);
    if (match === null) {
      problems.push(`argument ${JSON.stringify(arg)} is not of the form --<flag>=<value>`);
      continue;
    }
    const [, flag = '', value = ''] = match;
    if (!known.has(flag)) {
      problems.push(`unknown flag --${flag}; known flags: ${[...known].map((f) => `--${f}`).join(', ')}`);
      continue;
    }
    flags.set(flag, value);
  }
  return flags;
}

function checkUrl(value: string, problems: string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`EGRET_CONTROL_PLANE_URL=${JSON.stringify(value)} is not a URL`);
    return;
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    problems.push(
      `EGRET_CONTROL_PLANE_URL must use https (http is allowed only to a loopback address); got ${url.protocol}`,
    );
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    problems.push('EGRET_CONTROL_PLANE_URL must not carry a query, fragment or credentials');
  }
}
