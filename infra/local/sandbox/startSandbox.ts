/**
 * The local sandbox as a library: Azurite (tables, queues), the ARM stand-in seeded with the gateway
 * pools the issue names, and the local Functions host serving the control plane, with the stand-in's
 * Event Grid events delivered to `armEvents`; with `cluster`, also the cluster side — the Kubernetes
 * API stand-in with egret's CRDs and namespace, and relay processes pointed at the Functions host with
 * the same shared secret. `main.ts` (what `npm start` runs) and the tests use it.
 *
 * The cluster side is opt-in: a running relay sends full SYNCs, which would delete whatever a scenario
 * sends through the signed `relay` client directly under the same cluster id.
 *
 * By default the host loads the deployment package (dist/functions-app, `npm run package:functions`:
 * the esbuild bundle Azure runs, its package.json `main`) and the relay runs the relay image's bundle
 * (dist/images/relay/dist/agents/relay/main.js, `npm run package:images`); tests may pass the source modules and run the relay
 * from source instead.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signRelayHttpRequest } from '../../../shared/adapters/system/hmacSha256Hex.js';
import {
  parseRelayStatusResponse,
  type RelayEventsRequest,
  type RelayStatusItem,
} from '../../../shared/core/relayContract.js';
import type {
  StaticGatewayConfiguration,
  StaticGatewayConfigurationSpec,
} from '../../../shared/core/staticGatewayConfiguration.js';
import { API_GROUP_VERSION, STATIC_GATEWAY_CONFIGURATION_KIND } from '../../../shared/core/wellKnown.js';
import { startArmStandIn, type ArmStandIn, type StartArmStandInOptions } from '../arm/startArmStandIn.js';
import type { SeededWorld, WorldSpec } from '../arm/seedWorld.js';
import { startAzurite, type Azurite } from '../azurite/startAzurite.js';
import {
  startFunctionsHost,
  type FunctionsHost,
  type HostLogSink,
  type StartFunctionsHostOptions,
} from '../functions-host/startFunctionsHost.js';
import type { KubeStandInOptions } from '../kube/startKubeStandIn.js';
import { startRelayProcess, type RelayLogLine, type RelayProcess } from './startRelayProcess.js';
import { EGRET_SYSTEM_NAMESPACE, startSandboxKube, type SandboxKube } from './startSandboxKube.js';

/** The repository root (where package.json, host.json and dist/ are). */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** The Functions deployment package `npm run package:functions` writes (scripts/packageFunctions.ts). */
export const FUNCTIONS_APP_ROOT = join(REPO_ROOT, 'dist', 'functions-app');

/** The sandbox's gateway resource group (the AKS node resource group stand-in). */
export const SANDBOX_RESOURCE_GROUP = 'rg-egret';

/**
 * The seeded world (issue §6): a VMSS pool of 2 instances, an AKS VirtualMachines pool with
 * pre-created NICs, and two standalone VMs.
 */
export const SANDBOX_WORLD: WorldSpec = {
  resourceGroup: SANDBOX_RESOURCE_GROUP,
  vnet: { name: 'vnet-egret', subnets: [{ name: 'aks-subnet', addressPrefix: '10.224.0.0/16' }] },
  scaleSets: [{ name: 'aks-gw-vmss', capacity: 2, poolName: 'gw', gatewayPrefixSize: 31 }],
  vmPools: [{ poolName: 'vmgw', nicCount: 4, vmCount: 2, gatewayPrefixSize: 30 }],
  vms: [{ name: 'standalone-1' }, { name: 'standalone-2' }],
};

/** The sample configuration `npm start` applies: public IPs for the nodepool `gw` (the VMSS pool). */
export const SAMPLE_CONFIGURATION = { namespace: 'default', name: 'egret-sample' } as const;

export interface StartSandboxOptions {
  /** Source modules to load instead of the deployment package (tests). */
  readonly modules?: readonly string[];
  /** The Functions app folder to load (default {@link FUNCTIONS_APP_ROOT}, the deployment package). */
  readonly appRoot?: string;
  /** host.json content (default: the repository's). */
  readonly hostJson?: unknown;
  /** The seeded world (default {@link SANDBOX_WORLD}). */
  readonly world?: WorldSpec;
  /** Options of the ARM stand-in (latency, events, …). */
  readonly arm?: StartArmStandInOptions;
  readonly clusterId?: string;
  readonly relaySecret?: string;
  /** Extra or overriding app settings. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Where the host's log lines go (default: warnings and errors to stderr). */
  readonly log?: HostLogSink;
  /** Port of the Functions host (default: ephemeral). */
  readonly port?: number;
  /** Write `<stateDir>/local.settings.json` with the live settings (default false). */
  readonly writeSettingsFile?: boolean;
  /** Where the settings file goes (default `.state/sandbox` in the repository). */
  readonly stateDir?: string;
  /** Also start the cluster side: the Kubernetes API stand-in and the relay (default: not). */
  readonly cluster?: SandboxClusterOptions;
}

