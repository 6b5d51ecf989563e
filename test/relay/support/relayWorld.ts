/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * Test facade for the relay's own tests: the Kubernetes API stand-in with egret's CRDs (real
 * client-node), the control-plane CONTRACT DOUBLE on loopback, a manual clock, and relay replicas
 * in-process, wired exactly as agents/relay/main.ts wires them (client-node adapters, the HTTP
 * control-plane client). The whole system — relay processes and the real control plane — is
 * test/e2e/support/e2eWorld.ts.
 *
 * A replica can be stopped gracefully or "killed": every call it makes afterwards fails, as if its pod
 * had vanished — it cannot renew the lease or write anything, and nothing releases the lease.
 */
import { createClientNodeEventSink } from '../../../agents/relay/clientNodeEventSink.js';
import { EventRecorder } from '../../../agents/relay/eventRecorder.js';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import {
  createClientNodeLeasePort,
  createClientNodeRelayCluster,
} from '../../../agents/relay/clientNodeRelayCluster.js';
import { createControlPlaneClient, type ControlPlanePort } from '../../../agents/relay/controlPlaneClient.js';
import type { LeasePort } from '../../../agents/relay/leaseElector.js';
import { Relay } from '../../../agents/relay/relay.js';
import type { RelayCluster } from '../../../agents/relay/relayCluster.js';
import { createRelayMetrics, type RelayMetrics } from '../../../agents/relay/relayMetrics.js';
import { createLogger } from '../../../agents/common/logger.js';
import { TransientError } from '../../../shared/core/errors.js';
import { API_GROUP, API_VERSION } from '../../../shared/core/wellKnown.js';
import {
  EGRET_KEY_NAMESPACE,
  EGRET_NAMESPACE,
  startEgretKube,
  type EgretKube,
} from '../../k8s/support/egretKube.js';
import { ContractControlPlane } from './contractControlPlane.js';
import { ManualClock } from './manualClock.js';

export const CLUSTER_ID = 'test-cluster';
export const SHARED_SECRET = 'a-shared-secret-of-at-least-32-characters!';
/**
 * Test timings on the manual clock. `eventually` advances the clock while the relay does real I/O, so
 * the renew deadline is kept long compared with the clock steps: a slow renewal on a busy machine must
 * not cost the leader its lease in the middle of a test.
 */
export const LEASE = { durationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 2_000 } as const;
export const STATUS_POLL_MS = 5_000;
export const SYNC_INTERVAL_MS = 300_000;
export const SGC = { group: API_GROUP, version: API_VERSION, plural: 'staticgatewayconfigurations' } as const;

/** One relay replica in the test world. */
export interface Replica {
  readonly identity: string;
  readonly relay: Relay;
  readonly metrics: RelayMetrics;
  /** Every log line it wrote (parsed JSON). */
  readonly logs: Record<string, unknown>[];
  /** Graceful stop (releases the lease). */
  stop(): Promise<void>;
  /** Makes every later call fail; the replica can no longer act or renew. Then stops its informers. */
  kill(): Promise<void>;
}

export interface RelayWorld {
  readonly kube: EgretKube;
  readonly controlPlane: ContractControlPlane;
  readonly clock: ManualClock;
  startReplica(identity: string): Promise<Replica>;
  /** Creates or updates a configuration in namespace `default` (as `kubectl apply` would). */
  apply(name: string, spec: Record<string, unknown>, namespace?: string): Promise<any>;
  get(name: string, namespace?: string): Promise<any>;
  tryGet(name: string, namespace?: string): Promise<any>;
  delete(name: string, namespace?: string): Promise<void>;
  /** Key Secrets in egret-system. */
  keySecrets(): Promise<k8s.V1Secret[]>;
  /** Polls `check` (real time, bounded), advancing the manual clock by `stepMs` between tries. */
  eventually<T>(
    check: () => Promise<T | undefined | false> | T | undefined | false,
    what: string,
    stepMs?: number,
  ): Promise<T>;
  stop(): Promise<void>;
}

/** Wraps every method of `target` so that, once `killed()`, calls reject. */
function killable<T extends object>(target: T, killed: () => boolean, methods: readonly (keyof T)[]): T {
  const wrapped = Object.create(target) as T;
  for (const m of methods) {
    const fn = target[m] as unknown as (...args: unknown[]) => unknown;
    (wrapped as Record<keyof T, unknown>)[m] = (...args: unknown[]) =>
      killed() ? Promise.reject(new TransientError('replica killed')) : fn.apply(target, args);
  }
  return wrapped;
}

