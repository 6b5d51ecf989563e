/**
 * egret's derived state (DESIGN.md "Who owns what"): desired configurations forwarded by the relay,
 * gateway pools (dirty counter + lease), port claims, processed event ids, status projections and an
 * audit of ARM writes. Kept in Azure Table Storage (`shared/adapters/tables`); an in-memory
 * implementation of the same contract serves unit tests.
 *
 * The port is split by use: each use case depends on the slices it needs; `StateStore` is all of them.
 * Every method takes an `AbortSignal`. Errors are egret's taxonomy only:
 * - `ValidationError` for a key that cannot be stored (`/ \ # ?`, control characters, > 512
 *   characters = 1 KiB of UTF-16, empty) or a value too large, naming the field;
 * - `ConflictError` when a concurrent writer won (stale ETag / existing row) and retrying is wrong;
 * - `NotFoundError` for a missing row where the method says so;
 * - `TransientError` for throttling, 5xx and network failures.
 */

import type { ConfigVersion } from '../core/configVersion.js';
import type { Clock } from './clock.js';

/** Orders the versions of one configuration (core configVersion.ts has the rule). */
export type { ConfigVersion };

/** One StaticGatewayConfiguration as the control plane last accepted it. */
export interface DesiredConfiguration {
  readonly clusterId: string;
  /** metadata.uid: stable for the object's life, new when a same-named object is recreated. */
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** The gateway pool the spec resolves to (`shared/core/pool.ts` `poolKey`); empty when unknown. */
  readonly poolKey: string;
  readonly version: ConfigVersion;
  /** The spec as JSON (validated before it is stored; `null` for a tombstone created by a delete). */
  readonly spec: unknown;
  /** When the deletion was requested: a tombstone, kept so late or replayed upserts stay harmless. */
  readonly deletedAt?: Date;
  /** When Azure was cleaned up for it; the relay may then remove its finalizer. */
  readonly finalizedAt?: Date;
  readonly updatedAt: Date;
}

export interface UpsertConfigurationInput {
  readonly clusterId: string;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly poolKey: string;
  readonly version: ConfigVersion;
  readonly spec: unknown;
}

/**
 * - `created`/`updated`: stored;
 * - `unchanged`: the same version is stored already (a replay; the stored spec is kept);
 * - `stale`: an older version than the stored one, ignored;
 * - `tombstoned`: the configuration was deleted; deletion is final for a uid.
 */
export type UpsertConfigurationOutcome = 'created' | 'updated' | 'unchanged' | 'stale' | 'tombstoned';

export interface ConfigurationKey {
  readonly clusterId: string;
  readonly uid: string;
}

export interface ConfigurationStore {
  /** Stores a configuration if its version is newer than the stored one. Idempotent. */
  upsertConfiguration(
    input: UpsertConfigurationInput,
    signal: AbortSignal,
  ): Promise<UpsertConfigurationOutcome>;
  /**
   * Marks a configuration deleted (keeps the row as a tombstone). Idempotent; a delete that arrives
   * before the create leaves a tombstone with `poolKey` as given (or empty), so the late create is ignored.
   */
  markConfigurationDeleted(
    input: ConfigurationKey & { readonly poolKey?: string },
    signal: AbortSignal,
  ): Promise<DesiredConfiguration>;
  /**
   * Records that Azure no longer holds anything for a deleted configuration. Idempotent.
   * @throws NotFoundError when there is no such configuration.
   * @throws ConflictError when it was not marked deleted.
   */
  finalizeConfiguration(key: ConfigurationKey, signal: AbortSignal): Promise<DesiredConfiguration>;
  getConfiguration(key: ConfigurationKey, signal: AbortSignal): Promise<DesiredConfiguration | undefined>;
  /** All configurations of a cluster, tombstones included, ordered by uid. */
  listConfigurations(
    input: { readonly clusterId: string },
    signal: AbortSignal,
  ): Promise<readonly DesiredConfiguration[]>;
  /**
   * Every configuration of every cluster, tombstones included, ordered by cluster and uid: for the rules
   * between configurations of different pools (a VM or a BYO prefix is one Azure resource).
   */
  listAllConfigurations(signal: AbortSignal): Promise<readonly DesiredConfiguration[]>;
  /** All configurations (every cluster) resolving to a pool, tombstones included, ordered by cluster and uid. */
  listConfigurationsByPool(
    input: { readonly poolKey: string },
    signal: AbortSignal,
  ): Promise<readonly DesiredConfiguration[]>;
  /** Deletes tombstones finalized before `finalizedBefore`; returns how many. */
  purgeFinalizedConfigurations(
    input: { readonly finalizedBefore: Date },
    signal: AbortSignal,
  ): Promise<number>;
}

