/**
 * The relay's Prometheus metrics (prom-client, one registry per relay so tests can run several):
 * forwarded events, forwarding failures, status patches, queue depth, last successful sync, leadership,
 * plus prom-client's default process metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** The relay's metric handles. */
export interface RelayMetrics {
  readonly registry: Registry;
  /** Events accepted by the control plane, by type (ADDED, MODIFIED, DELETED, SYNC). */
  readonly forwardedEvents: Counter<'type'>;
  /** Failed control-plane requests, by endpoint (events, status) and error code. */
  readonly controlPlaneFailures: Counter<'endpoint' | 'code'>;
  /** Status subresource patches written. */
  readonly statusPatches: Counter;
  /** Kubernetes writes that failed (finalizer, status, Secret), by error code. */
  readonly kubernetesFailures: Counter<'code'>;
  /** Events waiting to be forwarded. */
  readonly queueDepth: Gauge;
  /** Unix time of the last full SYNC the control plane accepted. */
  readonly lastSuccessfulSync: Gauge;
  /** 1 while this replica is the leader. */
  readonly leader: Gauge;
}

/** Creates the metrics in a fresh registry; `defaultMetrics` adds the process metrics. */
export function createRelayMetrics(options: { readonly defaultMetrics: boolean }): RelayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    forwardedEvents: new Counter({
      name: 'egret_relay_forwarded_events_total',
      help: 'Events accepted by the control plane, by type.',
      labelNames: ['type'] as const,
      registers,
    }),
    controlPlaneFailures: new Counter({
      name: 'egret_relay_control_plane_failures_total',
      help: 'Failed control-plane requests, by endpoint and error code.',
      labelNames: ['endpoint', 'code'] as const,
      registers,
    }),
    statusPatches: new Counter({
      name: 'egret_relay_status_patches_total',
      help: 'StaticGatewayConfiguration status patches written.',
      registers,
    }),
    kubernetesFailures: new Counter({
      name: 'egret_relay_kubernetes_failures_total',
      help: 'Failed Kubernetes writes (finalizers, status, key Secrets), by error code.',
      labelNames: ['code'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'egret_relay_queue_depth',
      help: 'Configuration events waiting to be forwarded to the control plane.',
      registers,
    }),
    lastSuccessfulSync: new Gauge({
      name: 'egret_relay_last_successful_sync_timestamp_seconds',
      help: 'Unix time of the last full SYNC the control plane accepted.',
      registers,
    }),
    leader: new Gauge({
      name: 'egret_relay_leader',
      help: '1 while this replica holds the leader lease.',
      registers,
    }),
  };
}
