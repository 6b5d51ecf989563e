/**
 * Use case behind the `armEvents` Event Grid trigger: one ARM system-topic event (Event Grid schema or
 * CloudEvents) becomes a reconcile request for every gateway pool it may concern.
 *
 * Events are hints (DESIGN.md): normalised by shared/core/normalizeArmEvent.ts, mapped to the pools
 * egret knows (the pools table, with each pool's remembered members and prefixes) by
 * `poolKeysForResource`, deduplicated by event id (Event Grid delivers at least once), then each pool
 * is marked dirty and enqueued (requestReconcile.ts). Unknown event types, failed operations, unrelated resources and
 * malformed events are logged and ignored — never failed, so Event Grid does not retry them. If
 * marking or enqueueing fails after the id was recorded, the id is forgotten again and the error
 * rethrown, so Event Grid's redelivery is handled.
 */
import type { FieldProblem } from '../core/errors.js';
import { MAX_REASON, truncateText } from '../core/inputLimits.js';
import { normalizeArmEvent, poolKeysForResource } from '../core/normalizeArmEvent.js';
import type { Logger } from '../ports/logger.js';
import type { EventDedupeStore, PoolStore } from '../ports/stateStore.js';
import type { WorkQueue } from '../ports/workQueue.js';
import { loadBalancerIdOf, type ControlPlaneSettings } from './controlPlaneSettings.js';
import { knownPoolsOf } from './poolSummary.js';
import { requestReconcile } from './requestReconcile.js';

/** How long an event id is remembered (Event Grid retries for up to 24 h). */
export const EVENT_ID_TTL_MS = 24 * 60 * 60 * 1000;

/** What the use case needs. */
export interface HandleArmEventDeps {
  readonly state: Pick<PoolStore, 'listPools' | 'markPoolDirty'> & EventDedupeStore;
  readonly queue: WorkQueue;
  readonly logger: Logger;
  readonly settings: ControlPlaneSettings;
}

/** What became of the event. */
export type ArmEventResult =
  | { readonly kind: 'enqueued'; readonly eventId: string; readonly pools: readonly string[] }
  | { readonly kind: 'duplicate'; readonly eventId: string }
  | { readonly kind: 'ignored'; readonly eventId?: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly problems: readonly FieldProblem[] };

/** Handles one delivered event. */
export async function handleArmEvent(
  deps: HandleArmEventDeps,
  event: unknown,
  signal: AbortSignal,
): Promise<ArmEventResult> {
  const n = normalizeArmEvent(event);
  if (n.kind === 'invalid') {
    // The entrypoint logs refusals at a bounded rate; here only a debug line.
    deps.logger.debug('armEvents: malformed event ignored', { problems: n.problems });
    return { kind: 'invalid', problems: n.problems };
  }
  if (n.kind === 'ignored') {
    deps.logger.debug('armEvents: event ignored', { eventId: n.eventId, reason: n.reason });
    return n;
  }
  const known = knownPoolsOf(await deps.state.listPools(signal));
  const pools = poolKeysForResource(n.resource, known, { loadBalancerId: loadBalancerIdOf(deps.settings) });
  if (pools.length === 0) {
    const reason = `${n.resource.id} belongs to no gateway pool egret manages`;
    deps.logger.debug('armEvents: event ignored', { eventId: n.eventId, reason });
    return { kind: 'ignored', eventId: n.eventId, reason };
  }
  const first = await deps.state.markEventProcessed({ eventId: n.eventId, ttlMs: EVENT_ID_TTL_MS }, signal);
  if (!first) {
    deps.logger.info('armEvents: duplicate delivery ignored', { eventId: n.eventId });
    return { kind: 'duplicate', eventId: n.eventId };
  }
  try {
    // The reason is for logs; a resource id may be long, a queue reason is at most 1024 characters.
    const reason = truncateText(`arm-event ${n.operation} ${n.resource.id}`, MAX_REASON);
    await requestReconcile(deps, { poolKeys: pools, reason }, signal);
  } catch (e) {
    await deps.state.forgetEvent({ eventId: n.eventId }, signal).catch(() => undefined);
    throw e;
  }
  deps.logger.info('armEvents: pools enqueued', {
    eventId: n.eventId,
    operation: n.operation,
    resource: n.resource.id,
    pools,
  });
  return { kind: 'enqueued', eventId: n.eventId, pools };
}