/** A pool lease held by one reconcile worker. */
export interface PoolLease {
  readonly poolKey: string;
  readonly holderId: string;
  readonly expiresAt: Date;
  /** The dirty generation when the lease was taken or renewed: reconcile at least up to it. */
  readonly dirtyGeneration: number;
}

export interface PoolState {
  readonly poolKey: string;
  /** Grows by one with every `markPoolDirty`. */
  readonly dirtyGeneration: number;
  /** The highest dirty generation a successful reconcile covered; the pool needs work while lower. */
  readonly reconciledGeneration: number;
  /** Present while held and not expired. */
  readonly lease?: { readonly holderId: string; readonly expiresAt: Date };
  readonly lastReconcile?: {
    readonly at: Date;
    readonly outcome: 'succeeded' | 'failed';
    readonly generation: number;
    readonly error?: string;
  };
  /** The member summary the last successful reconcile reported (for admin), as JSON. */
  readonly members?: unknown;
}

export type LeaseAcquisition =
  | { readonly kind: 'acquired'; readonly lease: PoolLease }
  /** Someone else holds an unexpired lease: the caller has marked the pool dirty and returns. */
  | { readonly kind: 'held'; readonly holderId: string; readonly expiresAt: Date };

export type ReconcileOutcome =
  | { readonly kind: 'succeeded'; readonly members?: unknown }
  | { readonly kind: 'failed'; readonly error: string };

/**
 * - `released`: no new dirt arrived since `reconciledGeneration` (or the reconcile failed): lease gone;
 * - `dirty`: new dirt arrived while working; the lease is kept and renewed: reconcile again.
 */
export type ReconcileCompletion =
  { readonly kind: 'released' } | { readonly kind: 'dirty'; readonly lease: PoolLease };

/**
 * "One worker per pool" (DESIGN.md): mark dirty → try the lease → loser returns, holder loops while
 * dirty. Releasing is conditional on no new dirt (ETag-guarded), so a mark that lost the lease race
 * is never lost.
 */
export interface PoolStore {
  markPoolDirty(
    input: { readonly poolKey: string },
    signal: AbortSignal,
  ): Promise<{ readonly dirtyGeneration: number }>;
  /** Takes the lease when free, expired or already ours (then it is renewed). */
  acquirePoolLease(
    input: { readonly poolKey: string; readonly holderId: string; readonly durationMs: number },
    signal: AbortSignal,
  ): Promise<LeaseAcquisition>;
  /** @throws ConflictError when the lease is no longer ours. */
  renewPoolLease(
    input: { readonly poolKey: string; readonly holderId: string; readonly durationMs: number },
    signal: AbortSignal,
  ): Promise<PoolLease>;
  /**
   * Records the reconcile result and releases the lease unless new dirt arrived (see ReconcileCompletion).
   * A failed reconcile always releases (the queue retry brings it back; the dirt stays recorded).
   * @throws ConflictError when the lease is no longer ours (the result is not recorded).
   */
  completePoolReconcile(
    input: {
      readonly poolKey: string;
      readonly holderId: string;
      readonly reconciledGeneration: number;
      readonly outcome: ReconcileOutcome;
      readonly durationMs: number;
    },
    signal: AbortSignal,
  ): Promise<ReconcileCompletion>;
  getPool(input: { readonly poolKey: string }, signal: AbortSignal): Promise<PoolState | undefined>;
  /** Every pool, ordered by key. */
  listPools(signal: AbortSignal): Promise<readonly PoolState[]>;
}

