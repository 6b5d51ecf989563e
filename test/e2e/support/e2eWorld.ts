/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * The end-to-end facade (STYLE.md §13): one call starts the whole local system with nothing doubled —
 * Azurite, the seeded ARM stand-in (events to `armEvents`), the local Functions host running the
 * control plane from source, the Kubernetes API stand-in with egret's CRDs, and relay PROCESSES
 * (agents/relay/main.ts through tsx, configured by environment like the Deployment) pointed at the host
 * with the same shared secret. Tests then act as a person with kubectl would (server-side apply,
 * delete through real client-node) and assert on the custom resource, the key Secrets, the Lease and
 * Azure (read through the real ARM SDK).
 *
 * Timings are shortened through settings only: the relay pulls status every second, sends a full
 * SYNC every 10 s and uses a 4 s Lease; the host polls its queue every 200 ms; the resync timer never
 * fires by itself. Waits poll with deadlines; nothing sleeps for a fixed time. Start one world per file.
 */
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { createArmClients, type ArmClients } from '../../../infra/local/arm/createArmClients.js';
import type { HostLogEntry } from '../../../infra/local/functions-host/startFunctionsHost.js';
import type { RelayLogLine, RelayProcess } from '../../../infra/local/sandbox/startRelayProcess.js';
import {
  SANDBOX_RESOURCE_GROUP,
  startSandbox,
  type Sandbox,
} from '../../../infra/local/sandbox/startSandbox.js';
import { EGRET_SYSTEM_NAMESPACE, type SandboxKube } from '../../../infra/local/sandbox/startSandboxKube.js';
import { API_GROUP, API_VERSION, SECRET_OWNER_NAMESPACE_LABEL } from '../../../shared/core/wellKnown.js';
import { FAST_HOST_JSON, functionModules, NEVER } from '../../scenarios/support/world.js';

export const RG = SANDBOX_RESOURCE_GROUP;
export const SGC = { group: API_GROUP, version: API_VERSION, plural: 'staticgatewayconfigurations' } as const;
/** The relay's Lease (infra/k8s/relay; agents/relay/relayConfig.ts default). */
export const LEASE_NAME = 'egret-relay';
/** The field manager `kubectl apply --server-side` uses. */
const KUBECTL = 'kubectl';

/** Relay settings of the e2e worlds (environment variables, as the Deployment sets them). */
export const E2E_RELAY_SETTINGS: Readonly<Record<string, string>> = {
  STATUS_POLL_INTERVAL_SECONDS: '1',
  SYNC_INTERVAL_SECONDS: '10',
  LEASE_DURATION_SECONDS: '4',
  LEASE_RENEW_DEADLINE_SECONDS: '3',
  LEASE_RETRY_PERIOD_SECONDS: '1',
  BACKOFF_INITIAL_MILLISECONDS: '200',
  BACKOFF_MAX_SECONDS: '2',
  REQUEST_TIMEOUT_SECONDS: '10',
  SHUTDOWN_TIMEOUT_SECONDS: '5',
  EGRET_LOG_LEVEL: 'debug',
};

/** Where a configuration is in Azure, read through the ARM SDK. */
export interface AzureFootprint {
  /** `<vmss>/<instance>` or `nic/<name>` → the private IP of the configuration's secondary ipConfig. */
  readonly ipConfigs: Readonly<Record<string, string>>;
  /** The managed prefix `egressgateway-<uid>` (CIDR), when it exists. */
  readonly prefix: string | undefined;
  /** Public IPs named `egressgateway-<uid>…`. */
  readonly publicIps: number;
  /** The ILB rule named by the uid: its port, frontend IP and frontend name (the pool's unique id). */
  readonly rule:
    { readonly port: number; readonly frontendIp: string; readonly frontend: string } | undefined;
  /** The ILB probe named by the uid exists. */
  readonly probe: boolean;
}

