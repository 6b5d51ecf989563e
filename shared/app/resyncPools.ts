/**
 * Use case behind the `resync` timer (`RESYNC_SCHEDULE`, every 5 minutes by default): marks every known
 * gateway pool dirty and enqueues it, so drift that produced no event — a VMSS model rollout that
 * stripped the secondary ipConfigs (kube-egress-gateway #1381), a missed or dead-lettered event, a
 * pool that did not exist when its configuration arrived — is repaired by the next reconcile. It also
 * sweeps expired event ids and tombstones finalized long enough ago that no replay can still matter.
 */
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ConfigurationStore, EventDedupeStore, PoolStore } from '../ports/stateStore.js';
import type { WorkQueue } from '../ports/workQueue.js';
import { requestReconcile } from './requestReconcile.js';

/** Finalized tombstones are kept this long: longer than the relay's signature window and its SYNC period. */
export const TOMBSTONE_RETENTION_MS = 60 * 60 * 1000;

/** What the use case needs. */
export interface ResyncDeps {
  readonly state: Pick<PoolStore, 'listPools' | 'markPoolDirty'> &
    Pick<EventDedupeStore, 'purgeExpiredEvents'> &
    Pick<ConfigurationStore, 'purgeFinalizedConfigurations'>;
  readonly queue: WorkQueue;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What the sweep did. */
export interface ResyncResult {
  readonly pools: readonly string[];
  readonly purgedEvents: number;
  readonly purgedConfigurations: number;
}

/** Marks every pool dirty, enqueues it, and sweeps expired rows. */
export async function resyncPools(deps: ResyncDeps, signal: AbortSignal): Promise<ResyncResult> {
  const pools = (await deps.state.listPools(signal)).map((p) => p.poolKey);
  await requestReconcile(deps, { poolKeys: pools, reason: 'resync' }, signal);
  const purgedEvents = await deps.state.purgeExpiredEvents(signal);
  const purgedConfigurations = await deps.state.purgeFinalizedConfigurations(
    { finalizedBefore: new Date(deps.clock.nowMs() - TOMBSTONE_RETENTION_MS) },
    signal,
  );
  deps.logger.info('resync: pools enqueued', { pools: pools.length, purgedEvents, purgedConfigurations });
  return { pools, purgedEvents, purgedConfigurations };
}
