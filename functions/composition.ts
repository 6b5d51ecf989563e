/**
 * The composition root of the Functions app: reads the settings at import — so a bad setting stops the
 * app when the worker loads it, not at the first event — and builds the dependencies once per worker:
 * state store, reconcile queue and poison-queue reader (Table/Queue Storage, by connection string or
 * by the app's managed identity), the gateway pool providers over the real ARM SDK clients, clock and
 * relay authentication. Every function file imports `controlPlane()` from here and calls one use case.
 *
 * The dependencies are memoised by the settings they were built from: the local Functions host can
 * run several apps in one process (each sets the environment before loading), and each gets its own.
 */
import { hostname } from 'node:os';
import { applyPlan } from '../shared/adapters/arm/applyPlan.js';
import { createArmClientsFromConfig } from '../shared/adapters/arm/createArmClientsFromConfig.js';
import { createPoolProviders } from '../shared/adapters/arm/createPoolProviders.js';
import { createAzureWorkQueue } from '../shared/adapters/queues/createAzureWorkQueue.js';
import { createAzurePoisonQueueReader } from '../shared/adapters/system/createAzurePoisonQueueReader.js';
import { createStorageAccess } from '../shared/adapters/system/createStorageAccess.js';
import { relayCrypto } from '../shared/adapters/system/hmacSha256Hex.js';
import { systemClock } from '../shared/adapters/system/systemClock.js';
import { createAzureTableStateStore } from '../shared/adapters/tables/createAzureTableStateStore.js';
import type { RelayAuth } from '../shared/app/authenticateRelayRequest.js';
import { controlPlaneSettings, type ControlPlaneSettings } from '../shared/app/controlPlaneSettings.js';
import type { PoisonQueueReader } from '../shared/app/listPoisonMessages.js';
import type { PlanApplier } from '../shared/app/reconcilePool.js';
import { loadConfig, type EgretConfig } from '../shared/config.js';
import type { GatewayPools } from '../shared/ports/armInventory.js';
import type { Clock } from '../shared/ports/clock.js';
import type { StateStore } from '../shared/ports/stateStore.js';
import type { WorkQueue } from '../shared/ports/workQueue.js';
import { RECONCILE_QUEUE } from './handlers/reconcileHandler.js';

export { RECONCILE_QUEUE, STORAGE_CONNECTION } from './handlers/reconcileHandler.js';

/** Everything the functions need, built once per worker. */
export interface ControlPlane {
  readonly config: EgretConfig;
  readonly settings: ControlPlaneSettings;
  readonly state: StateStore;
  readonly queue: WorkQueue;
  readonly poison: PoisonQueueReader;
  readonly pools: GatewayPools;
  readonly applyPlan: PlanApplier;
  readonly clock: Clock;
  readonly relay: RelayAuth;
  /** Identifies this worker in lease holder ids (Table-safe). */
  readonly workerId: string;
}

/** The settings as the app loaded them (throws ConfigError at import when they are invalid). */
export const appConfig: EgretConfig = loadConfig();

let built: { readonly key: string; readonly plane: ControlPlane } | undefined;

/** The worker's dependencies (built on first use). */
export function controlPlane(): ControlPlane {
  const config = loadConfig();
  const key = JSON.stringify(config);
  if (built?.key !== key) built = { key, plane: build(config) };
  return built.plane;
}

function build(config: EgretConfig): ControlPlane {
  // A connection string locally; in Azure the account's endpoints and the app's managed identity.
  const storage = createStorageAccess(config.storage);
  const clock = systemClock;
  const clients = createArmClientsFromConfig({ config });
  return {
    config,
    settings: controlPlaneSettings(config),
    state: createAzureTableStateStore({ storage, clock }),
    queue: createAzureWorkQueue({ storage, queueName: RECONCILE_QUEUE, clock }),
    poison: createAzurePoisonQueueReader({ storage, queueName: RECONCILE_QUEUE }),
    pools: createPoolProviders({ config, clients }),
    applyPlan,
    clock,
    relay: {
      secretOf: (clusterId) =>
        Object.hasOwn(config.relayClusterSecrets, clusterId)
          ? config.relayClusterSecrets[clusterId]
          : config.relaySharedSecret,
      crypto: relayCrypto,
      clock,
    },
    workerId: `${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}`,
  };
}
