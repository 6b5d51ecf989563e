/**
 * egret's `StateStore` over Table Storage semantics (the `StateTable` seam). Table layout, with
 * `<p>` the table prefix (default `egret`):
 *
 * | table           | PartitionKey           | RowKey                         | holds |
 * |-----------------|------------------------|--------------------------------|-------|
 * | `<p>Configs`    | cluster id             | config uid                     | desired configuration, version, spec JSON, tombstone times |
 * | `<p>Pools`      | pool key               | `pool`                         | dirty/reconciled generations (Int64), lease holder + expiry, last reconcile, members JSON |
 * | `<p>PortClaims` | pool key               | `port-06001` and `config-<uid>`| one row per claimed port and one per claiming config, written in one transaction |
 * | `<p>Events`     | 2 hex chars of FNV-1a(id) | the id, `%`-escaped         | processed event ids with expiry (create-only) |
 * | `<p>Status`     | cluster id             | config uid                     | status projection (canonical JSON) |
 * | `<p>Audit`      | pool key               | inverted time + unique suffix  | append-only ARM write records, newest first |
 *
 * Every read-modify-write is ETag-guarded and retried on conflict a bounded number of times, so
 * concurrent handlers converge; JSON larger than one property (32K characters) is split over
 * `name`, `name_1`, … (at most 15 parts: spec and status stay far below that).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { compareVersions } from '../../core/configVersion.js';
import { ConflictError, InvariantError, NotFoundError, ValidationError } from '../../core/errors.js';
import type {
  AuditRecord,
  ConfigVersion,
  DesiredConfiguration,
  PoolState,
  PortClaim,
  StateClock,
  StateStore,
  StatusProjection,
} from '../../ports/stateStore.js';
import {
  assertTableKey,
  MAX_STRING_PROPERTY,
  type EdmValue,
  type Props,
  type StateTable,
  type StateTableFactory,
  type TableRow,
} from './stateTable.js';

export interface TableStateStoreOptions {
  readonly tables: StateTableFactory;
  readonly clock?: StateClock;
  /** Prefix of the six table names (letters and digits); lets tests and installations share an account. */
  readonly tablePrefix?: string;
  /** Unique suffixes of audit rows. */
  readonly newId?: () => string;
}

const POOL_ROW = 'pool';
const MAX_ATTEMPTS = 20;
/**
 * Backoff between optimistic-concurrency retries ("full jitter": a random wait below a doubling cap).
 * Without it, many writers racing on one row (e.g. Event Grid delivering a burst of events for one
 * pool, each marking it dirty) re-read and collide in lockstep until they run out of attempts.
 */
const RETRY_BASE_MS = 5;
const RETRY_CAP_MS = 250;
const MAX_JSON_PARTS = 15;
/** Characters per JSON part: below the 32K-character (64 KiB) property limit. */
const JSON_PART = 30_000;
const FINAL_CONFLICTS = new Set(['LeaseLost', 'NotDeleted']);
const systemClock: StateClock = { nowMs: () => Date.now() };

