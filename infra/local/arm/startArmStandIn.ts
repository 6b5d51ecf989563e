/**
 * Starts the local ARM stand-in: an HTTPS server on 127.0.0.1 (ephemeral port by default) with a CA
 * minted at start, speaking ARM's REST API for the resources egret touches, plus the admin API under
 * `/_admin`. The real `@azure/arm-compute` / `@azure/arm-network` clients talk to it with their own
 * pipelines (bearer token policy, retry, LRO) — see `createArmClients`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArmAdmin } from './armAdmin.js';
import { createArmAdmin, serveAdmin } from './armAdmin.js';
import { ArmServer } from './armServer.js';
import { createLoopbackCertificates } from '../tls/createLoopbackCertificates.js';
import type { EmitterSettings } from './engines/eventGridEmitter.js';
import { EventGridEmitter } from './engines/eventGridEmitter.js';
import { FaultEngine } from './engines/faultEngine.js';
import type { LatencySettings } from './engines/latencyModel.js';
import { LatencyModel } from './engines/latencyModel.js';
import type { LroSettings } from './engines/lroEngine.js';
import { LroEngine } from './engines/lroEngine.js';
import { RequestLog } from './engines/requestLog.js';
import type { ThrottleSettings } from './engines/throttleEngine.js';
import { ThrottleEngine } from './engines/throttleEngine.js';
import type { ProviderContext, StandInConfig } from './providers/context.js';
import { virtualMachineRoutes } from './providers/compute/virtualMachines.js';
import { virtualMachineScaleSetRoutes } from './providers/compute/virtualMachineScaleSets.js';
import { vmssInstanceRoutes } from './providers/compute/vmssInstances.js';
import { loadBalancerRoutes } from './providers/network/loadBalancers.js';
import { networkInterfaceRoutes } from './providers/network/networkInterfaces.js';
import { publicIpRoutes } from './providers/network/publicIps.js';
import { virtualNetworkRoutes } from './providers/network/virtualNetworks.js';
import { resourceGroupRoutes } from './providers/resourceGroups.js';
import { Router } from './router.js';
import { ResourceStore } from './store.js';

/** api-versions the installed SDKs send (@azure/arm-compute 25.1.1, @azure/arm-network 39.0.0). */
export const DEFAULT_API_VERSIONS: StandInConfig['apiVersions'] = {
  compute: ['2026-04-01'],
  network: ['2026-01-01'],
  vmssNic: ['2018-10-01'],
  resources: [
    '2021-04-01',
    '2022-09-01',
    '2024-03-01',
    '2024-07-01',
    '2024-11-01',
    '2025-03-01',
    '2025-04-01',
  ],
};

export interface StartArmStandInOptions {
  /** Default 0 (the OS picks a port). */
  readonly port?: number;
  readonly subscriptionId?: string;
  readonly location?: string;
  /** Items per list page (default 50); small values exercise nextLink. */
  readonly pageSize?: number;
  /** Where the CA PEM is written (default: a fresh temp folder, removed on stop). */
  readonly caPath?: string;
  readonly apiVersions?: Partial<StandInConfig['apiVersions']>;
  readonly latency?: LatencySettings;
  readonly throttle?: ThrottleSettings;
  readonly lro?: LroSettings;
  readonly events?: EmitterSettings;
  /** Seed of the fault engine's random choices. */
  readonly faultSeed?: number;
}

export interface ArmStandIn {
  /** `https://127.0.0.1:<port>` — the ARM endpoint for SDK clients. */
  readonly endpoint: string;
  readonly caPem: string;
  readonly caPath: string;
  /** `https://127.0.0.1:<port>/_admin` */
  readonly adminEndpoint: string;
  readonly subscriptionId: string;
  readonly admin: ArmAdmin;
  stop(): Promise<void>;
}

export async function startArmStandIn(options: StartArmStandInOptions = {}): Promise<ArmStandIn> {
  const subscriptionId = options.subscriptionId ?? '00000000-0000-0000-0000-0000000e6e70';
  const config: StandInConfig = {
    subscriptionId,
    location: options.location ?? 'westeurope',
    pageSize: options.pageSize ?? 50,
    apiVersions: { ...DEFAULT_API_VERSIONS, ...options.apiVersions },
    publicIpPrefixPools: ['203.0.113.0/24', '198.51.100.0/24'],
    publicIpPool: '192.0.2.0/24',
  };
  const events = new EventGridEmitter(options.events);
  const lro = new LroEngine(
    events,
    {
      'Microsoft.Compute': config.apiVersions.compute[0] ?? '',
      'Microsoft.Network': config.apiVersions.network[0] ?? '',
      'Microsoft.Resources': config.apiVersions.resources[0] ?? '',
    },
    options.lro,
  );
  const ctx: ProviderContext = {
    store: new ResourceStore(),
    lro,
    latency: new LatencyModel(options.latency),
    events,
    config,
  };
  const throttle = new ThrottleEngine(options.throttle);
  const faults = new FaultEngine(options.faultSeed);
  const log = new RequestLog();
  const router = new Router();
  router.add(
    ...resourceGroupRoutes(ctx),
    ...virtualNetworkRoutes(ctx),
    ...publicIpRoutes(ctx),
    ...networkInterfaceRoutes(ctx),
    ...loadBalancerRoutes(ctx),
    ...virtualMachineScaleSetRoutes(ctx),
    ...vmssInstanceRoutes(ctx),
    ...virtualMachineRoutes(ctx),
  );

  const certs = await createLoopbackCertificates('egret local ARM stand-in CA');
  let tempDir: string | undefined;
  let caPath = options.caPath;
  if (caPath === undefined) {
    tempDir = await mkdtemp(join(tmpdir(), 'egret-arm-'));
    caPath = join(tempDir, 'ca.pem');
  }
  await writeFile(caPath, certs.caPem);

  let endpoint = '';
  const admin = createArmAdmin({ ctx, faults, throttle, log, baseUrl: () => endpoint });
  const armServer = new ArmServer({
    ctx,
    router,
    throttle,
    faults,
    log,
    admin: (method, path, query, body) => serveAdmin(admin, method, path, query, body),
    baseUrl: () => endpoint,
  });
  const server = https.createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) =>
    armServer.handle(req, res),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let stopped = false;
  return {
    endpoint,
    caPem: certs.caPem,
    caPath,
    adminEndpoint: `${endpoint}/_admin`,
    subscriptionId,
    admin,
    async stop() {
      if (stopped) return;
      stopped = true;
      events.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    },
  };
}