/** The cluster side of the sandbox. */
export interface SandboxClusterOptions {
  /** Relay replicas started with the sandbox (default 1; 0 = start them with `startRelay`). */
  readonly relayReplicas?: number;
  /** `built` (default): the relay image's bundle (dist/images/relay, `npm run build`), as the image runs it; `source`: through tsx. */
  readonly relayEntry?: 'built' | 'source';
  /** Relay settings by environment variable (agents/relay/relayConfig.ts), over {@link SANDBOX_RELAY_SETTINGS}. */
  readonly relaySettings?: Readonly<Record<string, string>>;
  /** Where the kubeconfig goes (default: a temp folder); removed by `stop()`. */
  readonly kubeconfigPath?: string;
  /** Every relay log line, with the replica's identity. */
  readonly onRelayLog?: (identity: string, line: RelayLogLine) => void;
  /** Options of the Kubernetes API stand-in. */
  readonly kube?: KubeStandInOptions;
}

/**
 * Relay settings of the sandbox: the status is pulled every 2 s (the default 10 s is for a cluster
 * talking to Azure), so a change shows on the custom resource soon after it converges.
 */
export const SANDBOX_RELAY_SETTINGS: Readonly<Record<string, string>> = {
  STATUS_POLL_INTERVAL_SECONDS: '2',
  SHUTDOWN_TIMEOUT_SECONDS: '5',
};

/** A signed client of the relay endpoints (what the relay does, minus Kubernetes). */
export interface RelayClient {
  /** POSTs a relayEvents body; returns status and parsed answer. */
  sendEvents(body: RelayEventsRequest): Promise<{ readonly status: number; readonly body: unknown }>;
  /** GETs relayStatus for the sandbox's cluster. */
  status(): Promise<readonly RelayStatusItem[]>;
}

/** The JSON line `npm start -- --json` prints. */
export interface SandboxDescription {
  readonly functionsBaseUrl: string;
  readonly relayEventsUrl: string;
  readonly relayStatusUrl: string;
  readonly adminEndpoint: string;
  readonly armEndpoint: string;
  readonly armCaPath: string;
  readonly armAdminEndpoint: string;
  readonly subscriptionId: string;
  readonly resourceGroups: readonly string[];
  readonly pools: {
    readonly vmss: readonly string[];
    readonly vmPools: readonly string[];
    readonly standaloneVms: readonly string[];
  };
  readonly storageConnectionString: string;
  readonly relaySharedSecret: string;
  readonly clusterId: string;
  /** The Kubernetes API stand-in (with `cluster`). */
  readonly kubernetesUrl?: string;
  /** A kubeconfig for it, for kubectl and client-node (with `cluster`). */
  readonly kubeconfigPath?: string;
}

export interface Sandbox {
  readonly azurite: Azurite;
  readonly arm: ArmStandIn;
  /** The running Functions host (a new one after `startControlPlane`). */
  readonly host: FunctionsHost;
  readonly seeded: SeededWorld;
  /** The app settings the host runs with. */
  readonly settings: Readonly<Record<string, string>>;
  readonly clusterId: string;
  /** The control plane's RELAY_SHARED_SECRET, which the relay processes get as EGRET_SHARED_SECRET. */
  readonly relaySecret: string;
  readonly relay: RelayClient;
  /** The cluster side (with `cluster`). */
  readonly kube: SandboxKube | undefined;
  /** Every relay process started, running or not, in start order. */
  readonly relays: readonly RelayProcess[];
  /** Starts one more relay replica (needs `cluster`); identities default to `egret-relay-<n>`. */
  startRelay(identity?: string): Promise<RelayProcess>;
  /** Stops the Functions host: the control plane is unreachable until `startControlPlane`. */
  stopControlPlane(): Promise<void>;
  /** Starts the Functions host again, on the same port (the relay and Event Grid keep their URL). */
  startControlPlane(): Promise<void>;
  describe(): SandboxDescription;
  /** Stops the relays (gracefully), the host (draining), the stand-ins and Azurite. Idempotent. */
  stop(): Promise<void>;
}

