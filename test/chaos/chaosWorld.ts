/**
 * The chaos harness's world: everything real and local, each part restartable on its own.
 * - Azurite as a child process, on disk and on fixed ports, so it can be restarted under a running
 *   control plane and come back with its data and its connection string;
 * - the ARM stand-in in this process (admin API at hand: faults, latency, events, scale), seeded with
 *   a VMSS pool, an AKS VirtualMachines pool, two standalone VMs and three bring-your-own prefixes;
 * - up to two Functions hosts (hostWorker.ts), each its own process on a fixed port, SIGKILL-able;
 * - a front door (the Function app's one URL): a loopback HTTP proxy that sends each request to a
 *   running host, or answers 503 when none runs, as Azure's front end does. The relay and the Event
 *   Grid subscription talk to it, so two hosts share the load as two instances of one app;
 * - the relay's own signed client (agents/relay/controlPlaneClient.ts) and the real ARM SDK clients.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueueClient } from '@azure/storage-queue';
import { createControlPlaneClient, type ControlPlanePort } from '../../agents/relay/controlPlaneClient.js';
import { systemClock } from '../../shared/adapters/system/systemClock.js';
import { RECONCILE_QUEUE } from '../../functions/handlers/reconcileHandler.js';
import { createArmClients, type ArmClients } from '../../infra/local/arm/createArmClients.js';
import type { SeededWorld, WorldSpec } from '../../infra/local/arm/seedWorld.js';
import { startArmStandIn, type ArmStandIn } from '../../infra/local/arm/startArmStandIn.js';
import { startAzurite, type Azurite } from '../../infra/local/azurite/startAzurite.js';
import {
  REPO_ROOT,
  SANDBOX_RESOURCE_GROUP,
  sandboxSettings,
} from '../../infra/local/sandbox/startSandbox.js';
import { FAST_HOST_JSON, functionModules, NEVER } from '../scenarios/support/world.js';
import type { HostWorkerCommand, HostWorkerMemory, HostWorkerStart } from './hostWorker.js';

export const RG = SANDBOX_RESOURCE_GROUP;
export const VMSS = 'aks-gw-vmss';
export const LB = 'kubeegressgateway-ilb';
export const CLUSTER_ID = 'chaos';
const RELAY_SECRET = 'egret-chaos-relay-secret-0123456789abcdef';

/** The seeded world: three pool kinds; the VMSS prefix is a /30 so it may scale from 1 to 4. */
export const CHAOS_WORLD: WorldSpec = {
  resourceGroup: RG,
  vnet: { name: 'vnet-egret', subnets: [{ name: 'aks-subnet', addressPrefix: '10.224.0.0/16' }] },
  scaleSets: [{ name: VMSS, capacity: 2, poolName: 'gw', gatewayPrefixSize: 30 }],
  vmPools: [{ poolName: 'vmgw', nicCount: 4, vmCount: 2, gatewayPrefixSize: 30 }],
  vms: [{ name: 'standalone-1' }, { name: 'standalone-2' }],
};

/** Bring-your-own prefixes made at start: two that fit their pool, one of the wrong length. */
export const BYO_PREFIXES = { gw: 'byo-gw', vm: 'byo-vm', mismatch: 'byo-mismatch' } as const;

export interface ChaosHost {
  readonly slot: number;
  running(): boolean;
  /** Starts the host process (no-op when running). */
  start(): Promise<void>;
  /** SIGKILL: no drain, no appTerminate, in-flight work lost mid-way. */
  kill(): Promise<void>;
  /** Graceful stop (drains). */
  stop(): Promise<void>;
  idle(): Promise<void>;
  invokeTimer(name: string): Promise<void>;
  memory(): Promise<HostWorkerMemory | undefined>;
  logs(): Promise<readonly string[]>;
}

export interface ChaosWorld {
  readonly arm: ArmStandIn;
  readonly sdk: ArmClients;
  readonly seeded: SeededWorld;
  readonly vmssId: string;
  readonly byoIds: Readonly<Record<keyof typeof BYO_PREFIXES, string>>;
  readonly hosts: readonly ChaosHost[];
  /** The relay's client, through the front door. */
  readonly relay: ControlPlanePort;
  /** The Event Grid subscription to the front door is on (false: events are lost). */
  setEventsDelivered(on: boolean): void;
  /** Restarts Azurite on the same ports and folder; `downMs` between stop and start. */
  restartAzurite(downMs: number): Promise<void>;
  /** A GET of the admin API on a running host (undefined when none runs). */
  admin(path: string): Promise<unknown>;
  /** Reconcile messages visible in the queue (0 when the queue is absent). */
  visibleMessages(): Promise<number>;
  /** Peak RSS over every host process started so far, bytes. */
  peakHostRssBytes(): number;
  stop(): Promise<void>;
}

