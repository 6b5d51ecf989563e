/**
 * In-memory implementations of both agents' cluster ports: for unit tests of the agents' logic and
 * for development without an API server. One {@link MemoryCluster} holds the objects; both views
 * read and write the same maps.
 */
import type {
  GatewayClusterSnapshot,
  GatewayDaemonCluster,
  NodeAgentCluster,
  PodInfo,
} from './clusterPorts.js';
import {
  type GatewayStatusSpec,
  keyOf,
  type ObjectRef,
  type PodEndpoint,
  type StaticGatewayConfiguration,
} from './types.js';

export class MemoryCluster {
  readonly configurations = new Map<string, StaticGatewayConfiguration>();
  readonly secrets = new Map<string, Record<string, string>>();
  readonly podEndpoints = new Map<string, PodEndpoint & { ownerUid: string }>();
  readonly pods = new Map<string, PodInfo>();
  readonly gatewayStatuses = new Map<string, GatewayStatusSpec>();
  private readonly listeners: (() => void)[] = [];

  /** Notifies watchers, as an informer event would. */
  changed(): void {
    this.listeners.forEach((l) => l());
  }

  putConfiguration(c: StaticGatewayConfiguration): void {
    this.configurations.set(keyOf(c.metadata), c);
    this.changed();
  }

  gatewayView(): GatewayDaemonCluster {
    return {
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      onChange: (l) => {
        this.listeners.push(l);
      },
      snapshot: (): GatewayClusterSnapshot => ({
        configurations: [...this.configurations.values()],
        secrets: new Map(this.secrets),
        podEndpoints: [...this.podEndpoints.values()],
      }),
      upsertGatewayStatus: (ref, spec) => {
        this.gatewayStatuses.set(keyOf(ref), spec);
        return Promise.resolve();
      },
    };
  }

  agentView(): NodeAgentCluster {
    return {
      getPod: (ref) => Promise.resolve(this.pods.get(keyOf(ref))),
      getStaticGatewayConfiguration: (ref) => Promise.resolve(this.configurations.get(keyOf(ref))),
      applyPodEndpoint: (pe, owner) => {
        this.podEndpoints.set(keyOf(pe), { ...pe, ownerUid: owner.uid });
        this.changed();
        return Promise.resolve();
      },
      deletePodEndpoint: (ref: ObjectRef, options) => {
        const cur = this.podEndpoints.get(keyOf(ref));
        if (cur === undefined) return Promise.resolve('absent' as const);
        if (cur.containerId !== undefined && cur.containerId !== options.containerId)
          return Promise.resolve('kept' as const);
        this.podEndpoints.delete(keyOf(ref));
        this.changed();
        return Promise.resolve('deleted' as const);
      },
    };
  }
}