export interface E2eWorld {
  readonly sandbox: Sandbox;
  readonly kube: SandboxKube;
  readonly sdk: ArmClients;
  /** Relay log lines (all replicas) and host log lines, for diagnosis. */
  readonly relayLogs: { readonly identity: string; readonly line: RelayLogLine }[];
  readonly hostLogs: HostLogEntry[];
  /** `kubectl apply --server-side` of a configuration in `default` (creates or updates; returns the object). */
  apply(name: string, spec: Record<string, unknown>, namespace?: string): Promise<any>;
  get(name: string, namespace?: string): Promise<any>;
  tryGet(name: string, namespace?: string): Promise<any>;
  /** `kubectl delete --wait=false`. */
  delete(name: string, namespace?: string): Promise<void>;
  /** Waits until the configuration is Ready with `status` for its current generation; returns it. */
  ready(name: string, status?: 'True' | 'False', namespace?: string): Promise<any>;
  /** Polls `check` until it returns a value (not undefined/false), failing after `timeoutMs` (60 s). */
  until<T>(
    what: string,
    check: () => Promise<T | undefined | false> | T | undefined | false,
    timeoutMs?: number,
  ): Promise<T>;
  /** WireGuard key Secrets in egret-system. */
  keySecrets(): Promise<k8s.V1Secret[]>;
  /** The Lease holder (undefined when released or absent). */
  leader(): Promise<string | undefined>;
  /** The running relay that holds the Lease. */
  leaderProcess(): Promise<RelayProcess>;
  footprint(uid: string): Promise<AzureFootprint>;
  /** Waits until no event delivery, invocation or dirty pool is left. */
  settle(): Promise<void>;
  /** ARM writes (PUT/PATCH/POST/DELETE) in the stand-in's request log. */
  armWrites(): readonly { readonly method: string; readonly path: string; readonly status: number }[];
  stop(): Promise<void>;
}

