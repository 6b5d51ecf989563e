/**
 * Use case behind `POST /api/relay/events`: the relay forwards StaticGatewayConfiguration watch events;
 * the control plane stores the desired configurations and asks for a reconcile of every pool they
 * touch. No ARM call happens here (see poolKeyForSpec.ts), so the relay gets its answer fast and
 * nothing is lost while ARM is unreachable.
 *
 * Contract (shared/core/relayContract.ts has the body shape and the full-SYNC form):
 * - authentication: `X-Egret-Timestamp` + `X-Egret-Signature` (HMAC-SHA256 over `timestamp + "." +
 *   raw body`) with `RELAY_SHARED_SECRET`; a missing/wrong signature or a timestamp more than
 *   5 minutes away → `unauthorized` (401);
 * - a body that is not JSON or breaks the contract → `invalid` with every problem and its path (400);
 *   nothing of such a request is stored;
 * - otherwise `accepted` (200) with how each event was taken.
 *
 * Per event, in request order (events of one uid in order, different uids concurrently):
 * - ADDED / MODIFIED / SYNC of a live object: the spec is validated. A valid spec is stored with its
 *   pool key; an invalid one is stored too (so the relay's status pull shows `InvalidSpec`) and keeps
 *   the pool it had, so a typo never strips a working gateway; with no pool its `InvalidSpec`
 *   status is written here — no Azure write happens for it.
 * - DELETED, or any event whose object has `metadata.deletionTimestamp`: the configuration becomes a
 *   tombstone (deletion is final for a uid). With no pool (never valid), nothing exists in Azure: it is
 *   finalized at once. Otherwise its pool's reconcile removes its Azure resources and finalizes it.
 * - Versions are ordered by generation, then resourceVersion (core configVersion.ts): older events are
 *   `stale`, repeats are `unchanged` — replays, duplicates and reordering are harmless.
 * - Full SYNC: every stored live configuration of the cluster missing from the list is deleted, unless
 *   it may have been created after the relay took the list: its resourceVersion is newer than every
 *   listed object's AND it was stored less than the signature window (5 min) before the SYNC was
 *   signed. That keeps a delayed or replayed SYNC from deleting a newer configuration for good (a
 *   tombstone is final), while a missed DELETED is still healed by the next SYNC.
 * Every pool touched — a configuration's pool, and the pool it left — is marked dirty and enqueued.
 */
import { compareVersions, configVersionOf, isCoveredBy } from '../core/configVersion.js';
import { invalidSpecProblem, validStoredSpec } from '../core/preparePool.js';
import { ValidationError, type FieldProblem } from '../core/errors.js';
import { MAX_REASON, truncateText } from '../core/inputLimits.js';
import {
  isFullSync,
  parseRelayEventsRequest,
  type RelayEvent,
  type RelayEventsRequest,
} from '../core/relayContract.js';
import { RELAY_CLUSTER_HEADER, RELAY_SIGNATURE_WINDOW_SECONDS } from '../core/wellKnown.js';
import { validateStaticGatewayConfiguration } from '../core/validateStaticGatewayConfiguration.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type {
  ConfigurationStore,
  DesiredConfiguration,
  EventDedupeStore,
  PoolStore,
  StatusStore,
  UpsertConfigurationOutcome,
} from '../ports/stateStore.js';
import type { WorkQueue } from '../ports/workQueue.js';
import { authenticateRelayRequest, type RelayAuth, type SignedRequest } from './authenticateRelayRequest.js';
import type { ControlPlaneSettings } from './controlPlaneSettings.js';
import { poolKeyForSpec } from './poolKeyForSpec.js';
import { putConfigurationStatus } from './putConfigurationStatus.js';
import { requestReconcile } from './requestReconcile.js';

/** What the use case needs. */
export interface AcceptRelayEventsDeps {
  readonly state: ConfigurationStore &
    Pick<PoolStore, 'markPoolDirty'> &
    Pick<EventDedupeStore, 'markEventProcessed'> &
    Pick<StatusStore, 'getStatus' | 'putStatus'>;
  readonly queue: WorkQueue;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: ControlPlaneSettings;
  readonly relay: RelayAuth;
}