export interface ChaosWorldOptions {
  /** The stand-in's latency scale (Azure durations × scale; the sandbox's 0.001 by default). */
  readonly latencyScale?: number;
  readonly faultSeed?: number;
}

/** Starts the world; on failure stops what already started. */
export async function startChaosWorld(options: ChaosWorldOptions = {}): Promise<ChaosWorld> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'egret-chaos-azurite-'));
    stops.push(() => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })));
    const ports = { blob: await freePort(), queue: await freePort(), table: await freePort() };
    let azurite: Azurite | undefined = await startAzurite({
      location: dataDir,
      ports,
      startTimeoutMs: 120_000,
    });
    const connectionString = azurite.connectionString;
    stops.push(async () => {
      await azurite?.stop();
      azurite = undefined;
    });

    const arm = await startArmStandIn({
      latency: { scale: options.latencyScale ?? 0.001 },
      faultSeed: options.faultSeed ?? 1,
    });
    stops.push(() => arm.stop());
    const seeded = await arm.admin.seed(CHAOS_WORLD);
    const vmssId = seeded.scaleSets[VMSS]?.id;
    if (vmssId === undefined) throw new Error('the stand-in did not seed the scale set');
    const sdk = createArmClients({
      endpoint: arm.endpoint,
      caPem: arm.caPem,
      subscriptionId: arm.subscriptionId,
    });
    const byoIds = {} as Record<keyof typeof BYO_PREFIXES, string>;
    for (const [k, name] of Object.entries(BYO_PREFIXES)) {
      const p = await sdk.network.publicIPPrefixes.beginCreateOrUpdateAndWait(RG, name, {
        location: seeded.location,
        sku: { name: 'Standard', tier: 'Regional' },
        prefixLength: k === 'mismatch' ? 29 : 30,
        publicIPAddressVersion: 'IPv4',
      });
      byoIds[k as keyof typeof BYO_PREFIXES] = p.id!;
    }
    await arm.admin.waitForEvents();
    arm.admin.clearRequests();

    const settings = {
      ...sandboxSettings({
        subscriptionId: arm.subscriptionId,
        location: seeded.location,
        resourceGroup: seeded.resourceGroup,
        vnetName: 'vnet-egret',
        subnetName: 'aks-subnet',
        armEndpoint: arm.endpoint,
        armCaPath: arm.caPath,
        storage: connectionString,
        relaySecret: RELAY_SECRET,
      }),
      RESYNC_SCHEDULE: NEVER,
    };
    let peakRss = 0;
    const hosts = [0, 1].map((slot) =>
      createChaosHost(
        slot,
        { type: 'start', settings, hostJson: FAST_HOST_JSON, modules: functionModules(), port: 0 },
        (rss) => (peakRss = Math.max(peakRss, rss)),
      ),
    );
    for (const h of hosts) stops.push(() => h.stop());
    await hosts[0]!.start();

    const door = await startFrontDoor(() =>
      hosts.filter((h) => h.running() && h.baseUrl() !== '').map((h) => h.baseUrl()),
    );
    stops.push(() => door.stop());
    const subscribe = (): void => {
      arm.admin.subscribe({
        url: `${door.baseUrl}/runtime/webhooks/EventGrid?functionName=armEvents`,
        name: 'egret-arm-events',
      });
    };
    subscribe();
    let delivered = true;
    const relay = createControlPlaneClient({
      baseUrl: door.baseUrl,
      clusterId: CLUSTER_ID,
      sharedSecret: RELAY_SECRET,
      timeoutMs: 10_000,
      clock: systemClock,
    });
    const reconcileQueue = new QueueClient(connectionString, RECONCILE_QUEUE);

    return {
      arm,
      sdk,
      seeded,
      vmssId,
      byoIds,
      hosts,
      relay,
      setEventsDelivered(on) {
        if (on === delivered) return;
        delivered = on;
        if (on) subscribe();
        else arm.admin.unsubscribe('egret-arm-events');
      },
      async restartAzurite(downMs) {
        await azurite?.stop();
        azurite = undefined;
        await sleep(downMs);
        azurite = await startAzurite({ location: dataDir, ports, startTimeoutMs: 120_000 });
      },
      async admin(path) {
        const h = hosts.find((x) => x.running());
        if (h === undefined) return undefined;
        const res = await fetch(`${h.baseUrl()}/api/manage/${path}`);
        if (!res.ok) throw new Error(`admin ${path} answered ${res.status}: ${await res.text()}`);
        return res.json();
      },
      async visibleMessages() {
        if (!(await reconcileQueue.exists())) return 0;
        return (await reconcileQueue.peekMessages({ numberOfMessages: 1 })).peekedMessageItems.length;
      },
      peakHostRssBytes: () => peakRss,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** A command without its id (distributed over the union). */
type CommandBody = HostWorkerCommand extends infer C
  ? C extends HostWorkerCommand
    ? Omit<C, 'id'>
    : never
  : never;

/** A host slot: the same port across restarts. */
function createChaosHost(
  slot: number,
  start: HostWorkerStart,
  onRss: (bytes: number) => void,
): ChaosHost & { baseUrl(): string } {
  const path = fileURLToPath(new URL('./hostWorker.ts', import.meta.url));
  let child: ChildProcess | undefined;
  let port = 0;
  let baseUrl = '';
  let exited: Promise<void> = Promise.resolve();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const running = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  const call = <T>(command: CommandBody): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!running()) {
        reject(new Error(`host ${slot} is not running`));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child!.send({ ...command, id });
    });
  const sampleRss = async (): Promise<void> => {
    const m = await call<HostWorkerMemory>({ cmd: 'memory' }).catch(() => undefined);
    if (m !== undefined) onRss(m.maxRssBytes);
  };

  return {
    slot,
    running,
    baseUrl: () => baseUrl,
    async start() {
      if (running()) return;
      if (port === 0) port = await freePort();
      const c = fork(path, [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        cwd: REPO_ROOT,
      });
      child = c;
      baseUrl = '';
      const stderr: string[] = [];
      c.stderr?.on('data', (b: Buffer) => {
        stderr.push(b.toString());
        if (stderr.length > 20) stderr.shift();
      });
      exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      let ready: ((url: string) => void) | undefined;
      let failed: ((e: Error) => void) | undefined;
      c.on('message', (raw: unknown) => {
        const m = raw as
          | { type: 'ready'; baseUrl: string }
          | { type: 'failed'; error: string }
          | { id: number; ok: boolean; value?: unknown; error?: string };
        if ('type' in m) {
          if (m.type === 'ready') ready?.(m.baseUrl);
          else failed?.(new Error(`host ${slot} did not start: ${m.error}`));
          return;
        }
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.ok) p?.resolve(m.value);
        else p?.reject(new Error(`host ${slot}: ${m.error}`));
      });
      c.once('exit', (code, signal) => {
        baseUrl = '';
        for (const p of pending.values()) p.reject(new Error(`host ${slot} exited (${code ?? signal})`));
        pending.clear();
        failed?.(new Error(`host ${slot} exited (${code ?? signal}) before serving: ${stderr.join('')}`));
      });
      baseUrl = await new Promise<string>((resolve, reject) => {
        ready = resolve;
        failed = reject;
        c.send({ ...start, port });
      });
    },
    async kill() {
      if (!running()) return;
      await sampleRss();
      child!.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!running()) return;
      await sampleRss();
      const c = child!;
      const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await call<void>({ cmd: 'stop' }).catch(() => undefined);
      await exited;
      clearTimeout(timer);
    },
    idle: () => (running() ? call<void>({ cmd: 'idle' }) : Promise.resolve()),
    invokeTimer: (name) => call<void>({ cmd: 'invokeTimer', name }),
    async memory() {
      await sampleRss();
      return running() ? call<HostWorkerMemory>({ cmd: 'memory' }) : undefined;
    },
    logs: () => (running() ? call<readonly string[]>({ cmd: 'logs' }) : Promise.resolve([])),
  };
}

/** The Function app's URL: each request goes to a running host (round robin), else 503. */
async function startFrontDoor(
  targets: () => readonly string[],
): Promise<{ readonly baseUrl: string; stop(): Promise<void> }> {
  let next = 0;
  const server: Server = createServer((req, res) => {
    const live = targets();
    if (live.length === 0) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no instance of the app is running');
      return;
    }
    const target = new URL(live[next++ % live.length]!);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('the instance went away');
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
