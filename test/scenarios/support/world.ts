/**
 * The scenario facade (STYLE.md §13): one call starts a whole local world — Azurite, the ARM stand-in
 * (seeded, Event Grid events delivered to `armEvents`), the local Functions host running the control
 * plane's functions from source — plus what a scenario needs in a line or two: a signed relay client
 * that remembers resourceVersions, the real ARM SDK clients for assertions, the admin API, and waits
 * with deadlines (polling, never fixed sleeps). Start one world per test file.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createArmClients, type ArmClients } from '../../../infra/local/arm/createArmClients.js';
import type { WorldSpec } from '../../../infra/local/arm/seedWorld.js';
import type { StartArmStandInOptions } from '../../../infra/local/arm/startArmStandIn.js';
import type { HostEvent, HostLogEntry } from '../../../infra/local/functions-host/startFunctionsHost.js';
import {
  configurationObject,
  REPO_ROOT,
  SANDBOX_RESOURCE_GROUP,
  startSandbox,
  type Sandbox,
} from '../../../infra/local/sandbox/startSandbox.js';
import type { RelayEvent, RelayStatusItem } from '../../../shared/core/relayContract.js';
import type { StaticGatewayConfigurationSpec } from '../../../shared/core/staticGatewayConfiguration.js';

export const RG = SANDBOX_RESOURCE_GROUP;

/** host.json for scenarios: the repository's, with fast queue polling and retries. */
export const FAST_HOST_JSON = {
  version: '2.0',
  extensions: {
    queues: {
      maxDequeueCount: 5,
      batchSize: 8,
      visibilityTimeout: '00:00:01',
      maxPollingInterval: '00:00:00.200',
    },
  },
};