/** Starts everything; on failure stops what already started. */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<Sandbox> {
  const clusterId = options.clusterId ?? 'sandbox';
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const azurite = await startAzurite();
    stops.push(() => azurite.stop());
    const arm = await startArmStandIn({ ...options.arm });
    stops.push(() => arm.stop());
    const world = options.world ?? SANDBOX_WORLD;
    const seeded = await arm.admin.seed(world);
    const settings: Record<string, string> = {
      ...sandboxSettings({
        subscriptionId: arm.subscriptionId,
        location: seeded.location,
        resourceGroup: seeded.resourceGroup,
        vnetName: world.vnet?.name ?? 'vnet-egret',
        subnetName: world.vnet?.subnets?.[0]?.name ?? 'aks-subnet',
        armEndpoint: arm.endpoint,
        armCaPath: arm.caPath,
        storage: azurite.connectionString,
        relaySecret: options.relaySecret ?? 'egret-sandbox-relay-secret-0123456789abcdef',
      }),
      ...options.settings,
    };
    // One secret for both sides, whichever way it was given.
    const relaySecret = settings['RELAY_SHARED_SECRET'] ?? '';
    const hostOptions: StartFunctionsHostOptions = {
      ...(options.modules === undefined
        ? { appRoot: options.appRoot ?? FUNCTIONS_APP_ROOT }
        : { modules: options.modules }),
      settings,
      hostJson: options.hostJson ?? sandboxHostJson(),
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(options.port === undefined ? {} : { port: options.port }),
    };
    let host: FunctionsHost | undefined = await startFunctionsHost(hostOptions);
    const baseUrl = host.baseUrl;
    let lastHost = host;
    stops.push(async () => {
      const h = host;
      host = undefined;
      await h?.stop();
    });
    arm.admin.subscribe({
      url: `${baseUrl}/runtime/webhooks/EventGrid?functionName=armEvents`,
      name: 'egret-arm-events',
    });
    if (options.writeSettingsFile === true) {
      const dir = options.stateDir ?? join(REPO_ROOT, '.state', 'sandbox');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'local.settings.json'),
        `${JSON.stringify({ IsEncrypted: false, Values: settings }, null, 2)}\n`,
      );
    }
    const relay = createRelayClient({ baseUrl, clusterId, secret: relaySecret });

    let kube: SandboxKube | undefined;
    const relays: RelayProcess[] = [];
    const cluster = options.cluster;
    const startRelay = async (identity = `egret-relay-${relays.length}`): Promise<RelayProcess> => {
      if (kube === undefined || cluster === undefined)
        throw new Error('startRelay needs the cluster side (startSandbox({ cluster }))');
      const p = await startRelayProcess({
        repoRoot: REPO_ROOT,
        entry: cluster.relayEntry ?? 'built',
        identity,
        namespace: EGRET_SYSTEM_NAMESPACE,
        controlPlaneUrl: baseUrl,
        clusterId,
        sharedSecret: relaySecret,
        kubeconfigPath: kube.standIn.kubeconfigPath,
        settings: { ...SANDBOX_RELAY_SETTINGS, ...cluster.relaySettings },
        ...(cluster.onRelayLog === undefined
          ? {}
          : { onLog: (line: RelayLogLine) => cluster.onRelayLog?.(identity, line) }),
      });
      relays.push(p);
      stops.push(() => p.stop());
      return p;
    };
    if (cluster !== undefined) {
      const kubeconfigPath = cluster.kubeconfigPath;
      if (kubeconfigPath !== undefined) mkdirSync(dirname(kubeconfigPath), { recursive: true });
      const started = await startSandboxKube({
        repoRoot: REPO_ROOT,
        standIn: { ...cluster.kube, ...(kubeconfigPath === undefined ? {} : { kubeconfigPath }) },
      });
      kube = started;
      stops.push(async () => {
        await started.stop();
        if (kubeconfigPath !== undefined) rmSync(kubeconfigPath, { force: true });
      });
      // One at a time: the first one takes the Lease, which keeps the walkthrough's logs simple.
      for (let i = 0; i < (cluster.relayReplicas ?? 1); i++) await startRelay();
    }

    let stopped: Promise<void> | undefined;
    return {
      azurite,
      arm,
      get host() {
        return lastHost;
      },
      seeded,
      settings,
      clusterId,
      relaySecret,
      relay,
      kube,
      relays,
      startRelay,
      async stopControlPlane() {
        const h = host;
        host = undefined;
        await h?.stop();
      },
      async startControlPlane() {
        if (host !== undefined) return;
        host = await startFunctionsHost({ ...hostOptions, port: Number(new URL(baseUrl).port) });
        lastHost = host;
      },
      describe: () => ({
        functionsBaseUrl: baseUrl,
        relayEventsUrl: `${baseUrl}/api/relay/events`,
        relayStatusUrl: `${baseUrl}/api/relay/status?clusterId=${encodeURIComponent(clusterId)}`,
        adminEndpoint: `${baseUrl}/api/manage`,
        armEndpoint: arm.endpoint,
        armCaPath: arm.caPath,
        armAdminEndpoint: arm.adminEndpoint,
        subscriptionId: arm.subscriptionId,
        resourceGroups: [seeded.resourceGroup],
        pools: {
          vmss: Object.keys(seeded.scaleSets),
          vmPools: Object.keys(seeded.vmPools),
          standaloneVms: Object.keys(seeded.vms),
        },
        storageConnectionString: azurite.connectionString,
        relaySharedSecret: relaySecret,
        clusterId,
        ...(kube === undefined
          ? {}
          : { kubernetesUrl: kube.standIn.url, kubeconfigPath: kube.standIn.kubeconfigPath }),
      }),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * The repository's host.json with one local change: queues are polled at least every 2 s. The host's
 * default `maxPollingInterval` (1 min, also in Azure) lets an idle sandbox wait up to a minute before
 * it reconciles what was just applied.
 */
export function sandboxHostJson(): unknown {
  const hostJson = JSON.parse(readFileSync(join(REPO_ROOT, 'host.json'), 'utf8')) as {
    extensions?: { queues?: Record<string, unknown> };
  };
  return {
    ...hostJson,
    extensions: {
      ...hostJson.extensions,
      queues: { ...hostJson.extensions?.queues, maxPollingInterval: '00:00:02' },
    },
  };
}

/** The app settings of a local control plane (every SETTINGS name; empty = the default). */
export function sandboxSettings(input: {
  readonly subscriptionId: string;
  readonly location: string;
  readonly resourceGroup: string;
  readonly vnetName: string;
  readonly subnetName: string;
  readonly armEndpoint: string;
  readonly armCaPath: string;
  readonly storage: string;
  readonly relaySecret: string;
}): Record<string, string> {
  return {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    PROVIDER_TYPE: 'aks',
    AZURE_SUBSCRIPTION_ID: input.subscriptionId,
    AZURE_LOCATION: input.location,
    GATEWAY_RESOURCE_GROUP: input.resourceGroup,
    LOAD_BALANCER_NAME: 'kubeegressgateway-ilb',
    LOAD_BALANCER_RESOURCE_GROUP: '',
    VNET_NAME: input.vnetName,
    VNET_RESOURCE_GROUP: '',
    SUBNET_NAME: input.subnetName,
    AZURE_CREDENTIAL: 'standIn',
    AZURE_CLIENT_ID: '',
    AZURE_TENANT_ID: '',
    AZURE_CLIENT_SECRET: '',
    ARM_ENDPOINT: input.armEndpoint,
    ARM_CA_CERT_PATH: input.armCaPath,
    AzureWebJobsStorage: input.storage,
    AzureWebJobsStorage__accountName: '',
    AzureWebJobsStorage__clientId: '',
    RELAY_SHARED_SECRET: input.relaySecret,
    RESYNC_SCHEDULE: '0 */5 * * * *',
  };
}

/** A StaticGatewayConfiguration object as the relay would forward it. */
export function configurationObject(input: {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly spec: StaticGatewayConfigurationSpec;
  readonly generation?: number;
  readonly resourceVersion: string;
  readonly deletionTimestamp?: string;
}): StaticGatewayConfiguration {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: STATIC_GATEWAY_CONFIGURATION_KIND,
    metadata: {
      namespace: input.namespace,
      name: input.name,
      uid: input.uid,
      generation: input.generation ?? 1,
      resourceVersion: input.resourceVersion,
      ...(input.deletionTimestamp === undefined ? {} : { deletionTimestamp: input.deletionTimestamp }),
    },
    spec: input.spec,
  };
}