/** How one event was taken. */
export type EventOutcome = UpsertConfigurationOutcome | 'deleted' | 'finalized';

/** The use case's answer. */
export type AcceptRelayEventsResult =
  | { readonly kind: 'unauthorized'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly problems: readonly FieldProblem[] }
  | {
      readonly kind: 'accepted';
      readonly clusterId: string;
      /** Events taken, by outcome. */
      readonly outcomes: Readonly<Partial<Record<EventOutcome, number>>>;
      /** Stored configurations deleted because a full SYNC lacked them. */
      readonly deletedBySync: number;
      /** Pools marked dirty and enqueued, sorted. */
      readonly pools: readonly string[];
      /** Events the store refused as invalid (not taken, nor the later events of their uid). */
      readonly rejected: readonly RejectedEvent[];
    };

/** An event the store refused, by its index in the request. */
export interface RejectedEvent {
  readonly index: number;
  readonly field: string;
  readonly message: string;
}

const CONCURRENCY = 8;

/** Authenticates, parses and stores a `relayEvents` request. */
export async function acceptRelayEvents(
  deps: AcceptRelayEventsDeps,
  request: SignedRequest,
  signal: AbortSignal,
): Promise<AcceptRelayEventsResult> {
  const auth = await authenticateRelayRequest(deps, request, signal);
  if (auth.kind === 'rejected') return { kind: 'unauthorized', reason: auth.reason };
  const parsed = parseSignedBody(request.body, auth.clusterId);
  if (parsed.kind === 'invalid') return parsed;
  const { clusterId, events } = parsed.value;

  const outcomes: Partial<Record<EventOutcome, number>> = {};
  const rejected: RejectedEvent[] = [];
  const failures: unknown[] = [];
  const marks: Marks = { touched: new Set(), dirty: new Set(), dirtyAfter: new Set() };
  const byUid = new Map<string, { readonly event: RelayEvent; readonly index: number }[]>();
  events.forEach((event, index) => {
    const list = byUid.get(event.object.metadata.uid) ?? [];
    list.push({ event, index });
    byUid.set(event.object.metadata.uid, list);
  });
  await forEachLimited([...byUid.values()], CONCURRENCY, async (list) => {
    for (const { event, index } of list) {
      try {
        const outcome = await acceptEvent(deps, { clusterId, event, ...marks }, signal);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } catch (e) {
        // The later events of this uid are not taken either (their order matters); other uids go on.
        if (e instanceof ValidationError)
          rejected.push(
            ...e.problems.map((p) => ({ index, field: `events[${index}].${p.field}`, message: p.message })),
          );
        else failures.push(e);
        return;
      }
    }
  });

  let deletedBySync = 0;
  if (failures.length === 0 && isFullSync(parsed.value))
    deletedBySync = await deleteMissing(deps, { request, clusterId, events, marks }, signal);

  // Whatever was stored is enqueued, even when another event failed: nothing waits for the resync.
  const pools = [...marks.touched].sort();
  const reason = truncateText(`relay ${clusterId}`, MAX_REASON);
  // Pools whose configurations changed are marked dirty again now that every configuration of this
  // request is stored: the mark taken before the first store may already have been reported handled
  // by a reconcile round that ran between two stores and listed only part of them (found by the
  // control-plane bench: configurations waited for the resync timer).
  const changed = pools.filter((k) => marks.dirty.has(k) || marks.dirtyAfter.has(k));
  await requestReconcile(deps, { poolKeys: changed, reason }, signal);
  // A repeat or stale event only re-enqueues, without new dirt (a clean pool's reconcile returns at
  // once), which also completes a failed attempt.
  for (const poolKey of pools.filter((k) => !changed.includes(k)))
    await deps.queue.enqueue({ poolKey, reason }, signal);
  // A storage failure: the relay retries the whole request; what was stored comes back `unchanged`.
  if (failures.length > 0) throw failures[0];
  deps.logger.info('relayEvents: accepted', {
    clusterId,
    events: events.length,
    outcomes,
    deletedBySync,
    pools,
    rejected: rejected.length,
  });
  return { kind: 'accepted', clusterId, outcomes, deletedBySync, pools, rejected };
}