export async function startRelayWorld(): Promise<RelayWorld> {
  const clock = new ManualClock();
  const kube = await startEgretKube();
  const controlPlane = new ContractControlPlane({ secret: SHARED_SECRET, clock });
  await controlPlane.start();
  const replicas: Replica[] = [];

  const world: RelayWorld = {
    kube,
    controlPlane,
    clock,
    async startReplica(identity) {
      const logs: Record<string, unknown>[] = [];
      const log = createLogger(`relay/${identity}`, {
        level: 'debug',
        write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
      });
      let dead = false;
      const isDead = (): boolean => dead;
      const cluster = createClientNodeRelayCluster({ kubeConfig: kube.kc, clock, log, random: () => 0.5 });
      const controlPlanePort: ControlPlanePort = createControlPlaneClient({
        baseUrl: controlPlane.url,
        clusterId: CLUSTER_ID,
        sharedSecret: SHARED_SECRET,
        timeoutMs: 10_000,
        clock,
      });
      const leases: LeasePort = createClientNodeLeasePort({
        kubeConfig: kube.kc,
        namespace: EGRET_NAMESPACE,
        name: 'egret-relay',
      });
      const metrics = createRelayMetrics({ defaultMetrics: false });
      const relay = new Relay({
        clusterId: CLUSTER_ID,
        namespace: EGRET_KEY_NAMESPACE,
        identity,
        cluster: killable<RelayCluster>(cluster, isDead, [
          'setFinalizers',
          'patchStatus',
          'getSecret',
          'createSecret',
          'replaceSecret',
          'deleteSecret',
          'listSecrets',
        ]),
        controlPlane: killable(controlPlanePort, isDead, ['sendEvents', 'fetchStatus']),
        leases: killable(leases, isDead, ['get', 'create', 'update']),
        lease: LEASE,
        statusPollIntervalMs: STATUS_POLL_MS,
        syncIntervalMs: SYNC_INTERVAL_MS,
        backoff: { initialMs: 1000, maxMs: 30_000 },
        clock,
        log,
        metrics,
        random: () => 0.5,
        events: new EventRecorder({
          sink: killable(createClientNodeEventSink({ kubeConfig: kube.kc }), isDead, [
            'create',
            'updateSeries',
          ]),
          instance: identity,
          clock,
          log,
        }),
      });
      await relay.start();
      let stopped = false;
      const replica: Replica = {
        identity,
        relay,
        metrics,
        logs,
        async stop() {
          if (stopped) return;
          stopped = true;
          await relay.stop({ timeoutMs: 10_000 });
        },
        async kill() {
          dead = true;
          await replica.stop();
        },
      };
      replicas.push(replica);
      return replica;
    },
    async apply(name, spec, namespace = 'default') {
      const existing = await world.tryGet(name, namespace);
      if (existing === undefined) {
        return kube.custom.createNamespacedCustomObject({
          ...SGC,
          namespace,
          body: {
            apiVersion: `${API_GROUP}/${API_VERSION}`,
            kind: 'StaticGatewayConfiguration',
            metadata: { name, namespace },
            spec,
          },
        });
      }
      return kube.custom.patchNamespacedCustomObject(
        { ...SGC, namespace, name, body: { spec } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    },
    get: (name, namespace = 'default') => kube.custom.getNamespacedCustomObject({ ...SGC, namespace, name }),
    async tryGet(name, namespace = 'default') {
      try {
        return await kube.custom.getNamespacedCustomObject({ ...SGC, namespace, name });
      } catch (e) {
        if (e instanceof k8s.ApiException && e.code === 404) return undefined;
        throw e;
      }
    },
    async delete(name, namespace = 'default') {
      await kube.custom.deleteNamespacedCustomObject({ ...SGC, namespace, name });
    },
    async keySecrets() {
      const list = await kube.core.listNamespacedSecret({
        namespace: EGRET_KEY_NAMESPACE,
        labelSelector: 'egressgateway.kubernetes.azure.com/owning-gateway-config-namespace',
      });
      return list.items;
    },
    async eventually(check, what, stepMs = 250) {
      for (let i = 0; i < 2000; i++) {
        const result = await check();
        if (result !== undefined && result !== false) return result;
        await new Promise((r) => setTimeout(r, 10));
        if (stepMs > 0) clock.advance(stepMs);
      }
      assert.fail(`timed out waiting for ${what}`);
    },
    async stop() {
      for (const r of replicas) await r.stop();
      await controlPlane.stop();
      await kube.stop();
    },
  };
  return world;
}

/** The Ready condition of an object's status. */
export function readyOf(object: any): { status: string; reason: string; message: string } | undefined {
  return (object?.status?.conditions as any[] | undefined)?.find((c) => c.type === 'Ready');
}