/** A relay client signing with the shared secret (the relay's scheme, shared/core/relaySignature.ts). */
export function createRelayClient(options: {
  readonly baseUrl: string;
  readonly clusterId: string;
  readonly secret: string;
  readonly now?: () => number;
}): RelayClient {
  const now = options.now ?? Date.now;
  const headers = (method: 'GET' | 'POST', url: string, body: string): Record<string, string> => ({
    ...signRelayHttpRequest({
      secret: options.secret,
      clusterId: options.clusterId,
      method,
      url,
      body,
      nowSeconds: now() / 1000,
    }),
  });
  return {
    async sendEvents(body) {
      const raw = JSON.stringify(body);
      const res = await fetch(`${options.baseUrl}/api/relay/events`, {
        method: 'POST',
        headers: { ...headers('POST', '/api/relay/events', raw), 'content-type': 'application/json' },
        body: raw,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed };
    },
    async status() {
      const path = `/api/relay/status?clusterId=${encodeURIComponent(options.clusterId)}`;
      const res = await fetch(`${options.baseUrl}${path}`, { headers: headers('GET', path, '') });
      const text = await res.text();
      if (!res.ok) throw new Error(`relayStatus answered ${res.status}: ${text}`);
      const parsed = parseRelayStatusResponse(JSON.parse(text));
      if (parsed.kind === 'invalid')
        throw new Error(`relayStatus answer: ${JSON.stringify(parsed.problems)}`);
      return parsed.value.items;
    },
  };
}

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'egret')
      return dir;
    if (dirname(dir) === dir) throw new Error(`no egret package.json above ${start}`);
  }
}