interface Marks {
  /** Pools to enqueue at the end. */
  readonly touched: Set<string>;
  /** Pools already marked dirty by this request. */
  readonly dirty: Set<string>;
  /** Pools to mark dirty at the end (deletions). */
  readonly dirtyAfter: Set<string>;
}

/** The body, decoded (strict UTF-8) and parsed only now that its signature is checked. */
function parseSignedBody(
  body: Uint8Array,
  signedCluster: string,
):
  | { readonly kind: 'ok'; readonly value: RelayEventsRequest }
  | Extract<AcceptRelayEventsResult, { kind: 'invalid' }> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (e) {
    return {
      kind: 'invalid',
      problems: [{ field: 'body', message: `is not UTF-8 JSON: ${(e as Error).message}` }],
    };
  }
  const parsed = parseRelayEventsRequest(json);
  if (parsed.kind === 'invalid') return { kind: 'invalid', problems: parsed.problems };
  if (parsed.value.clusterId !== signedCluster)
    return {
      kind: 'invalid',
      problems: [
        { field: 'clusterId', message: `must equal the ${RELAY_CLUSTER_HEADER} header it was signed for` },
      ],
    };
  return parsed;
}

/** Full SYNC: deletes the stored live configurations the list lacks (see the contract above). */
async function deleteMissing(
  deps: AcceptRelayEventsDeps,
  input: {
    readonly request: SignedRequest;
    readonly clusterId: string;
    readonly events: readonly RelayEvent[];
    readonly marks: Marks;
  },
  signal: AbortSignal,
): Promise<number> {
  const { clusterId, events } = input;
  const listed = new Set(events.map((e) => e.object.metadata.uid));
  const newest = Math.max(0, ...events.map((e) => configVersionOf(e.object.metadata).sequence));
  const signedAtMs = Number(input.request.headers.timestamp) * 1000;
  const stored = await deps.state.listConfigurations({ clusterId }, signal);
  const missing = stored.filter(
    (c) =>
      c.deletedAt === undefined &&
      !listed.has(c.uid) &&
      (isCoveredBy(c.version, newest) ||
        c.updatedAt.getTime() <= signedAtMs - RELAY_SIGNATURE_WINDOW_SECONDS * 1000),
  );
  let deleted = 0;
  await forEachLimited(missing, CONCURRENCY, async (c) => {
    await deleteConfiguration(
      deps,
      { clusterId, uid: c.uid, stored: c, touched: input.marks.touched, dirtyAfter: input.marks.dirtyAfter },
      signal,
    );
    deleted++;
  });
  return deleted;
}

