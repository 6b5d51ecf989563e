/**
 * The admin HTTP API (function `admin`, authLevel `admin`: the master key). Its routes live under
 * `manage/`, not `admin/`: the Functions host reserves every route that starts with `admin` for its own
 * admin API and refuses such a function at start ("The specified route conflicts with one or more
 * built in routes"), whatever the route prefix.
 *
 * - `GET  /api/manage/health` → 200 when healthy, 503 when degraded or unhealthy (shared/app/checkHealth.ts):
 *   `{healthy, status: healthy|degraded|unhealthy, checks: {storage, arm, poisonQueue},
 *   failingPools: [{poolKey, at, generation, error}], poison: {count, atLeast, poolKeys}}`
 * - `GET  /api/manage/configurations[?clusterId=…]` → 200 `{items: [...], continuationToken?}` with status
 * - `GET  /api/manage/pools` → 200 `{items: [...], continuationToken?}`: members, dirty/reconciled, lease,
 *   last reconcile
 * Listings are paged: `?limit=` (1–1000, default 100) and `?continuationToken=` from the previous page.
 * - `POST /api/manage/pools/{poolKey}/reconcile` → 202 `{poolKey, dirtyGeneration}`
 * - `GET  /api/manage/pools/{poolKey}/audit[?limit=n]` → 200 `{items: [...]}`: the pool's ARM writes, newest
 *   first (resource, method, reason, outcome, actor, correlation id = holder:round:pass)
 * - `GET  /api/manage/poison` → 200 `{items: [...]}`: reconcile requests kept in the poison queue
 * Anything else → 404 naming the routes; a bad query value → 400 naming it.
 *
 * `{*path}` arrives decoded once by the host (as route parameters do in Azure): it is not decoded
 * again (a second decode turned a `%` in a key into a URIError, a 500).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { checkHealth } from '../../shared/app/checkHealth.js';
import type { ControlPlaneSettings } from '../../shared/app/controlPlaneSettings.js';
import { describeConfigurations } from '../../shared/app/describeConfigurations.js';
import { describePools } from '../../shared/app/describePools.js';
import { listPoisonMessages, type PoisonQueueReader } from '../../shared/app/listPoisonMessages.js';
import { pageOf, parsePageRequest, type PageRequest } from '../../shared/app/pageOf.js';
import { requestReconcile } from '../../shared/app/requestReconcile.js';
import { ValidationError } from '../../shared/core/errors.js';
import { truncateText } from '../../shared/core/inputLimits.js';
import { isTableSafeKey } from '../../shared/core/pool.js';
import type { ArmInventory } from '../../shared/ports/armInventory.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { StateStore } from '../../shared/ports/stateStore.js';
import type { WorkQueue } from '../../shared/ports/workQueue.js';
import { answering, invocationLogger, invocationSignal, json } from './invocation.js';

/** The admin route template (the `{*path}` rest is dispatched below). */
export const ADMIN_ROUTE = 'manage/{*path}';

/** What admin needs. */
export interface AdminDeps {
  readonly state: StateStore;
  readonly queue: WorkQueue;
  readonly poison: PoisonQueueReader;
  readonly pools: Pick<ArmInventory, 'getLoadBalancer'>;
  readonly clock: Clock;
  readonly settings: ControlPlaneSettings;
}

const ROUTES = [
  'GET manage/health',
  'GET manage/configurations[?clusterId=&limit=&continuationToken=]',
  'GET manage/pools[?limit=&continuationToken=]',
  'POST manage/pools/{poolKey}/reconcile',
  'GET manage/pools/{poolKey}/audit[?limit=]',
  'GET manage/poison',
];

/** The admin handler over the worker's dependencies. */
export function createAdminHandler(deps: () => AdminDeps) {
  return (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> =>
    answering(async () => {
      const d = deps();
      const signal = invocationSignal();
      const path = (req.params['path'] ?? '').replace(/\/+$/, '');
      const method = req.method.toUpperCase();
      if (method === 'GET' && path === 'health') {
        const report = await checkHealth(
          { state: d.state, inventory: d.pools, poison: d.poison, clock: d.clock, settings: d.settings },
          {},
          signal,
        );
        return json(report.healthy ? 200 : 503, report);
      }
      if (method === 'GET' && path === 'configurations') {
        const clusterId = req.query.get('clusterId') ?? undefined;
        const page = pageRequestOf(req);
        return json(
          200,
          await describeConfigurations(
            { state: d.state },
            clusterId === undefined ? { page } : { clusterId, page },
            signal,
          ),
        );
      }
      if (method === 'GET' && path === 'pools')
        return json(
          200,
          pageOf(await describePools(d, signal), (p) => p.poolKey, pageRequestOf(req)),
        );
      if (method === 'GET' && path === 'poison')
        return json(200, { items: await listPoisonMessages(d, signal) });
      const audit = /^pools\/([^/]+)\/audit$/.exec(path);
      if (method === 'GET' && audit !== null) {
        const poolKey = poolKeyOf(audit[1]);
        const { limit } = pageRequestOf(req);
        const items = await d.state.listAudit({ poolKey, limit }, signal);
        return json(200, { items });
      }
      const reconcile = /^pools\/([^/]+)\/reconcile$/.exec(path);
      if (method === 'POST' && reconcile !== null) {
        const poolKey = poolKeyOf(reconcile[1]);
        const [requested] = await requestReconcile(
          d,
          { poolKeys: [poolKey], reason: `admin ${ctx.invocationId}` },
          signal,
        );
        const dirtyGeneration = requested?.dirtyGeneration;
        invocationLogger(ctx).info('admin: reconcile requested', { poolKey, dirtyGeneration });
        return json(202, { poolKey, dirtyGeneration });
      }
      return json(404, {
        error: `no admin route ${method} manage/${truncateText(path, 200)}`,
        routes: ROUTES,
      });
    });
}

function pageRequestOf(req: HttpRequest): PageRequest {
  return parsePageRequest({
    limit: req.query.get('limit'),
    continuationToken: req.query.get('continuationToken'),
  });
}

/** A pool key from the (already decoded) path, or a 400 naming it. */
function poolKeyOf(segment: string | undefined): string {
  const poolKey = segment ?? '';
  if (!isTableSafeKey(poolKey))
    throw new ValidationError([{ field: 'poolKey', message: 'is not a pool key (see manage/pools)' }]);
  return poolKey;
}
