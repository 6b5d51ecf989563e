/**
 * What each agent needs from the Kubernetes API, and nothing more (STYLE.md §4). The real adapter
 * (`clientNodeCluster.ts`) uses @kubernetes/client-node informers and typed API calls; the in-memory
 * one (`memoryCluster.ts`) serves unit tests.
 */
import type { GatewayStatusSpec, ObjectRef, PodEndpoint, StaticGatewayConfiguration } from './types.js';

/** A consistent-enough view of the watched objects (each informer's cache, read at one moment). */
export interface GatewayClusterSnapshot {
  readonly configurations: readonly StaticGatewayConfiguration[];
  /** Secrets of the egret namespace, keyed `<namespace>/<name>`, data decoded to strings. */
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly podEndpoints: readonly PodEndpoint[];
}

/** The gateway daemon's view: watches configurations, key Secrets and PodEndpoints; writes GatewayStatus. */
export interface GatewayDaemonCluster {
  /** Starts the watches; resolves once every watched kind has been listed once. */
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  /** Called (without arguments, possibly in bursts) after any watched object changed. */
  onChange(listener: () => void): void;
  snapshot(): GatewayClusterSnapshot;
  /** Creates or replaces the node's GatewayStatus (`namespace`/`name` = daemon namespace / node name). */
  upsertGatewayStatus(ref: ObjectRef, spec: GatewayStatusSpec, signal: AbortSignal): Promise<void>;
}

export interface PodInfo {
  readonly uid: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The node agent's view: one pod at a time, on CNI ADD and DEL. */
export interface NodeAgentCluster {
  getPod(ref: ObjectRef, signal: AbortSignal): Promise<PodInfo | undefined>;
  getStaticGatewayConfiguration(
    ref: ObjectRef,
    signal: AbortSignal,
  ): Promise<StaticGatewayConfiguration | undefined>;
  /** Creates or replaces the PodEndpoint, owned (controller reference) by the pod. */
  applyPodEndpoint(
    endpoint: PodEndpoint,
    owner: { readonly name: string; readonly uid: string },
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * Deletes the pod's PodEndpoint unless it was written for another sandbox than `containerId`
   * (a newer one): `kept` then. Absent is not an error.
   */
  deletePodEndpoint(
    ref: ObjectRef,
    options: { readonly containerId: string },
    signal: AbortSignal,
  ): Promise<'deleted' | 'absent' | 'kept'>;
}
