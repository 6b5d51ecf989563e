/**
 * The function handlers with the real `HttpRequest` / `InvocationContext` of @azure/functions, over the
 * in-memory use-case world: the HTTP contracts as the relay and operators see them (status codes,
 * bodies, headers), and the non-HTTP triggers' translation (what throws, what does not).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import functions from '@azure/functions';
import { createAdminHandler } from '../../functions/handlers/adminHandler.js';
import { createArmEventsHandler } from '../../functions/handlers/armEventsHandler.js';
import { createReconcileHandler } from '../../functions/handlers/reconcileHandler.js';
import {
  createRelayEventsHandler,
  createRelayStatusHandler,
} from '../../functions/handlers/relayHandlers.js';
import type { AcceptRelayEventsDeps } from '../../shared/app/acceptRelayEvents.js';
import { signRelayHttpRequest } from '../../shared/adapters/system/hmacSha256Hex.js';
import { TransientError } from '../../shared/core/errors.js';
import { CLUSTER, SECRET, createAppWorld, manualClock, sgc, vmssSpec } from '../app/support/appWorld.js';

import { createLineLogger } from '../../shared/adapters/system/createLineLogger.js';
import { createRejectionLog } from '../../shared/app/rejectionLog.js';
import { MAX_RELAY_BODY_BYTES } from '../../shared/core/relayContract.js';

const { HttpRequest, InvocationContext } = functions;

const ctx = (name: string): InstanceType<typeof InvocationContext> =>
  new InvocationContext({ invocationId: 'inv-1', functionName: name, logHandler: () => undefined });

function signedPost(
  w: ReturnType<typeof createAppWorld>,
  body: string,
  secret = SECRET,
): InstanceType<typeof HttpRequest> {
  const h = signRelayHttpRequest({
    secret,
    clusterId: CLUSTER,
    method: 'POST',
    url: '/api/relay/events',
    body,
    nowSeconds: w.clock.nowMs() / 1000,
  });
  return new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/relay/events',
    headers: { ...h, 'content-type': 'application/json' },
    body: { string: body },
  });
}

describe('relayEvents / relayStatus handlers', () => {
  it('answers 200 with the outcomes, then relayStatus lists the configuration', async () => {
    const w = createAppWorld('vmss');
    const handler = createRelayEventsHandler(() => w.deps);
    const body = JSON.stringify({
      clusterId: CLUSTER,
      events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }],
    });
    const res = await handler(signedPost(w, body), ctx('relayEvents'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.jsonBody, {
      accepted: 1,
      outcomes: { created: 1 },
      deletedBySync: 0,
      pools: ['vmss:rg-gw:gw'],
      rejected: [],
    });
    const status = createRelayStatusHandler(() => w.deps);
    const h = signRelayHttpRequest({
      secret: SECRET,
      clusterId: CLUSTER,
      method: 'GET',
      url: `/api/relay/status?clusterId=${CLUSTER}`,
      body: '',
      nowSeconds: w.clock.nowMs() / 1000,
    });
    const got = await status(
      new HttpRequest({
        method: 'GET',
        url: `http://localhost/api/relay/status?clusterId=${CLUSTER}`,
        headers: h,
      }),
      ctx('relayStatus'),
    );
    assert.equal(got.status, 200);
    const items = (got.jsonBody as { items: { name: string; uid: string; finalized: boolean }[] }).items;
    assert.deepEqual(
      items.map((i) => [i.name, i.uid, i.finalized]),
      [['gw', 'uid-gw', false]],
    );
  });

  it('answers 401 to a wrong signature and 400 naming the problem of a malformed body', async () => {
    const w = createAppWorld('vmss');
    const handler = createRelayEventsHandler(() => w.deps);
    const body = JSON.stringify({ clusterId: CLUSTER, events: [] });
    const wrong = await handler(
      signedPost(w, body, 'not-the-secret-not-the-secret-not-the-secret'),
      ctx('relayEvents'),
    );
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.jsonBody, { error: 'unauthorized' });
    const unsigned = await handler(
      new HttpRequest({ method: 'POST', url: 'http://localhost/api/relay/events', body: { string: body } }),
      ctx('relayEvents'),
    );
    assert.equal(unsigned.status, 401);
    const bad = await handler(
      signedPost(w, JSON.stringify({ clusterId: 'a/b', events: {} })),
      ctx('relayEvents'),
    );
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (bad.jsonBody as { problems: { field: string }[] }).problems.map((p) => p.field),
      ['clusterId', 'events'],
    );
  });

  it('answers 413 to a body over the limit before reading or checking it (Content-Length, then streamed)', async () => {
    const w = createAppWorld('vmss');
    const handler = createRelayEventsHandler(() => w.deps);
    const declared = await handler(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/relay/events',
        headers: { 'content-length': String(MAX_RELAY_BODY_BYTES + 1) },
        body: { string: '{}' },
      }),
      ctx('relayEvents'),
    );
    assert.equal(declared.status, 413);
    assert.equal((declared.jsonBody as { problems: { field: string }[] }).problems[0]?.field, 'body');
    const streamed = await handler(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/relay/events',
        body: { string: 'x'.repeat(MAX_RELAY_BODY_BYTES + 1) },
      }),
      ctx('relayEvents'),
    );
    assert.equal(
      streamed.status,
      413,
      'an unsigned oversized body is refused before its signature is checked',
    );
  });

  it('logs refusals as warnings only up to a rate, then at debug, then counts them', () => {
    const clock = manualClock();
    const lines: [string, string][] = [];
    const logger = createLineLogger({
      debug: (l) => lines.push(['debug', l]),
      info: (l) => lines.push(['info', l]),
      warn: (l) => lines.push(['warn', l]),
      error: (l) => lines.push(['error', l]),
    });
    const log = createRejectionLog({ clock, windowMs: 60_000, warnPerWindow: 3 });
    for (let i = 0; i < 100; i++) log(logger, 'refused', { i });
    assert.equal(lines.filter(([level]) => level === 'warn').length, 3);
    assert.equal(lines.filter(([level]) => level === 'debug').length, 97);
    clock.advance(60_000);
    log(logger, 'refused', {});
    const warns = lines.filter(([level]) => level === 'warn').map(([, l]) => l);
    assert.match(warns[3] ?? '', /"refused":97/);
  });

  it('answers 503 with Retry-After when state storage is unavailable (the relay retries)', async () => {
    const w = createAppWorld('vmss');
    const deps: AcceptRelayEventsDeps = {
      ...w.deps,
      state: {
        ...w.deps.state,
        getConfiguration: () =>
          Promise.reject(new TransientError('table service unavailable', { retryAfterMs: 3000 })),
      },
    };
    const handler = createRelayEventsHandler(() => deps);
    const body = JSON.stringify({
      clusterId: CLUSTER,
      events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }],
    });
    const res = await handler(signedPost(w, body), ctx('relayEvents'));
    assert.equal(res.status, 503);
    assert.equal((res.headers as Record<string, string>)['retry-after'], '3');
  });
});

describe('admin handler', () => {
  const admin = (w: ReturnType<typeof createAppWorld>) =>
    createAdminHandler(() => ({ ...w.deps, pools: w.deps.arm, poison: { peek: () => Promise.resolve([]) } }));
  // As the host does (routeTemplate.ts, and Azure): the URL carries the encoded path, `{*path}` the
  // decoded one; the query stays in the URL.
  const call = (w: ReturnType<typeof createAppWorld>, method: string, pathAndQuery: string) => {
    const [path = '', query] = pathAndQuery.split('?');
    return admin(w)(
      new HttpRequest({
        method,
        url: `http://localhost/api/manage/${path}${query === undefined ? '' : `?${query}`}`,
        params: { path: decodeURIComponent(path) },
      }),
      ctx('admin'),
    );
  };

  it('reports health, lists pools and configurations, and queues a reconcile', async () => {
    const w = createAppWorld('vmss');
    await w.send({ clusterId: CLUSTER, events: [{ type: 'ADDED', object: sgc('gw', vmssSpec()) }] });
    await w.drain();
    const health = await call(w, 'GET', 'health');
    assert.equal(health.status, 200);
    assert.equal((health.jsonBody as { healthy: boolean }).healthy, true);
    const pools = await call(w, 'GET', 'pools');
    const pool = (
      pools.jsonBody as {
        items: { poolKey: string; members: unknown[]; dirty: boolean; lastReconcile?: { outcome: string } }[];
      }
    ).items[0];
    assert.equal(pool?.poolKey, 'vmss:rg-gw:gw');
    assert.equal(pool?.members.length, 2);
    assert.equal(pool?.dirty, false);
    assert.equal(pool?.lastReconcile?.outcome, 'succeeded');
    const configs = await call(w, 'GET', 'configurations');
    assert.deepEqual(
      (configs.jsonBody as { items: { name: string; poolKey: string }[] }).items.map((c) => [
        c.name,
        c.poolKey,
      ]),
      [['gw', 'vmss:rg-gw:gw']],
    );
    const queued = await call(w, 'POST', 'pools/vmss%3Arg-gw%3Agw/reconcile');
    assert.equal(queued.status, 202);
    assert.deepEqual(
      w.queue.takeVisible().map((m) => m.poolKey),
      ['vmss:rg-gw:gw'],
    );
    const audit = await call(w, 'GET', 'pools/vmss%3Arg-gw%3Agw/audit');
    assert.equal(
      (audit.jsonBody as { items: unknown[] }).items.length,
      5,
      'the five writes of the first reconcile',
    );
  });

  it('decodes the path once: a % in a pool key is a 4xx or a 202, never a 500 (issue 12)', async () => {
    const w = createAppWorld('vmss');
    const pct = await call(w, 'POST', 'pools/100%25/reconcile');
    assert.equal(pct.status, 202);
    assert.equal((pct.jsonBody as { poolKey: string }).poolKey, '100%');
    const badEscape = await call(w, 'GET', 'pools/%25E0%25A4%25A/audit');
    assert.equal(badEscape.status, 200);
    const slash = await call(w, 'POST', 'pools/a%3Fb/reconcile');
    assert.equal(slash.status, 400);
    assert.deepEqual((slash.jsonBody as { problems: { field: string }[] }).problems[0]?.field, 'poolKey');
  });

  it('pages configurations and pools (limit + continuation token), and names a bad paging value', async () => {
    const w = createAppWorld('vmss');
    await w.send({
      clusterId: CLUSTER,
      events: ['a', 'b', 'c', 'd', 'e'].map((n) => ({ type: 'ADDED', object: sgc(n, vmssSpec(31)) })),
    });
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const q = `limit=2${token === undefined ? '' : `&continuationToken=${token}`}`;
      const res = await call(w, 'GET', `configurations?${q}`);
      assert.equal(res.status, 200);
      const body = res.jsonBody as { items: { name: string }[]; continuationToken?: string };
      assert.ok(body.items.length <= 2);
      names.push(...body.items.map((i) => i.name));
      token = body.continuationToken;
      pages++;
    } while (token !== undefined);
    assert.deepEqual(names, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(pages, 3);
    for (const q of ['limit=0', 'limit=5000', 'limit=x', 'continuationToken=%2F%2F']) {
      const res = await call(w, 'GET', `configurations?${q}`);
      assert.equal(res.status, 400, q);
      assert.match(JSON.stringify(res.jsonBody), /limit|continuationToken/);
    }
    const pools = await call(w, 'GET', 'pools?limit=1');
    assert.equal((pools.jsonBody as { items: unknown[] }).items.length, 1);
  });

  it('answers 503 when ARM is unreachable and 404 (naming the routes) for an unknown route', async () => {
    const w = createAppWorld('vmss');
    w.deps.arm.getLoadBalancer = () => Promise.reject(new TransientError('ECONNREFUSED'));
    const health = await call(w, 'GET', 'health');
    assert.equal(health.status, 503);
    assert.match(JSON.stringify(health.jsonBody), /ECONNREFUSED/);
    const missing = await call(w, 'GET', 'nothing');
    assert.equal(missing.status, 404);
    assert.ok((missing.jsonBody as { routes: string[] }).routes.includes('GET manage/health'));
  });
});

describe('queue and Event Grid handlers', () => {
  it('reconcile refuses a message that is not a reconcile request (so it ends in the poison queue)', async () => {
    const w = createAppWorld('vmss');
    const handler = createReconcileHandler(() => ({ ...w.deps, workerId: 'w1' }));
    await assert.rejects(handler({ pool: 'x' }, ctx('reconcile')), /poolKey/);
    await assert.doesNotReject(handler({ poolKey: 'vmss:rg-gw:gw', reason: 'test' }, ctx('reconcile')));
  });

  it('armEvents returns normally for an unrelated event and throws when the state store fails', async () => {
    const w = createAppWorld('vmss');
    const handler = createArmEventsHandler(() => w.deps);
    await handler(
      { id: 'e1', eventType: 'Microsoft.Storage.BlobCreated', subject: '/x', data: {} },
      ctx('armEvents'),
    );
    const failing = createArmEventsHandler(() => ({
      ...w.deps,
      state: { ...w.deps.state, listPools: () => Promise.reject(new TransientError('down')) },
    }));
    const event = {
      id: 'e2',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      subject: '/subscriptions/s/resourceGroups/rg-gw/providers/Microsoft.Compute/virtualMachineScaleSets/gw',
      data: { operationName: 'Microsoft.Compute/virtualMachineScaleSets/write' },
    };
    await assert.rejects(failing(event, ctx('armEvents')), /down/, 'Event Grid must redeliver');
  });
});
