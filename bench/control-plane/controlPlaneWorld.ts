/**
 * The end-to-end world of the bench: what `startSandbox` (infra/local/sandbox) starts, without the
 * cluster side, with the Functions host in its own process so its memory can be measured alone:
 * - Azurite (tables, queues) as a child process, in memory;
 * - the ARM stand-in in this process (so its request log and admin API are at hand), seeded with one
 *   VMSS gateway pool, with its latency model at the bench's scale and its throttling on (defaults);
 * - the Functions worker (functionsWorker.ts): the local Functions host running `functions/*.ts`
 *   with the repository's host.json and the sandbox's app settings (real SDK clients against the
 *   stand-in, real Azurite), the stand-in's Event Grid events delivered to its `armEvents` webhook;
 * - a signed relay client (what the relay does, minus Kubernetes).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueueClient } from '@azure/storage-queue';
import { RECONCILE_QUEUE } from '../../functions/handlers/reconcileHandler.js';
import type { LoggedRequest } from '../../infra/local/arm/engines/requestLog.js';
import type { SeededWorld } from '../../infra/local/arm/seedWorld.js';
import { startArmStandIn, type ArmStandIn } from '../../infra/local/arm/startArmStandIn.js';
import { startAzurite, type Azurite } from '../../infra/local/azurite/startAzurite.js';
import {
  configurationObject,
  createRelayClient,
  REPO_ROOT,
  sandboxSettings,
  SANDBOX_RESOURCE_GROUP,
  type RelayClient,
} from '../../infra/local/sandbox/startSandbox.js';
import type { RelayEvent, RelayStatusItem } from '../../shared/core/relayContract.js';
import type { WorkerCommand, WorkerMemory, WorkerStart, WorkerStats } from './functionsWorker.js';

export const CLUSTER_ID = 'bench';
export const POOL_NAME = 'gw';
export const VMSS_NAME = 'aks-gw-vmss';
/** The reconcile work of the seeded VMSS pool lands under this key (shared/core/pool.ts `poolKey`). */
export const POOL_KEY = `vmss:${SANDBOX_RESOURCE_GROUP}:${VMSS_NAME}`;
/** The resync timer never fires by itself during a run (00:00:00 on January 1st); the bench fires it. */
const NEVER = '0 0 0 1 1 *';
const RELAY_SECRET = 'egret-bench-relay-secret-0123456789abcdef';

export interface WorldShape {
  /** VMSS instances (pool members). */
  readonly instances: number;
  /** The pool's public IP prefix length (VMSS tag `aks-managed-gatewayIPPrefixSize`). */
  readonly prefixLength: number;
  /** The stand-in's latency scale (Azure durations × scale). */
  readonly latencyScale: number;
}

