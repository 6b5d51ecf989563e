/**
 * One call builds the control plane's use cases over in-memory fakes (STYLE.md §13): the in-memory
 * state store and work queue (same logic as the Table Storage adapters), a fake ARM over the planner's
 * in-memory model, a manual clock, a collecting logger, and helpers to sign relay requests and to
 * drain the work queue through `reconcilePool` the way the queue trigger would.
 */
import {
  createMemoryWorkQueue,
  type MemoryWorkQueue,
} from '../../../shared/adapters/queues/createMemoryWorkQueue.js';
import { createMemoryStateStore } from '../../../shared/adapters/tables/createMemoryStateStore.js';
import { applyPlan } from '../../../shared/adapters/arm/applyPlan.js';
import { createLineLogger } from '../../../shared/adapters/system/createLineLogger.js';
import { acceptRelayEvents, type AcceptRelayEventsResult } from '../../../shared/app/acceptRelayEvents.js';
import type { ControlPlaneSettings } from '../../../shared/app/controlPlaneSettings.js';
import { readRelayStatus } from '../../../shared/app/readRelayStatus.js';
import { reconcilePool, type ReconcileResult } from '../../../shared/app/reconcilePool.js';
import type { ObservedPoolMembers } from '../../../shared/core/observed.js';
import type { RelayStatusItem } from '../../../shared/core/relayContract.js';
import type { RelayAuth } from '../../../shared/app/authenticateRelayRequest.js';
import { relayAuth, signedRelayRequest } from '../../support/relaySigning.js';
import type {
  StaticGatewayConfiguration,
  StaticGatewayConfigurationSpec,
} from '../../../shared/core/staticGatewayConfiguration.js';
import type { Clock } from '../../../shared/ports/clock.js';
import type { StateStore } from '../../../shared/ports/stateStore.js';
import {
  GW_RG,
  SUB,
  SUBNET,
  world as modelWorld,
  type PoolKind,
  poolWorld,
} from '../../unit/support/worlds.js';
import { FakeArm } from './fakeArm.js';

export const SECRET = 'a-relay-secret-of-at-least-32-chars!!';
export const CLUSTER = 'cluster-a';

export const SETTINGS: ControlPlaneSettings = {
  subscriptionId: SUB,
  location: 'westeurope',
  gatewayResourceGroup: GW_RG,
  loadBalancer: { name: 'kubeegressgateway-ilb', resourceGroup: 'rg-net' },
  frontendSubnetId: SUBNET,
};

/** A clock the test moves; sleep returns at once (advancing the clock). */
export function manualClock(startMs = Date.UTC(2026, 0, 1)): Clock & { advance(ms: number): void } {
  let now = startMs;
  return {
    nowMs: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface AppWorld {
  readonly arm: FakeArm;
  readonly state: StateStore;
  readonly queue: MemoryWorkQueue;
  readonly clock: ReturnType<typeof manualClock>;
  readonly logs: string[];
  readonly deps: {
    state: StateStore;
    queue: MemoryWorkQueue;
    arm: FakeArm['pools'];
    applyPlan: typeof applyPlan;
    clock: Clock;
    logger: ReturnType<typeof createLineLogger>;
    settings: ControlPlaneSettings;
    relay: RelayAuth;
  };
  /** Signs and sends a relayEvents body through the use case. */
  send(body: unknown): Promise<AcceptRelayEventsResult>;
  /** The relayStatus items of the cluster. */
  status(clusterId?: string): Promise<readonly RelayStatusItem[]>;
  /** Runs reconcilePool for every visible queued request (and those they enqueue) until none is visible. */
  drain(holderId?: string): Promise<ReconcileResult[]>;
}

export function createAppWorld(kind: PoolKind, count = 2, members?: ObservedPoolMembers): AppWorld {
  const clock = manualClock();
  const state = createMemoryStateStore({ clock });
  const queue = createMemoryWorkQueue({ clock });
  const arm = new FakeArm(modelWorld(members ?? poolWorld(kind, count)));
  const logs: string[] = [];
  const sink = (l: string): void => {
    logs.push(l);
  };
  const logger = createLineLogger({ debug: sink, info: sink, warn: sink, error: sink });
  const relay = relayAuth(SECRET, clock);
  const deps = {
    state,
    queue,
    arm: arm.pools,
    applyPlan,
    clock,
    logger,
    settings: SETTINGS,
    relay,
  };
  const signal = AbortSignal.timeout(30_000);
  const signed = (body: string, url = '/api/relay/events', clusterId?: string) =>
    signedRelayRequest({
      secret: SECRET,
      method: body === '' ? 'GET' : 'POST',
      url,
      body,
      nowSeconds: clock.nowMs() / 1000,
      ...(clusterId === undefined ? {} : { clusterId }),
    });
  return {
    arm,
    state,
    queue,
    clock,
    logs,
    deps,
    send: (body) => acceptRelayEvents(deps, signed(JSON.stringify(body)), signal),
    status: async (clusterId = CLUSTER) => {
      const url = `/api/relay/status?clusterId=${encodeURIComponent(clusterId)}`;
      const r = await readRelayStatus(deps, { ...signed('', url, clusterId), clusterId }, signal);
      if (r.kind !== 'ok') throw new Error(`relayStatus: ${JSON.stringify(r)}`);
      return r.body.items;
    },
    drain: async (holderId = 'worker-1') => {
      const results: ReconcileResult[] = [];
      for (let i = 0; i < 100; i++) {
        const batch = queue.takeVisible();
        if (batch.length === 0) return results;
        for (const m of batch)
          results.push(
            await reconcilePool(
              deps,
              {
                poolKey: m.poolKey,
                reason: m.reason,
                ...(m.attempt === undefined ? {} : { attempt: m.attempt }),
                holderId: `${holderId}:${i}`,
              },
              signal,
            ),
          );
      }
      throw new Error('queue did not drain');
    },
  };
}

let rv = 100;

/** A StaticGatewayConfiguration object as the relay forwards it. */
export function sgc(
  name: string,
  spec: StaticGatewayConfigurationSpec,
  options: { uid?: string; generation?: number; resourceVersion?: string; deletionTimestamp?: string } = {},
): StaticGatewayConfiguration {
  return {
    apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
    kind: 'StaticGatewayConfiguration',
    metadata: {
      name,
      namespace: 'default',
      uid: options.uid ?? `uid-${name}`,
      generation: options.generation ?? 1,
      resourceVersion: options.resourceVersion ?? String(rv++),
      ...(options.deletionTimestamp === undefined ? {} : { deletionTimestamp: options.deletionTimestamp }),
    },
    spec,
  };
}

/** A spec on the fake VMSS pool. */
export const vmssSpec = (size = 31): StaticGatewayConfigurationSpec => ({
  gatewayProfile: { vmssProfile: { vmssResourceGroup: GW_RG, vmssName: 'gw', publicIpPrefixSize: size } },
  provisionPublicIps: true,
});

export function ready(item: RelayStatusItem | undefined): string | undefined {
  const c = item?.status.conditions?.find((x) => x.type === 'Ready');
  return c === undefined ? undefined : `${c.status}/${c.reason}`;
}