export function createTableStateStore(options: TableStateStoreOptions): StateStore {
  const clock = options.clock ?? systemClock;
  const prefix = options.tablePrefix ?? 'egret';
  const newId = options.newId ?? randomUUID;
  const table = (suffix: string) => {
    let t: Promise<StateTable> | undefined;
    return (signal: AbortSignal): Promise<StateTable> => {
      t ??= options.tables(`${prefix}${suffix}`, signal);
      t.catch(() => (t = undefined));
      return t;
    };
  };
  const configs = table('Configs');
  const pools = table('Pools');
  const ports = table('PortClaims');
  const events = table('Events');
  const statuses = table('Status');
  const audit = table('Audit');

  return {
    // ---- desired configurations ------------------------------------------------------------
    async upsertConfiguration(input, signal) {
      key('clusterId', input.clusterId);
      key('uid', input.uid);
      if (input.poolKey !== '') key('poolKey', input.poolKey);
      assertVersion(input.version);
      const t = await configs(signal);
      return withRetries('upsert configuration', async () => {
        const row = await t.get(input.clusterId, input.uid, signal);
        const props = {
          namespace: input.namespace,
          name: input.name,
          poolKey: input.poolKey,
          generation: BigInt(input.version.generation),
          sequence: BigInt(input.version.sequence),
          updatedAt: dateOf(clock),
          ...jsonProps('spec', input.spec),
        };
        if (!row) {
          await t.create({ partitionKey: input.clusterId, rowKey: input.uid, props }, signal);
          return 'created' as const;
        }
        const current = toConfiguration(row);
        if (current.deletedAt) return 'tombstoned' as const;
        const c = compareVersions(input.version, current.version);
        if (c < 0) return 'stale' as const;
        if (c === 0) return 'unchanged' as const;
        await t.replace({ partitionKey: input.clusterId, rowKey: input.uid, props }, row.etag, signal);
        return 'updated' as const;
      });
    },

    async markConfigurationDeleted(input, signal) {
      key('clusterId', input.clusterId);
      key('uid', input.uid);
      if (input.poolKey !== undefined && input.poolKey !== '') key('poolKey', input.poolKey);
      const t = await configs(signal);
      return withRetries('mark configuration deleted', async () => {
        const row = await t.get(input.clusterId, input.uid, signal);
        const now = dateOf(clock);
        if (!row) {
          const props = {
            namespace: '',
            name: '',
            poolKey: input.poolKey ?? '',
            generation: 0n,
            sequence: 0n,
            updatedAt: now,
            deletedAt: now,
            ...jsonProps('spec', null),
          };
          const etag = await t.create({ partitionKey: input.clusterId, rowKey: input.uid, props }, signal);
          return toConfiguration({ partitionKey: input.clusterId, rowKey: input.uid, props, etag });
        }
        const current = toConfiguration(row);
        if (current.deletedAt) return current;
        const props = { ...row.props, deletedAt: now, updatedAt: now };
        const etag = await t.replace(
          { partitionKey: input.clusterId, rowKey: input.uid, props },
          row.etag,
          signal,
        );
        return toConfiguration({ ...row, props, etag });
      });
    },

    async finalizeConfiguration(input, signal) {
      key('clusterId', input.clusterId);
      key('uid', input.uid);
      const t = await configs(signal);
      return withRetries('finalize configuration', async () => {
        const row = await t.get(input.clusterId, input.uid, signal);
        if (!row) throw new NotFoundError(`configuration ${input.clusterId}/${input.uid} does not exist`);
        const current = toConfiguration(row);
        if (current.finalizedAt) return current;
        if (!current.deletedAt)
          throw new ConflictError(`configuration ${input.clusterId}/${input.uid} is not marked deleted`, {
            detail: 'NotDeleted',
          });
        const now = dateOf(clock);
        const props = { ...row.props, finalizedAt: now, updatedAt: now };
        const etag = await t.replace(
          { partitionKey: input.clusterId, rowKey: input.uid, props },
          row.etag,
          signal,
        );
        return toConfiguration({ ...row, props, etag });
      });
    },

    async getConfiguration(input, signal) {
      key('clusterId', input.clusterId);
      key('uid', input.uid);
      const row = await (await configs(signal)).get(input.clusterId, input.uid, signal);
      return row ? toConfiguration(row) : undefined;
    },

    async listConfigurations(input, signal) {
      key('clusterId', input.clusterId);
      const rows = await (await configs(signal)).query({ partitionKey: input.clusterId }, signal);
      return rows.map(toConfiguration);
    },

    async listAllConfigurations(signal) {
      return (await (await configs(signal)).query({}, signal)).map(toConfiguration);
    },

    async listConfigurationsByPool(input, signal) {
      key('poolKey', input.poolKey);
      const rows = await (
        await configs(signal)
      ).query({ filters: [{ property: 'poolKey', op: 'eq', value: input.poolKey }] }, signal);
      return rows.map(toConfiguration);
    },

    async purgeFinalizedConfigurations(input, signal) {
      const t = await configs(signal);
      const rows = await t.query(
        { filters: [{ property: 'finalizedAt', op: 'lt', value: input.finalizedBefore }] },
        signal,
      );
      return deleteAll(t, rows, signal);
    },

    // ---- pools ---------------------------------------------------------------------------
    async markPoolDirty(input, signal) {
      key('poolKey', input.poolKey);
      const t = await pools(signal);
      // The generation first read. A later read showing a higher one means another mark was written
      // AFTER that read, so after the caller's change was stored: a reconcile that sees that mark sees
      // the change too, and this mark is covered without writing. So a burst of marks on one pool
      // coalesces instead of retrying in lockstep (issue 12: 200 concurrent deliveries gave 47 × 500
      // "still conflicting after 20 attempts"; a 1000-event delivery failed 896 invocations).
      let seen: number | undefined;
      return withRetries('mark pool dirty', async () => {
        const row = await t.get(input.poolKey, POOL_ROW, signal);
        const current = row === undefined ? 0 : int(row.props, 'dirtyGeneration');
        if (seen !== undefined && current > seen) return { dirtyGeneration: current };
        seen ??= current;
        if (!row) {
          await t.create(
            { partitionKey: input.poolKey, rowKey: POOL_ROW, props: { ...emptyPool(), dirtyGeneration: 1n } },
            signal,
          );
          return { dirtyGeneration: 1 };
        }
        const dirtyGeneration = current + 1;
        await t.replace(
          {
            partitionKey: input.poolKey,
            rowKey: POOL_ROW,
            props: { ...row.props, dirtyGeneration: BigInt(dirtyGeneration) },
          },
          row.etag,
          signal,
        );
        return { dirtyGeneration };
      });
    },

    async acquirePoolLease(input, signal) {
      key('poolKey', input.poolKey);
      assertHolder(input.holderId, input.durationMs);
      const t = await pools(signal);
      return withRetries('acquire pool lease', async () => {
        const row = await t.get(input.poolKey, POOL_ROW, signal);
        const now = dateOf(clock);
        const expiresAt = new Date(now.getTime() + input.durationMs);
        const lease = { leaseHolder: input.holderId, leaseExpiresAt: expiresAt };
        if (!row) {
          await t.create(
            { partitionKey: input.poolKey, rowKey: POOL_ROW, props: { ...emptyPool(), ...lease } },
            signal,
          );
          return {
            kind: 'acquired' as const,
            lease: { poolKey: input.poolKey, holderId: input.holderId, expiresAt, dirtyGeneration: 0 },
          };
        }
        const holder = str(row.props, 'leaseHolder');
        const until = date(row.props, 'leaseExpiresAt');
        if (holder !== '' && holder !== input.holderId && until && until > now)
          return { kind: 'held' as const, holderId: holder, expiresAt: until };
        await t.replace(
          { partitionKey: input.poolKey, rowKey: POOL_ROW, props: { ...row.props, ...lease } },
          row.etag,
          signal,
        );
        return {
          kind: 'acquired' as const,
          lease: {
            poolKey: input.poolKey,
            holderId: input.holderId,
            expiresAt,
            dirtyGeneration: int(row.props, 'dirtyGeneration'),
          },
        };
      });
    },

    async renewPoolLease(input, signal) {
      key('poolKey', input.poolKey);
      assertHolder(input.holderId, input.durationMs);
      const t = await pools(signal);
      return withRetries('renew pool lease', async () => {
        const row = heldLeaseRow(await t.get(input.poolKey, POOL_ROW, signal), input);
        const expiresAt = new Date(dateOf(clock).getTime() + input.durationMs);
        await t.replace(
          {
            partitionKey: input.poolKey,
            rowKey: POOL_ROW,
            props: { ...row.props, leaseExpiresAt: expiresAt },
          },
          row.etag,
          signal,
        );
        return {
          poolKey: input.poolKey,
          holderId: input.holderId,
          expiresAt,
          dirtyGeneration: int(row.props, 'dirtyGeneration'),
        };
      });
    },

    async completePoolReconcile(input, signal) {
      key('poolKey', input.poolKey);
      assertHolder(input.holderId, input.durationMs);
      const t = await pools(signal);
      return withRetries('complete pool reconcile', async () => {
        const row = heldLeaseRow(await t.get(input.poolKey, POOL_ROW, signal), input);
        const now = dateOf(clock);
        const dirty = int(row.props, 'dirtyGeneration');
        const succeeded = input.outcome.kind === 'succeeded';
        const props: Record<string, EdmValue> = {
          ...row.props,
          lastReconcileAt: now,
          lastOutcome: input.outcome.kind,
          lastGeneration: BigInt(input.reconciledGeneration),
          lastError: input.outcome.kind === 'failed' ? input.outcome.error.slice(0, 8000) : '',
        };
        if (input.outcome.kind === 'succeeded') {
          props.reconciledGeneration = BigInt(
            Math.max(int(row.props, 'reconciledGeneration'), input.reconciledGeneration),
          );
          if (input.outcome.members !== undefined) {
            for (const k of Object.keys(props)) if (/^members(_\d+|Parts)?$/.test(k)) delete props[k];
            Object.assign(props, jsonProps('members', input.outcome.members));
          }
        }
        if (succeeded && dirty > input.reconciledGeneration) {
          const expiresAt = new Date(now.getTime() + input.durationMs);
          props.leaseExpiresAt = expiresAt;
          await t.replace({ partitionKey: input.poolKey, rowKey: POOL_ROW, props }, row.etag, signal);
          return {
            kind: 'dirty' as const,
            lease: { poolKey: input.poolKey, holderId: input.holderId, expiresAt, dirtyGeneration: dirty },
          };
        }
        props.leaseHolder = '';
        props.leaseExpiresAt = now;
        // ETag-guarded: a markPoolDirty after our read makes this fail, and the retry sees the dirt.
        await t.replace({ partitionKey: input.poolKey, rowKey: POOL_ROW, props }, row.etag, signal);
        return { kind: 'released' as const };
      });
    },

    async getPool(input, signal) {
      key('poolKey', input.poolKey);
      const row = await (await pools(signal)).get(input.poolKey, POOL_ROW, signal);
      return row ? toPool(row, dateOf(clock)) : undefined;
    },

    async listPools(signal) {
      const rows = await (
        await pools(signal)
      ).query({ filters: [{ property: 'RowKey', op: 'eq', value: POOL_ROW }] }, signal);
      const now = dateOf(clock);
      return rows.map((r) => toPool(r, now));
    },

    // ---- port claims -----------------------------------------------------------------------
    async claimPort(input, signal) {
      key('poolKey', input.poolKey);
      key('configUid', input.configUid);
      const { min, max } = input.range;
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max)
        throw new ValidationError([{ field: 'range', message: `${min}-${max} is not a port range` }]);
      const t = await ports(signal);
      return withRetries('claim port', async () => {
        const rows = await t.query({ partitionKey: input.poolKey }, signal);
        const mine = rows.find((r) => r.rowKey === configRowKey(input.configUid));
        if (mine) return toClaim(input.poolKey, mine);
        const taken = new Set(
          rows.filter((r) => r.rowKey.startsWith('port-')).map((r) => int(r.props, 'port')),
        );
        let port = min;
        while (port <= max && taken.has(port)) port++;
        if (port > max)
          throw new ValidationError([
            { field: 'port', message: `every port of ${min}-${max} is claimed in pool ${input.poolKey}` },
          ]);
        const claimedAt = dateOf(clock);
        const props = { port, configUid: input.configUid, claimedAt };
        await t.transact(
          input.poolKey,
          [
            { kind: 'create', row: { partitionKey: input.poolKey, rowKey: portRowKey(port), props } },
            {
              kind: 'create',
              row: { partitionKey: input.poolKey, rowKey: configRowKey(input.configUid), props },
            },
          ],
          signal,
        );
        return { poolKey: input.poolKey, port, configUid: input.configUid, claimedAt };
      });
    },

    async releasePort(input, signal) {
      key('poolKey', input.poolKey);
      key('configUid', input.configUid);
      const t = await ports(signal);
      await withRetries('release port', async () => {
        const mine = await t.get(input.poolKey, configRowKey(input.configUid), signal);
        if (!mine) return;
        const portKey = portRowKey(int(mine.props, 'port'));
        const portRow = await t.get(input.poolKey, portKey, signal);
        const ops = [{ kind: 'delete' as const, rowKey: configRowKey(input.configUid) }];
        if (portRow && str(portRow.props, 'configUid') === input.configUid)
          ops.push({ kind: 'delete', rowKey: portKey });
        try {
          await t.transact(input.poolKey, ops, signal);
        } catch (e) {
          // Someone released it between our reads: retry re-reads and finds nothing to do.
          if (e instanceof NotFoundError)
            throw new ConflictError('port claim changed while releasing', { cause: e });
          throw e;
        }
      });
    },

    async listPortClaims(input, signal) {
      key('poolKey', input.poolKey);
      const rows = await (await ports(signal)).query({ partitionKey: input.poolKey }, signal);
      return rows.filter((r) => r.rowKey.startsWith('port-')).map((r) => toClaim(input.poolKey, r));
    },

    // ---- processed events ------------------------------------------------------------------
    async markEventProcessed(input, signal) {
      if (!Number.isFinite(input.ttlMs) || input.ttlMs <= 0)
        throw new ValidationError([{ field: 'ttlMs', message: 'must be a positive number of milliseconds' }]);
      const [pk, rk] = eventKey(input.eventId);
      const t = await events(signal);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const now = dateOf(clock);
        const props = { processedAt: now, expiresAt: new Date(now.getTime() + input.ttlMs) };
        try {
          await t.create({ partitionKey: pk, rowKey: rk, props }, signal);
          return true;
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
        }
        const row = await t.get(pk, rk, signal);
        if (!row) continue; // purged between our create and get
        const expiresAt = date(row.props, 'expiresAt');
        if (expiresAt && expiresAt > now) return false;
        try {
          await t.replace({ partitionKey: pk, rowKey: rk, props }, row.etag, signal);
          return true;
        } catch (e) {
          if (e instanceof ConflictError) return false; // another handler renewed it first: theirs
          if (e instanceof NotFoundError) continue;
          throw e;
        }
      }
      throw new ConflictError(`event ${input.eventId}: too much contention`);
    },

    async forgetEvent(input, signal) {
      const [pk, rk] = eventKey(input.eventId);
      try {
        await (await events(signal)).delete(pk, rk, '*', signal);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    },

    async purgeExpiredEvents(signal) {
      const t = await events(signal);
      const rows = await t.query(
        { filters: [{ property: 'expiresAt', op: 'lt', value: dateOf(clock) }] },
        signal,
      );
      return deleteAll(t, rows, signal);
    },

    // ---- status projections ----------------------------------------------------------------
    async putStatus(input, signal) {
      key('clusterId', input.clusterId);
      key('uid', input.uid);
      const t = await statuses(signal);
      const canonical = canonicalJson(input.status);
      return withRetries('put status', async () => {
        const row = await t.get(input.clusterId, input.uid, signal);
        if (row && joinJson(row.props, 'status') === canonical) return { changed: false };
        const props = { updatedAt: dateOf(clock), ...splitJson('status', canonical) };
        if (row)
          await t.replace({ partitionKey: input.clusterId, rowKey: input.uid, props }, row.etag, signal);
        else await t.create({ partitionKey: input.clusterId, rowKey: input.uid, props }, signal);
        return { changed: true };
      });
    },

    async getStatus(input, signal) {
      key('clusterId', input.clusterId);
      key('uid', input.uid);
      const row = await (await statuses(signal)).get(input.clusterId, input.uid, signal);
      return row ? toStatus(row) : undefined;
    },

    async listStatuses(input, signal) {
      key('clusterId', input.clusterId);
      const rows = await (await statuses(signal)).query({ partitionKey: input.clusterId }, signal);
      return rows.map(toStatus);
    },

    async deleteStatus(input, signal) {
      key('clusterId', input.clusterId);
      key('uid', input.uid);
      try {
        await (await statuses(signal)).delete(input.clusterId, input.uid, '*', signal);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    },

    // ---- audit -------------------------------------------------------------------------------
    async appendAudit(entry, signal) {
      key('poolKey', entry.poolKey);
      const at = dateOf(clock);
      // Inverted milliseconds make the newest row sort first; the id keeps same-millisecond rows apart.
      const rowKey = `${String(9_999_999_999_999 - at.getTime()).padStart(13, '0')}-${newId()}`;
      key('audit id', rowKey);
      const props: Record<string, EdmValue> = {
        at,
        resourceId: entry.resourceId,
        method: entry.method,
        reason: entry.reason,
        correlationId: entry.correlationId,
        actor: entry.actor,
        outcome: entry.outcome,
      };
      if (entry.error !== undefined) props.error = entry.error.slice(0, 8000);
      for (const [k, v] of Object.entries(props))
        if (typeof v === 'string' && v.length > MAX_STRING_PROPERTY)
          throw new ValidationError([{ field: k, message: `longer than ${MAX_STRING_PROPERTY} characters` }]);
      await (await audit(signal)).create({ partitionKey: entry.poolKey, rowKey, props }, signal);
      return { ...entry, at };
    },

    async listAudit(input, signal) {
      key('poolKey', input.poolKey);
      const limit = input.limit ?? 100;
      const rows = await (await audit(signal)).query({ partitionKey: input.poolKey }, signal);
      return rows.slice(0, limit).map(toAudit);
    },
  };
}