/** The worker process and its IPC commands. */
export interface FunctionsWorker {
  readonly pid: number;
  readonly baseUrl: string;
  memory(): Promise<WorkerMemory>;
  idle(): Promise<void>;
  stats(): Promise<WorkerStats>;
  resetStats(): Promise<void>;
  invokeTimer(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchWorld {
  readonly shape: WorldShape;
  readonly arm: ArmStandIn;
  readonly azurite: Azurite;
  readonly seeded: SeededWorld;
  readonly vmssId: string;
  readonly worker: FunctionsWorker;
  readonly relay: RelayClient;
  /** The queue trigger's longest idle polling interval from host.json, ms. */
  readonly maxPollingIntervalMs: number;
  /** Sends events in signed requests of at most `batch` (the relay's batch is 100), one at a time. */
  sendEvents(events: readonly RelayEvent[], batch?: number): Promise<SendFigures>;
  status(): Promise<readonly RelayStatusItem[]>;
  /** Waits until `check` holds on the relay's status pull (polled every `everyMs`). */
  waitForStatus(
    what: string,
    check: (items: readonly RelayStatusItem[]) => boolean,
    options?: { readonly timeoutMs?: number; readonly everyMs?: number },
  ): Promise<void>;
  /**
   * Waits until no operation, event delivery, invocation, visible reconcile message or dirty pool is
   * left (messages a busy reconcile delayed until after the lease are not waited for).
   */
  settle(timeoutMs?: number): Promise<void>;
  /** One look: true when nothing is left to do (waits for in-flight operations and invocations first). */
  quiet(): Promise<boolean>;
  /** ARM client requests since the last `clearRequests`. */
  requests(): readonly LoggedRequest[];
  clearRequests(): void;
  stop(): Promise<void>;
}

/** What sending a series of relay requests took. */
export interface SendFigures {
  readonly requests: number;
  readonly events: number;
  readonly ms: number;
  /** Per-request round trips, ms. */
  readonly requestMs: readonly number[];
  /** Outcomes summed over the answers. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Pools the answers said were enqueued (one reconcile message each), summed. */
  readonly messages: number;
}

/** A configuration of the bench, as the relay forwards it. */
export function benchConfiguration(i: number, resourceVersion: number, generation = 1): RelayEvent['object'] {
  return configurationObject({
    namespace: 'bench',
    name: `sgc-${String(i).padStart(4, '0')}`,
    uid: `bench-${String(i).padStart(6, '0')}`,
    spec: { gatewayNodepoolName: POOL_NAME, provisionPublicIps: true },
    generation,
    resourceVersion: String(resourceVersion),
  });
}

/** `Ready` is `True/Reconciled` for the configuration's generation. */
export function isReady(item: RelayStatusItem, generation = 1): boolean {
  const ready = item.status.conditions?.find((c) => c.type === 'Ready');
  return (
    ready?.status === 'True' && ready.reason === 'Reconciled' && item.status.observedGeneration === generation
  );
}

/** Starts the world; on failure stops what already started. */
export async function startBenchWorld(shape: WorldShape): Promise<BenchWorld> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const azurite = await startAzurite();
    stops.push(() => azurite.stop());
    const arm = await startArmStandIn({ latency: { scale: shape.latencyScale } });
    stops.push(() => arm.stop());
    const seeded = await arm.admin.seed({
      resourceGroup: SANDBOX_RESOURCE_GROUP,
      vnet: { name: 'vnet-egret', subnets: [{ name: 'aks-subnet', addressPrefix: '10.224.0.0/16' }] },
      scaleSets: [
        {
          name: VMSS_NAME,
          capacity: shape.instances,
          poolName: POOL_NAME,
          gatewayPrefixSize: shape.prefixLength,
        },
      ],
    });
    const vmssId = seeded.scaleSets[VMSS_NAME]?.id;
    if (vmssId === undefined) throw new Error('the stand-in did not seed the scale set');
    const settings = {
      ...sandboxSettings({
        subscriptionId: arm.subscriptionId,
        location: seeded.location,
        resourceGroup: seeded.resourceGroup,
        vnetName: 'vnet-egret',
        subnetName: 'aks-subnet',
        armEndpoint: arm.endpoint,
        armCaPath: arm.caPath,
        storage: azurite.connectionString,
        relaySecret: RELAY_SECRET,
      }),
      RESYNC_SCHEDULE: NEVER,
    };
    const hostJson = JSON.parse(readFileSync(join(REPO_ROOT, 'host.json'), 'utf8')) as {
      extensions?: { queues?: { maxPollingInterval?: string } };
    };
    const worker = await startWorker({ type: 'start', settings, hostJson, modules: functionModules() });
    stops.push(() => worker.stop());
    arm.admin.subscribe({
      url: `${worker.baseUrl}/runtime/webhooks/EventGrid?functionName=armEvents`,
      name: 'egret-arm-events',
    });
    const relay = createRelayClient({ baseUrl: worker.baseUrl, clusterId: CLUSTER_ID, secret: RELAY_SECRET });
    const reconcileQueue = new QueueClient(azurite.connectionString, RECONCILE_QUEUE);
    const visibleMessages = async (): Promise<number> => {
      if (!(await reconcileQueue.exists())) return 0;
      return (await reconcileQueue.peekMessages({ numberOfMessages: 1 })).peekedMessageItems.length;
    };

    const adminPools = async (): Promise<{ dirty: boolean }[]> => {
      const res = await fetch(`${worker.baseUrl}/api/manage/pools`);
      if (!res.ok) throw new Error(`admin pools answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { items: { dirty: boolean }[] }).items;
    };
    const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await check()) return;
        if (Date.now() > deadline) {
          const s = await worker.stats();
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; worker problems: ${JSON.stringify(s.lastProblems)}`,
          );
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    };

    const quiet = async (): Promise<boolean> => {
      await arm.admin.waitForEvents();
      await worker.idle();
      if ((await visibleMessages()) > 0) return false;
      return (await adminPools()).every((p) => !p.dirty);
    };

    let stopped: Promise<void> | undefined;
    return {
      shape,
      arm,
      azurite,
      seeded,
      vmssId,
      worker,
      relay,
      maxPollingIntervalMs: timeSpanMs(hostJson.extensions?.queues?.maxPollingInterval ?? '00:01:00'),
      async sendEvents(events, batch = 100) {
        const requestMs: number[] = [];
        const outcomes: Record<string, number> = {};
        let messages = 0;
        const started = performance.now();
        for (let i = 0; i < events.length; i += batch) {
          const t0 = performance.now();
          const res = await relay.sendEvents({ clusterId: CLUSTER_ID, events: events.slice(i, i + batch) });
          requestMs.push(performance.now() - t0);
          if (res.status !== 200)
            throw new Error(`relayEvents answered ${res.status}: ${JSON.stringify(res.body)}`);
          const body = res.body as { outcomes: Record<string, number>; pools: string[] };
          for (const [k, v] of Object.entries(body.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
          messages += body.pools.length;
        }
        return {
          requests: requestMs.length,
          events: events.length,
          ms: performance.now() - started,
          requestMs,
          outcomes,
          messages,
        };
      },
      status: () => relay.status(),
      async waitForStatus(what, check, options = {}) {
        await until(
          what,
          async () => check(await relay.status()),
          options.timeoutMs ?? 180_000,
          options.everyMs ?? 200,
        );
      },
      async settle(timeoutMs = 180_000) {
        await until(
          'the control plane to settle',
          async () => (await quiet()) && (await quiet()),
          timeoutMs,
          100,
        );
      },
      quiet: () => quiet(),
      requests: () => arm.admin.requests().filter((r) => r.category !== 'admin'),
      clearRequests: () => arm.admin.clearRequests(),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** The control plane's functions, from source (as the scenario tests load them). */
function functionModules(): string[] {
  const dir = join(REPO_ROOT, 'functions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(dir, f));
}

/** `hh:mm:ss[.fff]` (host.json time spans) in ms. */
function timeSpanMs(span: string): number {
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(span);
  if (m === null) throw new Error(`host.json time span ${span} is not hh:mm:ss`);
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000;
}

/** A command without its id (distributed over the union). */
type CommandBody = WorkerCommand extends infer C ? (C extends WorkerCommand ? Omit<C, 'id'> : never) : never;

async function startWorker(start: WorkerStart): Promise<FunctionsWorker> {
  const path = fileURLToPath(new URL('./functionsWorker.ts', import.meta.url));
  const child: ChildProcess = fork(path, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    cwd: REPO_ROOT,
  });
  // The worker's own output goes to stderr, so `--json` keeps stdout to one line.
  child.stdout?.on('data', (b: Buffer) => process.stderr.write(b));
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let ready: ((baseUrl: string) => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  child.on('message', (raw: unknown) => {
    const m = raw as
      | { type: 'ready'; baseUrl: string }
      | { type: 'failed'; error: string }
      | { id: number; ok: true; value: unknown }
      | { id: number; ok: false; error: string };
    if ('type' in m) {
      if (m.type === 'ready') ready?.(m.baseUrl);
      else failed?.(new Error(`the Functions worker did not start: ${m.error}`));
      return;
    }
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.ok) p?.resolve(m.value);
    else p?.reject(new Error(`worker: ${m.error}`));
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`the Functions worker exited (${code})`));
    pending.clear();
    failed?.(new Error(`the Functions worker exited (${code}) before it served`));
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    ready = resolve;
    failed = reject;
    child.send(start);
  });
  const call = <T>(command: CommandBody): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...command, id });
    });
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    baseUrl,
    memory: () => call<WorkerMemory>({ cmd: 'memory' }),
    idle: () => call<void>({ cmd: 'idle' }),
    stats: () => call<WorkerStats>({ cmd: 'stats' }),
    resetStats: () => call<void>({ cmd: 'resetStats' }),
    invokeTimer: (name) => call<void>({ cmd: 'invokeTimer', name }),
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await call<void>({ cmd: 'stop' }).catch(() => undefined);
        await exited;
        clearTimeout(timer);
      })()),
  };
}
