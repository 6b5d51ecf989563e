/**
 * The admin HTTP API (function `admin`, authLevel `admin`: the master key). Its routes live under
 * `manage/`, not `admin/`: the Functions host reserves every route that starts with `admin` for its own
 * admin API and refuses such a function at start ("The specified route conflicts with one or more
 * built in routes"), whatever the route prefix.
 *
 * - `GET  /api/manage/health` → 200 when healthy, 503 when degraded or unhealthy (shared/app/checkHealth.ts):
 *   `{healthy, status: healthy|degraded|unhealthy, checks: {storage, arm, poisonQueue},
 *   failingPools: [{poolKey, at, generation, error}], poison: {count, atLeast, poolKeys}}`
 * - `GET  /api/manage/configurations[?clusterId=…]` → 200 `{items: [...]}` with status
 * - `GET  /api/manage/pools` → 200 `{items: [...]}`: members, dirty/reconciled, lease, last reconcile
 * - `POST /api/manage/pools/{poolKey}/reconcile` → 202 `{poolKey, dirtyGeneration}`
 * - `GET  /api/manage/pools/{poolKey}/audit[?limit=n]` → 200 `{items: [...]}`: the pool's ARM writes, newest
 *   first (resource, method, reason, outcome, actor, correlation id = holder:round:pass)
 * - `GET  /api/manage/poison` → 200 `{items: [...]}`: reconcile requests kept in the poison queue
 * Anything else → 404 naming the routes.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { checkHealth } from '../../shared/app/checkHealth.js';
import type { ControlPlaneSettings } from '../../shared/app/controlPlaneSettings.js';
import { describeConfigurations } from '../../shared/app/describeConfigurations.js';
import { describePools } from '../../shared/app/describePools.js';
import { listPoisonMessages, type PoisonQueueReader } from '../../shared/app/listPoisonMessages.js';
import { requestReconcile } from '../../shared/app/requestReconcile.js';
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
  'GET manage/configurations[?clusterId=]',
  'GET manage/pools',
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
        const items = await describeConfigurations(
          { state: d.state },
          clusterId === undefined ? {} : { clusterId },
          signal,
        );
        return json(200, { items });
      }
      if (method === 'GET' && path === 'pools') return json(200, { items: await describePools(d, signal) });
      if (method === 'GET' && path === 'poison')
        return json(200, { items: await listPoisonMessages(d, signal) });
      const audit = /^pools\/([^/]+)\/audit$/.exec(path);
      if (method === 'GET' && audit !== null) {
        const limit = Number(req.query.get('limit') ?? '100');
        const items = await d.state.listAudit(
          {
            poolKey: decodeURIComponent(audit[1] ?? ''),
            limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 100,
          },
          signal,
        );
        return json(200, { items });
      }
      const reconcile = /^pools\/([^/]+)\/reconcile$/.exec(path);
      if (method === 'POST' && reconcile !== null) {
        const poolKey = decodeURIComponent(reconcile[1] ?? '');
        const [requested] = await requestReconcile(
          d,
          { poolKeys: [poolKey], reason: `admin ${ctx.invocationId}` },
          signal,
        );
        const dirtyGeneration = requested?.dirtyGeneration;
        invocationLogger(ctx).info('admin: reconcile requested', { poolKey, dirtyGeneration });
        return json(202, { poolKey, dirtyGeneration });
      }
      return json(404, { error: `no admin route ${method} manage/${path}`, routes: ROUTES });
    });
}