// ---- helpers ---------------------------------------------------------------------------------

function key(field: string, value: string): void {
  assertTableKey(field, value);
}

function assertVersion(v: ConfigVersion): void {
  const problems = (['generation', 'sequence'] as const)
    .filter((k) => !Number.isSafeInteger(v[k]) || v[k] < 0)
    .map((k) => ({ field: `version.${k}`, message: 'must be a non-negative integer' }));
  if (problems.length > 0) throw new ValidationError(problems);
}

function assertHolder(holderId: string, durationMs: number): void {
  key('holderId', holderId);
  if (!Number.isFinite(durationMs) || durationMs <= 0)
    throw new ValidationError([
      { field: 'durationMs', message: 'must be a positive number of milliseconds' },
    ]);
}

/** The pool row while `input.holderId` holds its lease; a `LeaseLost` conflict otherwise. */
function heldLeaseRow(
  row: TableRow | undefined,
  input: { readonly poolKey: string; readonly holderId: string },
): TableRow {
  if (!row || str(row.props, 'leaseHolder') !== input.holderId)
    throw new ConflictError(`the lease of pool ${input.poolKey} is no longer held by ${input.holderId}`, {
      detail: 'LeaseLost',
    });
  return row;
}

async function withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    try {
      return await attempt();
    } catch (e) {
      // 409 on create (someone created it first) or 412 on replace (someone changed it): re-read.
      // Conflicts that are answers, not races, go to the caller.
      if (!(e instanceof ConflictError) || FINAL_CONFLICTS.has(e.detail ?? '')) throw e;
      last = e;
    }
    if (i < MAX_ATTEMPTS - 1) await delay(Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** i));
  }
  throw new ConflictError(`${what}: still conflicting after ${MAX_ATTEMPTS} attempts`, { cause: last });
}