/** Starts a world with `relays` relay replicas (default 1), started one after the other. */
export async function startE2eWorld(options: { readonly relays?: number } = {}): Promise<E2eWorld> {
  const relayLogs: { identity: string; line: RelayLogLine }[] = [];
  const hostLogs: HostLogEntry[] = [];
  const verbose = process.env['EGRET_E2E_LOG'] === '1';
  const sandbox = await startSandbox({
    modules: functionModules(),
    hostJson: FAST_HOST_JSON,
    settings: { RESYNC_SCHEDULE: NEVER },
    log: (e) => {
      hostLogs.push(e);
      if (verbose) process.stderr.write(`[host] ${e.level} ${e.message}\n`);
    },
    cluster: {
      relayReplicas: options.relays ?? 1,
      relayEntry: 'source',
      relaySettings: E2E_RELAY_SETTINGS,
      onRelayLog: (identity, line) => {
        relayLogs.push({ identity, line });
        if (verbose) process.stderr.write(`[${identity}] ${JSON.stringify(line)}\n`);
      },
    },
  });
  const kube = sandbox.kube!;
  const sdk = createArmClients({
    endpoint: sandbox.arm.endpoint,
    caPem: sandbox.arm.caPem,
    subscriptionId: sandbox.arm.subscriptionId,
  });

  const until: E2eWorld['until'] = async (what, check, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const v = await check();
        if (v !== undefined && v !== false) return v;
      } catch (e) {
        lastError = e;
      }
      if (Date.now() > deadline) {
        const problems = relayLogs
          .filter((l) => l.line.level === 'warn' || l.line.level === 'error')
          .slice(-8)
          .map((l) => `  [${l.identity}] ${JSON.stringify(l.line)}`);
        assert.fail(
          `timed out after ${timeoutMs} ms waiting for ${what}${
            lastError === undefined
              ? ''
              : ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})`
          }${problems.length > 0 ? `\nlast relay warnings:\n${problems.join('\n')}` : ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const tryGet: E2eWorld['tryGet'] = async (name, namespace = 'default') => {
    try {
      return await kube.custom.getNamespacedCustomObject({ ...SGC, namespace, name });
    } catch (e) {
      if (e instanceof k8s.ApiException && e.code === 404) return undefined;
      throw e;
    }
  };
  const admin = async (path: string): Promise<any> => {
    const res = await fetch(`${sandbox.describe().adminEndpoint}/${path}`);
    return res.json();
  };

  const world: E2eWorld = {
    sandbox,
    kube,
    sdk,
    relayLogs,
    hostLogs,
    apply: (name, spec, namespace = 'default') =>
      kube.objects.patch(
        {
          apiVersion: `${API_GROUP}/${API_VERSION}`,
          kind: 'StaticGatewayConfiguration',
          metadata: { name, namespace },
          spec,
        } as k8s.KubernetesObject,
        undefined,
        undefined,
        KUBECTL,
        true,
        k8s.PatchStrategy.ServerSideApply,
      ),
    get: (name, namespace = 'default') => kube.custom.getNamespacedCustomObject({ ...SGC, namespace, name }),
    tryGet,
    async delete(name, namespace = 'default') {
      await kube.custom.deleteNamespacedCustomObject({ ...SGC, namespace, name });
    },
    ready: (name, status = 'True', namespace = 'default') =>
      until(`${namespace}/${name} Ready=${status} for its generation`, async () => {
        const o = await tryGet(name, namespace);
        const ready = readyOf(o);
        return ready?.status === status && o.status.observedGeneration === o.metadata.generation
          ? o
          : undefined;
      }),
    until,
    async keySecrets() {
      const list = await kube.core.listNamespacedSecret({
        namespace: EGRET_SYSTEM_NAMESPACE,
        labelSelector: SECRET_OWNER_NAMESPACE_LABEL,
      });
      return list.items;
    },
    async leader() {
      try {
        const lease = await kube.coordination.readNamespacedLease({
          namespace: EGRET_SYSTEM_NAMESPACE,
          name: LEASE_NAME,
        });
        return lease.spec?.holderIdentity || undefined;
      } catch (e) {
        if (e instanceof k8s.ApiException && e.code === 404) return undefined;
        throw e;
      }
    },
    async leaderProcess() {
      const identity = await until('a relay to hold the Lease', () => world.leader());
      const p = sandbox.relays.find((r) => r.identity === identity && !r.hasExited());
      assert.ok(p, `the Lease holder ${identity} is a running relay`);
      return p;
    },
    async footprint(uid) {
      const ipc = `egressgateway-${uid}`;
      const ipConfigs: Record<string, string> = {};
      const nics = [
        ...(await collect(sdk.network.networkInterfaces.list(RG))),
        ...(await collect(
          sdk.network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(RG, 'aks-gw-vmss'),
        )),
      ];
      for (const nic of nics) {
        const config = nic.ipConfigurations?.find((c) => c.name === ipc);
        if (config === undefined) continue;
        const instance = /\/virtualMachineScaleSets\/([^/]+)\/virtualMachines\/([^/]+)\//i.exec(nic.id ?? '');
        ipConfigs[instance === null ? `nic/${nic.name ?? ''}` : `${instance[1]}/${instance[2]}`] =
          config.privateIPAddress ?? '';
      }
      const prefix = await sdk.network.publicIPPrefixes.get(RG, ipc).catch(notFound);
      const publicIps = (await collect(sdk.network.publicIPAddresses.list(RG))).filter((p) =>
        p.name?.startsWith(ipc),
      ).length;
      const lb = await sdk.network.loadBalancers.get(RG, 'kubeegressgateway-ilb').catch(notFound);
      const rule = lb?.loadBalancingRules?.find((r) => r.name === uid);
      const frontend = lb?.frontendIPConfigurations?.find(
        (f) => f.id?.toLowerCase() === rule?.frontendIPConfiguration?.id?.toLowerCase(),
      );
      return {
        ipConfigs,
        prefix: prefix?.ipPrefix,
        publicIps,
        rule:
          rule === undefined
            ? undefined
            : {
                port: rule.frontendPort ?? 0,
                frontendIp: frontend?.privateIPAddress ?? '',
                frontend: frontend?.name ?? '',
              },
        probe: lb?.probes?.some((p) => p.name === uid) ?? false,
      };
    },
    async settle() {
      await until('the control plane to settle', async () => {
        for (let i = 0; i < 2; i++) {
          await sandbox.arm.admin.waitForEvents();
          await sandbox.host.idle();
          const pools = (await admin('pools')) as { items: { dirty: boolean }[] };
          if (pools.items.some((p) => p.dirty)) return false;
        }
        return true;
      });
    },
    armWrites: () =>
      sandbox.arm.admin
        .requests()
        .filter((r) => r.category === 'arm' && r.method !== 'GET')
        .map((r) => ({ method: r.method, path: r.path, status: r.status })),
    stop: () => sandbox.stop(),
  };
  return world;
}

/** The Ready condition of an object's status. */
export function readyOf(object: any): { status: string; reason: string; message: string } | undefined {
  return (object?.status?.conditions as any[] | undefined)?.find((c) => c.type === 'Ready');
}

/** True when nothing of the configuration is left in Azure. */
export function isClean(fp: AzureFootprint): boolean {
  return (
    Object.keys(fp.ipConfigs).length === 0 &&
    fp.prefix === undefined &&
    fp.publicIps === 0 &&
    fp.rule === undefined &&
    !fp.probe
  );
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

function notFound(e: unknown): undefined {
  if ((e as { statusCode?: number }).statusCode === 404) return undefined;
  throw e;
}