/** The control plane's functions, from source. */
export function functionModules(): string[] {
  const dir = join(REPO_ROOT, 'functions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Scenarios fire the resync timer themselves (`host.invokeTimer('resync')`), so its schedule is one
 * that never comes during a test: 00:00:00 on January 1st.
 */
export const NEVER = '0 0 0 1 1 *';

export interface WorldOptions {
  readonly world?: WorldSpec;
  readonly settings?: Readonly<Record<string, string>>;
  readonly arm?: StartArmStandInOptions;
}

export interface World {
  readonly sandbox: Sandbox;
  readonly sdk: ArmClients;
  readonly subscriptionId: string;
  /** Host log lines (message text) and events, for assertions on what the functions said and did. */
  readonly logs: HostLogEntry[];
  readonly hostEvents: HostEvent[];
  /** Sends ADDED (first time) or MODIFIED for a configuration, with a fresh resourceVersion. */
  apply(
    name: string,
    spec: StaticGatewayConfigurationSpec,
    options?: { readonly namespace?: string },
  ): Promise<RelayEvent>;
  /** Sends the events as one signed relayEvents request; asserts a 200. */
  send(events: readonly RelayEvent[], extra?: { readonly fullSync?: boolean }): Promise<unknown>;
  /** Sends DELETED (the object is gone from the cluster). */
  remove(name: string, options?: { readonly namespace?: string }): Promise<RelayEvent>;
  /** The relayStatus item of a configuration. */
  status(name: string, namespace?: string): Promise<RelayStatusItem | undefined>;
  /** Waits until the configuration's Ready condition has this reason for its current generation. */
  waitFor(
    name: string,
    reason: string,
    options?: { readonly timeoutMs?: number; readonly namespace?: string },
  ): Promise<RelayStatusItem>;
  /** Waits until `check` returns a value (not undefined/false), polling. */
  until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  /** Waits until no event delivery, invocation or dirty pool is left (the control plane is at rest). */
  settle(timeoutMs?: number): Promise<void>;
  /** An admin (manage/…) GET or POST through the Functions host. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers asserted field by field
  admin(method: 'GET' | 'POST', path: string): Promise<{ readonly status: number; readonly body: any }>;
  /** Accepted ARM writes per resource id since the last `clearRequests` (from the stand-in's log). */
  writes(): Map<string, number>;
  uidOf(name: string, namespace?: string): string;
  stop(): Promise<void>;
}

/** Starts a world. */
export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const logs: HostLogEntry[] = [];
  const sandbox = await startSandbox({
    modules: functionModules(),
    hostJson: FAST_HOST_JSON,
    settings: { RESYNC_SCHEDULE: NEVER, ...options.settings },
    ...(options.world === undefined ? {} : { world: options.world }),
    ...(options.arm === undefined ? {} : { arm: options.arm }),
    log: (e) => {
      logs.push(e);
      if (process.env['EGRET_SCENARIO_LOG'] === '1') process.stderr.write(`[host] ${e.level} ${e.message}\n`);
    },
  });
  const hostEvents: HostEvent[] = [];
  sandbox.host.onEvent((e) => hostEvents.push(e));
  const sdk = createArmClients({
    endpoint: sandbox.arm.endpoint,
    caPem: sandbox.arm.caPem,
    subscriptionId: sandbox.arm.subscriptionId,
  });
  const known = new Map<string, { uid: string; generation: number; spec: StaticGatewayConfigurationSpec }>();
  let rv = 1000;
  const key = (name: string, ns = 'default'): string => `${ns}/${name}`;

  const send: World['send'] = async (events, extra = {}) => {
    const res = await sandbox.relay.sendEvents({ clusterId: sandbox.clusterId, events, ...extra });
    if (res.status !== 200)
      throw new Error(`relayEvents answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const status: World['status'] = async (name, namespace = 'default') =>
    (await sandbox.relay.status()).find((i) => i.name === name && i.namespace === namespace);
  const until: World['until'] = async (what, check, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`,
        );
      last = v;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const admin: World['admin'] = async (method, path) => {
    const res = await fetch(`${sandbox.host.baseUrl}/api/manage/${path}`, { method });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };

  return {
    sandbox,
    sdk,
    subscriptionId: sandbox.arm.subscriptionId,
    logs,
    hostEvents,
    async apply(name, spec, opts = {}) {
      const k = key(name, opts.namespace);
      const before = known.get(k);
      const entry = {
        uid: before?.uid ?? `${name}-${Math.random().toString(16).slice(2, 10)}`,
        generation: before === undefined ? 1 : before.generation + 1,
        spec,
      };
      known.set(k, entry);
      const event: RelayEvent = {
        type: before === undefined ? 'ADDED' : 'MODIFIED',
        object: configurationObject({
          namespace: opts.namespace ?? 'default',
          name,
          uid: entry.uid,
          spec,
          generation: entry.generation,
          resourceVersion: String(rv++),
        }),
      };
      await send([event]);
      return event;
    },
    send,
    async remove(name, opts = {}) {
      const k = key(name, opts.namespace);
      const entry = known.get(k);
      if (entry === undefined) throw new Error(`unknown configuration ${k}`);
      const event: RelayEvent = {
        type: 'DELETED',
        object: configurationObject({
          namespace: opts.namespace ?? 'default',
          name,
          uid: entry.uid,
          spec: entry.spec,
          generation: entry.generation,
          resourceVersion: String(rv++),
        }),
      };
      await send([event]);
      return event;
    },
    status,
    async waitFor(name, reason, opts = {}) {
      const generation = known.get(key(name, opts.namespace))?.generation;
      return until(
        `${name} Ready reason ${reason}`,
        async () => {
          const item = await status(name, opts.namespace);
          const ready = item?.status.conditions?.find((c) => c.type === 'Ready');
          if (ready?.reason !== reason) return undefined;
          if (generation !== undefined && item?.status.observedGeneration !== generation) return undefined;
          return item;
        },
        opts.timeoutMs ?? 60_000,
      );
    },
    until,
    async settle(timeoutMs = 60_000) {
      await until(
        'the control plane to settle',
        async () => {
          await sandbox.arm.admin.waitForEvents();
          await sandbox.host.idle();
          const pools = (await admin('GET', 'pools')).body as { items: { dirty: boolean }[] };
          if (pools.items.some((p) => p.dirty)) return false;
          await sandbox.arm.admin.waitForEvents();
          await sandbox.host.idle();
          const again = (await admin('GET', 'pools')).body as { items: { dirty: boolean }[] };
          return again.items.every((p) => !p.dirty);
        },
        timeoutMs,
      );
    },
    admin,
    writes() {
      const m = new Map<string, number>();
      for (const w of sandbox.arm.admin.writeCounts())
        if (w.accepted > 0) m.set(w.resourceId.toLowerCase(), w.accepted);
      return m;
    },
    uidOf(name, namespace = 'default') {
      const entry = known.get(key(name, namespace));
      if (entry === undefined) throw new Error(`unknown configuration ${namespace}/${name}`);
      return entry.uid;
    },
    stop: () => sandbox.stop(),
  };
}

/** `Ready` as `Status/Reason`. */
export function readyOf(item: RelayStatusItem | undefined): string | undefined {
  const c = item?.status.conditions?.find((x) => x.type === 'Ready');
  return c === undefined ? undefined : `${c.status}/${c.reason}`;
}