async function deleteAll(t: StateTable, rows: readonly TableRow[], signal: AbortSignal): Promise<number> {
  let n = 0;
  for (const r of rows) {
    try {
      await t.delete(r.partitionKey, r.rowKey, r.etag, signal);
      n++;
    } catch (e) {
      // Changed or gone since the query: someone else's business now.
      if (!(e instanceof ConflictError) && !(e instanceof NotFoundError)) throw e;
    }
  }
  return n;
}

function emptyPool(): Record<string, EdmValue> {
  return { dirtyGeneration: 0n, reconciledGeneration: 0n, leaseHolder: '' };
}

function portRowKey(port: number): string {
  return `port-${String(port).padStart(5, '0')}`;
}

function configRowKey(uid: string): string {
  return `config-${uid}`;
}

/**
 * Event ids come from outside (Event Grid, the relay): any string. `%`, the forbidden key characters
 * and control characters are %-escaped so every id has a key; partitions spread by a hash.
 */
export function eventKey(eventId: string): [string, string] {
  if (typeof eventId !== 'string' || eventId === '')
    throw new ValidationError([{ field: 'eventId', message: 'must be a non-empty string' }]);

  const rk = eventId.replace(/[%/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  assertTableKey('eventId', rk);
  let h = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) h = Math.imul(h ^ eventId.charCodeAt(i), 0x01000193) >>> 0;
  return [(h & 0xff).toString(16).padStart(2, '0'), rk];
}

/** JSON with object keys sorted, so equal values always give equal strings. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  const s = JSON.stringify(sort(value));
  if (s === undefined)
    throw new ValidationError([{ field: 'json', message: 'value is not JSON-serializable' }]);
  return s;
}

function jsonProps(name: string, value: unknown): Record<string, EdmValue> {
  return splitJson(name, canonicalJson(value));
}

function splitJson(name: string, json: string): Record<string, EdmValue> {
  const parts = Math.max(1, Math.ceil(json.length / JSON_PART));
  if (parts > MAX_JSON_PARTS)
    throw new ValidationError([
      {
        field: name,
        message: `is ${json.length} characters of JSON; at most ${MAX_JSON_PARTS * JSON_PART} fit`,
      },
    ]);
  const out: Record<string, EdmValue> = { [`${name}Parts`]: parts };
  for (let i = 0; i < parts; i++)
    out[i === 0 ? name : `${name}_${i}`] = json.slice(i * JSON_PART, (i + 1) * JSON_PART);
  return out;
}

function joinJson(props: Props, name: string): string | undefined {
  const parts = props[`${name}Parts`];
  if (parts === undefined) return undefined;
  let s = '';
  for (let i = 0; i < Number(parts); i++) {
    const part = props[i === 0 ? name : `${name}_${i}`];
    if (typeof part !== 'string') throw new InvariantError(`JSON property ${name} part ${i} is missing`);
    s += part;
  }
  return s;
}

function readJson(props: Props, name: string): unknown {
  const s = joinJson(props, name);
  return s === undefined ? undefined : (JSON.parse(s) as unknown);
}

function str(props: Props, name: string): string {
  const v = props[name];
  return typeof v === 'string' ? v : '';
}

function int(props: Props, name: string): number {
  const v = props[name];
  if (v === undefined) return 0;
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : NaN;
  if (!Number.isSafeInteger(n)) throw new InvariantError(`property ${name} is not an integer: ${String(v)}`);
  return n;
}

function date(props: Props, name: string): Date | undefined {
  const v = props[name];
  return v instanceof Date ? v : undefined;
}

function toConfiguration(row: TableRow): DesiredConfiguration {
  const p = row.props;
  const deletedAt = date(p, 'deletedAt');
  const finalizedAt = date(p, 'finalizedAt');
  return {
    clusterId: row.partitionKey,
    uid: row.rowKey,
    namespace: str(p, 'namespace'),
    name: str(p, 'name'),
    poolKey: str(p, 'poolKey'),
    version: { generation: int(p, 'generation'), sequence: int(p, 'sequence') },
    spec: readJson(p, 'spec') ?? null,
    ...(deletedAt ? { deletedAt } : {}),
    ...(finalizedAt ? { finalizedAt } : {}),
    updatedAt: date(p, 'updatedAt') ?? new Date(0),
  };
}

function toPool(row: TableRow, now: Date): PoolState {
  const p = row.props;
  const holder = str(p, 'leaseHolder');
  const until = date(p, 'leaseExpiresAt');
  const at = date(p, 'lastReconcileAt');
  const outcome = str(p, 'lastOutcome');
  const members = readJson(p, 'members');
  const error = str(p, 'lastError');
  return {
    poolKey: row.partitionKey,
    dirtyGeneration: int(p, 'dirtyGeneration'),
    reconciledGeneration: int(p, 'reconciledGeneration'),
    ...(holder !== '' && until && until > now ? { lease: { holderId: holder, expiresAt: until } } : {}),
    ...(at && (outcome === 'succeeded' || outcome === 'failed')
      ? {
          lastReconcile: {
            at,
            outcome,
            generation: int(p, 'lastGeneration'),
            ...(error !== '' ? { error } : {}),
          },
        }
      : {}),
    ...(members === undefined ? {} : { members }),
  };
}

function toClaim(poolKey: string, row: TableRow): PortClaim {
  return {
    poolKey,
    port: int(row.props, 'port'),
    configUid: str(row.props, 'configUid'),
    claimedAt: date(row.props, 'claimedAt') ?? new Date(0),
  };
}

function toStatus(row: TableRow): StatusProjection {
  return {
    clusterId: row.partitionKey,
    uid: row.rowKey,
    status: readJson(row.props, 'status') ?? null,
    updatedAt: date(row.props, 'updatedAt') ?? new Date(0),
  };
}

function toAudit(row: TableRow): AuditRecord {
  const p = row.props;
  const error = p.error;
  return {
    poolKey: row.partitionKey,
    at: date(p, 'at') ?? new Date(0),
    resourceId: str(p, 'resourceId'),
    method: str(p, 'method') as AuditRecord['method'],
    reason: str(p, 'reason'),
    correlationId: str(p, 'correlationId'),
    actor: str(p, 'actor'),
    outcome: str(p, 'outcome') as AuditRecord['outcome'],
    ...(typeof error === 'string' ? { error } : {}),
  };
}

/** The clock's time as a Date (what rows are stamped with). */
function dateOf(clock: StateClock): Date {
  return new Date(clock.nowMs());
}