async function acceptEvent(
  deps: AcceptRelayEventsDeps,
  input: {
    readonly clusterId: string;
    readonly event: RelayEvent;
    /** Pools to enqueue at the end. */
    readonly touched: Set<string>;
    /** Pools already marked dirty by this request. */
    readonly dirty: Set<string>;
    /** Pools to mark dirty at the end (deletions). */
    readonly dirtyAfter: Set<string>;
  },
  signal: AbortSignal,
): Promise<EventOutcome> {
  const { clusterId, event, touched } = input;
  const { metadata } = event.object;
  const key = { clusterId, uid: metadata.uid };
  const stored = await deps.state.getConfiguration(key, signal);
  const deleting =
    event.type === 'DELETED' ||
    (metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null);
  if (deleting)
    return deleteConfiguration(
      deps,
      { clusterId, uid: metadata.uid, stored, touched, dirtyAfter: input.dirtyAfter },
      signal,
    );

  const version = configVersionOf(metadata);
  const validation = validateStaticGatewayConfiguration(event.object.spec, {
    subscriptionId: deps.settings.subscriptionId,
  });
  const previousSpec =
    stored === undefined
      ? undefined
      : validStoredSpec(stored.spec, { subscriptionId: deps.settings.subscriptionId });
  const poolKey =
    validation.kind === 'valid'
      ? poolKeyForSpec(validation.spec, {
          gatewayResourceGroup: deps.settings.gatewayResourceGroup,
          ...(stored === undefined
            ? {}
            : {
                previous: {
                  poolKey: stored.poolKey,
                  ...(previousSpec === undefined ? {} : { spec: previousSpec }),
                },
              }),
        })
      : (stored?.poolKey ?? '');
  // Mark the pools dirty BEFORE storing a newer version (a write-ahead mark; the request itself is made
  // once every event is stored): if anything fails after this, the dirt stays recorded, and the
  // relay's retry (which then finds the version stored) still enqueues the pool.
  const newer =
    stored === undefined || (stored.deletedAt === undefined && compareVersions(version, stored.version) > 0);
  const pools = [poolKey, stored?.poolKey ?? ''].filter((k, i, all) => k !== '' && all.indexOf(k) === i);
  if (newer) for (const k of pools) await markOnce(deps, input.dirty, k, signal);
  const outcome = await deps.state.upsertConfiguration(
    {
      clusterId,
      uid: metadata.uid,
      namespace: metadata.namespace,
      name: metadata.name,
      poolKey,
      version,
      spec: event.object.spec ?? {},
    },
    signal,
  );
  for (const k of pools) touched.add(k);
  if (outcome !== 'created' && outcome !== 'updated') return outcome;
  if (validation.kind === 'invalid' && poolKey === '') {
    // No pool will reconcile it: the InvalidSpec condition is written here, and nothing goes to Azure.
    await putConfigurationStatus(
      deps,
      {
        clusterId,
        status: {
          uid: metadata.uid,
          generation: version.generation,
          problem: invalidSpecProblem(validation.problems),
        },
      },
      signal,
    );
  }
  return outcome;
}

/** Tombstones a configuration; finalizes it at once when it never reached a pool. */
async function deleteConfiguration(
  deps: AcceptRelayEventsDeps,
  input: {
    readonly clusterId: string;
    readonly uid: string;
    readonly stored: DesiredConfiguration | undefined;
    readonly touched: Set<string>;
    /** Pools to mark dirty at the end (deletions). */
    readonly dirtyAfter: Set<string>;
  },
  signal: AbortSignal,
): Promise<EventOutcome> {
  const { clusterId, uid, stored } = input;
  const key = { clusterId, uid };
  if (stored?.finalizedAt !== undefined) return 'finalized';
  const tombstone = await deps.state.markConfigurationDeleted(
    { ...key, ...(stored === undefined || stored.poolKey === '' ? {} : { poolKey: stored.poolKey }) },
    signal,
  );
  if (tombstone.poolKey !== '') {
    input.touched.add(tombstone.poolKey);
    input.dirtyAfter.add(tombstone.poolKey);
    return 'deleted';
  }
  await deps.state.finalizeConfiguration(key, signal);
  await putConfigurationStatus(
    deps,
    {
      clusterId,
      status: {
        uid,
        generation: tombstone.version.generation,
        outcome: { uid, kind: 'removed' },
      },
    },
    signal,
  );
  return 'finalized';
}

/** Runs `fn` over `items`, at most `limit` at a time; the first error rejects after all started ones end. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  if (errors.length > 0) throw errors[0];
}

async function markOnce(
  deps: AcceptRelayEventsDeps,
  marked: Set<string>,
  poolKey: string,
  signal: AbortSignal,
): Promise<void> {
  if (marked.has(poolKey)) return;
  marked.add(poolKey);
  await deps.state.markPoolDirty({ poolKey }, signal);
}