/** A WireGuard/LB port (6000–6999 upstream) claimed by one configuration within its pool. */
export interface PortClaim {
  readonly poolKey: string;
  readonly port: number;
  readonly configUid: string;
  readonly claimedAt: Date;
}

export interface PortClaimStore {
  /**
   * Returns the configuration's claim in the pool, claiming the lowest free port of `range` when it
   * has none. Atomic: two configurations never hold one port, one configuration never holds two.
   * @throws ValidationError when every port of the range is taken.
   */
  claimPort(
    input: {
      readonly poolKey: string;
      readonly configUid: string;
      readonly range: { readonly min: number; readonly max: number };
    },
    signal: AbortSignal,
  ): Promise<PortClaim>;
  /** Frees the configuration's port. Idempotent. */
  releasePort(
    input: { readonly poolKey: string; readonly configUid: string },
    signal: AbortSignal,
  ): Promise<void>;
  /** Claims of a pool, ordered by port. */
  listPortClaims(input: { readonly poolKey: string }, signal: AbortSignal): Promise<readonly PortClaim[]>;
}

export interface EventDedupeStore {
  /**
   * Records an event id (create-only). True when it was not seen, or its record expired; false when
   * it was seen and has not expired. Any string id is accepted (ids are encoded for the key).
   */
  markEventProcessed(
    input: { readonly eventId: string; readonly ttlMs: number },
    signal: AbortSignal,
  ): Promise<boolean>;
  /** Forgets an id, so a redelivery is handled again (use when handling failed after marking). */
  forgetEvent(input: { readonly eventId: string }, signal: AbortSignal): Promise<void>;
  /** Deletes expired records; returns how many. */
  purgeExpiredEvents(signal: AbortSignal): Promise<number>;
}

/** The status the control plane computed for a configuration (what the relay patches into /status). */
export interface StatusProjection {
  readonly clusterId: string;
  readonly uid: string;
  readonly status: unknown;
  readonly updatedAt: Date;
}

export interface StatusStore {
  /**
   * Stores the status unless it equals the stored one (compared as canonical JSON, key order
   * ignored), so identical reconciles never rewrite it. Returns whether it changed.
   */
  putStatus(
    input: { readonly clusterId: string; readonly uid: string; readonly status: unknown },
    signal: AbortSignal,
  ): Promise<{ readonly changed: boolean }>;
  getStatus(key: ConfigurationKey, signal: AbortSignal): Promise<StatusProjection | undefined>;
  /** Statuses of a cluster, ordered by uid. */
  listStatuses(
    input: { readonly clusterId: string },
    signal: AbortSignal,
  ): Promise<readonly StatusProjection[]>;
  /** Idempotent. */
  deleteStatus(key: ConfigurationKey, signal: AbortSignal): Promise<void>;
}

/** One ARM write, as recorded: who, what, when, why, and how it ended. */
export interface AuditEntry {
  readonly poolKey: string;
  /** The ARM id written. */
  readonly resourceId: string;
  readonly method: 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  /** Why: the plan step or reason, e.g. `vmss-model: add ipConfig egressgateway-<uid>`. */
  readonly reason: string;
  /** ARM correlation id / the invocation that did it. */
  readonly correlationId: string;
  /** Who: the worker/holder id. */
  readonly actor: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly error?: string;
}

export interface AuditRecord extends AuditEntry {
  readonly at: Date;
}

export interface AuditLog {
  /** Appends (never overwrites) one record stamped with the store's clock. */
  appendAudit(entry: AuditEntry, signal: AbortSignal): Promise<AuditRecord>;
  /** The newest records of a pool first, at most `limit` (default 100). */
  listAudit(
    input: { readonly poolKey: string; readonly limit?: number },
    signal: AbortSignal,
  ): Promise<readonly AuditRecord[]>;
}

/** All of egret's table state. */
export interface StateStore
  extends ConfigurationStore, PoolStore, PortClaimStore, EventDedupeStore, StatusStore, AuditLog {}

/** The time source of a state store and a work queue (lease and dedupe expiry, timestamps): the one `Clock`'s time. */
export type StateClock = Pick<Clock, 'nowMs'>;
