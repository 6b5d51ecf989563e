/**
 * The local Functions host serving a small app registered through the real `@azure/functions`:
 * captured metadata, HTTP routing/auth/status mapping, the Event Grid webhook, timers on a manual
 * clock, hooks, admin invocation and draining on stop; and the routes the real host reserves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createManualClock } from '../../infra/local/functions-host/hostClock.js';
import { ConfigError } from '../../shared/core/errors.js';
import {
  startFunctionsHost,
  type FunctionsHost,
  type HostEvent,
  type HostLogEntry,
} from '../../infra/local/functions-host/startFunctionsHost.js';
import { gate, resetSeen, seen } from './fixtures/app/recorder.js';

const appRoot = fileURLToPath(new URL('./fixtures/app/', import.meta.url));
const T0 = Date.parse('2026-01-01T00:00:00Z');
const keys = {
  master: 'master-key',
  host: ['host-key'],
  functions: { items: ['items-key'] },
  system: { eventgrid_extension: 'eg-key' },
};

/** Lets pending promise callbacks and I/O callbacks run (no wall-clock wait). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never happened: ${what}`);
}

describe('local Functions host', () => {
  let host: FunctionsHost;
  const clock = createManualClock(T0);
  const logs: HostLogEntry[] = [];
  const events: HostEvent[] = [];

  before(async () => {
    resetSeen();
    host = await startFunctionsHost({
      appRoot,
      settings: { TICK_SCHEDULE: '0 0 * * * *', EGRET_FIXTURE_SETTING: 'from-settings' },
      keys,
      clock,
      log: (e) => logs.push(e),
    });
    host.onEvent((e) => events.push(e));
  });
  after(async () => {
    await host.stop();
  });

  describe('registrations', () => {
    it('captures every function the app registered, with the metadata the worker sends the host', () => {
      const byName = new Map(host.registrations.map((r) => [r.name, r]));
      assert.deepEqual([...byName.keys()].sort(), [
        'adminOnly',
        'armEvents',
        'boom',
        'custom',
        'flaky',
        'hello',
        'items',
        'itemsLiteral',
        'noContent',
        'slow',
        'startupTick',
        'tick',
      ]);
      const items = byName.get('items')!;
      assert.deepEqual(items.trigger, {
        kind: 'http',
        route: 'items/{id:int}/{detail?}',
        methods: ['GET', 'PUT'],
        authLevel: 'function',
      });
      assert.match(items.triggerBindingName, /^httpTrigger/);
      assert.deepEqual(items.bindings[items.triggerBindingName], {
        name: items.triggerBindingName,
        route: 'items/{id:int}/{detail?}',
        methods: ['GET', 'PUT'],
        authLevel: 'function',
        type: 'httpTrigger',
        direction: 'in',
        properties: { supportsDeferredBinding: 'false' },
      });
      assert.equal(items.bindings.$return?.type, 'http');
      assert.equal(items.bindings.$return?.direction, 'out');
      // app.http defaults: route = function name, GET and POST, anonymous.
      assert.deepEqual(byName.get('hello')!.trigger, {
        kind: 'http',
        route: 'hello',
        methods: ['GET', 'POST'],
        authLevel: 'anonymous',
      });
      assert.deepEqual(byName.get('armEvents')!.trigger, { kind: 'eventGrid' });
      assert.equal(byName.get('armEvents')!.triggerType, 'eventGridTrigger');
      assert.deepEqual(byName.get('startupTick')!.trigger, {
        kind: 'timer',
        schedule: '%TICK_SCHEDULE%',
        runOnStartup: true,
        useMonitor: false,
      });
      const flaky = byName.get('flaky')!.trigger;
      assert.equal(flaky.kind === 'timer' && flaky.useMonitor, undefined, 'left to the host');
      assert.deepEqual(byName.get('flaky')!.retryOptions, {
        strategy: 'fixedDelay',
        maxRetryCount: 3,
        delayInterval: { seconds: 5 },
        retryStrategy: 'fixedDelay',
        maximumInterval: undefined,
        minimumInterval: undefined,
      });
    });

    it('runs appStart hooks once the app is loaded', () => {
      assert.equal(seen.hooks.filter((h) => h === 'appStart').length, 1);
    });
  });

  describe('HTTP triggers', () => {
    it('serves the default route with query parameters, a JSON body and user logs', async () => {
      const res = await fetch(`${host.baseUrl}/api/hello?name=egret`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await res.json(), { greeting: 'hello egret', method: 'GET' });
      assert.ok(
        logs.some((l) => l.functionName === 'hello' && l.category === 'user' && l.message === 'hello called'),
      );
      assert.ok(seen.hooks.includes('pre:hello') && seen.hooks.includes('post:hello:ok'));
    });

    it('matches route templates case-insensitively, with typed and optional parameters', async () => {
      const url = `${host.baseUrl}/api/ITEMS/42?tag=a&tag=b`;
      const res = await fetch(url, { headers: { 'x-functions-key': 'items-key' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-item'), '42');
      assert.deepEqual(await res.json(), {
        params: { id: '42' },
        body: null,
        contentType: null,
        tag: ['a', 'b'],
      });

      const withDetail = await fetch(`${host.baseUrl}/api/items/7/full%20view`, {
        headers: { 'x-functions-key': 'items-key' },
      });
      assert.deepEqual(((await withDetail.json()) as { params: unknown }).params, {
        id: '7',
        detail: 'full view',
      });
    });

    it('answers 404 when the path, a constraint or the method does not match', async () => {
      const opts = { headers: { 'x-functions-key': 'items-key' } };
      assert.equal((await fetch(`${host.baseUrl}/api/items/abc`, opts)).status, 404);
      assert.equal((await fetch(`${host.baseUrl}/api/items/1`, { ...opts, method: 'POST' })).status, 404);
      assert.equal((await fetch(`${host.baseUrl}/api/nothing-here`)).status, 404);
      assert.equal((await fetch(`${host.baseUrl}/hello`)).status, 404);
    });

    it('prefers a literal route over a parameter', async () => {
      const res = await fetch(`${host.baseUrl}/api/items/latest`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'latest');
    });

    it('checks function keys from the x-functions-key header or the code query', async () => {
      const url = `${host.baseUrl}/api/items/1`;
      assert.equal((await fetch(url)).status, 401);
      assert.equal((await fetch(url, { headers: { 'x-functions-key': 'wrong' } })).status, 401);
      assert.equal((await fetch(`${url}?code=host-key`)).status, 200);
      assert.equal((await fetch(`${url}?code=master-key`)).status, 200);
      // Another function's key does not open this one.
      assert.equal((await fetch(`${host.baseUrl}/api/ops/secret?code=items-key`)).status, 401);
    });

    it('admits only the master key to admin-level functions', async () => {
      const url = `${host.baseUrl}/api/ops/secret`;
      assert.equal((await fetch(url, { headers: { 'x-functions-key': 'host-key' } })).status, 401);
      const res = await fetch(url, { headers: { 'x-functions-key': 'master-key' } });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'secret');
    });

    it('passes the request body and maps status and headers back', async () => {
      const res = await fetch(`${host.baseUrl}/api/items/5`, {
        method: 'PUT',
        headers: { 'x-functions-key': 'items-key', 'content-type': 'application/json' },
        body: JSON.stringify({ size: 3 }),
      });
      assert.equal(res.status, 201);
      assert.deepEqual(await res.json(), {
        params: { id: '5' },
        body: { size: 3 },
        contentType: 'application/json',
        tag: [],
      });
    });

    it('maps an HttpResponse with cookies and a catch-all parameter', async () => {
      const res = await fetch(`${host.baseUrl}/api/custom/a/b/c`);
      assert.equal(res.status, 418);
      assert.equal(res.headers.get('x-rest'), 'a/b/c');
      assert.equal(res.headers.get('set-cookie'), 'session=abc; Path=/; HttpOnly');
      assert.equal(await res.text(), 'teapot');
    });

    it('turns an exception into 500 and a missing response into 204', async () => {
      const res = await fetch(`${host.baseUrl}/api/boom`, { method: 'POST' });
      assert.equal(res.status, 500);
      assert.equal(await res.text(), '');
      assert.ok(seen.hooks.includes('post:boom:error'));
      assert.ok(
        events.some((e) => e.kind === 'invocation' && e.functionName === 'boom' && e.error === 'boom failed'),
      );
      assert.equal((await fetch(`${host.baseUrl}/api/noContent`, { method: 'DELETE' })).status, 204);
    });
  });

  describe('Event Grid webhook', () => {
    const url = (fn: string, code = 'eg-key'): string =>
      `${host.baseUrl}/runtime/webhooks/EventGrid?functionName=${fn}&code=${code}`;
    const event = (id: string, subject: string): object => ({
      id,
      topic: '/subscriptions/s',
      subject,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      eventTime: '2026-01-01T00:00:00Z',
      data: { operationName: 'Microsoft.Compute/virtualMachineScaleSets/write' },
      dataVersion: '2',
      metadataVersion: '1',
    });
    const post = (u: string, type: string | undefined, body: string): Promise<Response> =>
      fetch(u, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(type ? { 'aeg-event-type': type } : {}) },
        body,
      });

    it('requires the eventgrid_extension system key (or the master key)', async () => {
      const body = JSON.stringify([event('e0', '/x')]);
      assert.equal((await post(url('armEvents', 'wrong'), 'Notification', body)).status, 401);
      assert.equal((await post(url('armEvents', 'host-key'), 'Notification', body)).status, 401);
      assert.equal((await post(url('armEvents', 'master-key'), 'Notification', body)).status, 202);
    });

    it('answers the subscription validation handshake itself', async () => {
      const before = seen.events.length;
      const res = await post(
        url('armEvents'),
        'SubscriptionValidation',
        JSON.stringify([
          {
            id: 'v1',
            topic: '/subscriptions/s',
            subject: '',
            eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
            eventTime: '2026-01-01T00:00:00Z',
            data: { validationCode: 'CODE-123', validationUrl: 'https://example.invalid/validate' },
            dataVersion: '2',
            metadataVersion: '1',
          },
        ]),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { validationResponse: 'CODE-123' });
      assert.equal(seen.events.length, before, 'the function is not invoked for the handshake');
    });

    it('invokes the function once per event of a notification and answers 202', async () => {
      const before = seen.events.length;
      const res = await post(
        url('armEvents'),
        'Notification',
        JSON.stringify([event('e1', '/a'), event('e2', '/b')]),
      );
      assert.equal(res.status, 202);
      const got = seen.events.slice(before) as { id: string; data: unknown }[];
      assert.deepEqual(got.map((e) => e.id).sort(), ['e1', 'e2']);
      assert.deepEqual(got[0]!.data, { operationName: 'Microsoft.Compute/virtualMachineScaleSets/write' });
    });

    it('answers 500 with the error when any invocation fails, so Event Grid retries', async () => {
      const res = await post(
        url('armEvents'),
        'Notification',
        JSON.stringify([event('e3', '/ok'), event('e4', '/fail')]),
      );
      assert.equal(res.status, 500);
      assert.equal(await res.text(), 'cannot handle /fail');
    });

    it('accepts a single CloudEvent object', async () => {
      const before = seen.events.length;
      const ce = { specversion: '1.0', id: 'c1', source: '/s', type: 't', subject: '/c', data: {} };
      assert.equal((await post(url('armEvents'), 'Notification', JSON.stringify(ce))).status, 202);
      assert.deepEqual(seen.events.slice(before), [ce]);
    });

    it('rejects malformed bodies, unknown event types and unknown functions', async () => {
      assert.equal((await post(url('armEvents'), 'Notification', '{not json')).status, 400);
      assert.equal((await post(url('armEvents'), 'Notification', '42')).status, 400);
      assert.equal((await post(url('armEvents'), undefined, '[]')).status, 400);
      assert.equal((await post(url('armEvents'), 'SubscriptionValidation', '[{}]')).status, 400);
      const missing = await post(url('nope'), 'Notification', '[]');
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), "cannot find function: 'nope'");
      // An HTTP function is not an Event Grid function.
      assert.equal((await post(url('hello'), 'Notification', '[]')).status, 404);
    });
  });

  describe('timer triggers', () => {
    it('ran the runOnStartup timer at start, with the schedule resolved from app settings', async () => {
      await until(() => seen.timers.some((t) => t.name === 'startupTick'), 'startup timer');
      const first = seen.timers.find((t) => t.name === 'startupTick')!;
      assert.deepEqual(first.timer, {
        schedule: { adjustForDST: true },
        scheduleStatus: null,
        isPastDue: false,
      });
    });

    it('fires on schedule, reports scheduleStatus, and marks a late run isPastDue', async () => {
      type Tick = { timer: { isPastDue: boolean; scheduleStatus: { last: string } } };
      const ticks = (): Tick[] => seen.timers.filter((t) => t.name === 'tick') as Tick[];
      await host.idle();
      clock.advance(10_000); // 00:00:10, exactly on schedule
      await until(() => ticks().length === 1, 'first tick');
      await host.idle();
      assert.deepEqual(ticks()[0]!.timer, {
        schedule: { adjustForDST: true },
        scheduleStatus: {
          last: '0001-01-01T00:00:00.000Z',
          next: '2026-01-01T00:00:20.000Z',
          lastUpdated: '2026-01-01T00:00:10.000Z',
        },
        isPastDue: false,
      });
      clock.advance(25_000); // 00:00:35: the 00:00:20 and 00:00:30 runs were missed → one late run
      await until(() => ticks().length === 2, 'second tick');
      await host.idle();
      assert.equal(ticks().length, 2);
      assert.equal(ticks()[1]!.timer.isPastDue, true);
      assert.equal(ticks()[1]!.timer.scheduleStatus.last, '2026-01-01T00:00:10.000Z');
    });

    it('fires a timer on demand through invokeTimer and POST /admin/functions/<name>', async () => {
      const before = seen.timers.filter((t) => t.name === 'tick').length;
      await host.invokeTimer('tick');
      const res = await fetch(`${host.baseUrl}/admin/functions/tick`, {
        method: 'POST',
        headers: { 'x-functions-key': 'master-key', 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 202);
      await until(() => seen.timers.filter((t) => t.name === 'tick').length === before + 2, 'admin tick');
      assert.equal((await fetch(`${host.baseUrl}/admin/functions/tick`, { method: 'POST' })).status, 401);
      assert.equal(
        (
          await fetch(`${host.baseUrl}/admin/functions/nope`, {
            method: 'POST',
            headers: { 'x-functions-key': 'master-key' },
          })
        ).status,
        404,
      );
      await assert.rejects(host.invokeTimer('hello'), /no timer function named 'hello'/);
    });

    it('retries a failing timer with its retry policy and retryContext', async () => {
      const flaky = (): { retryCount: number | undefined }[] => seen.timers.filter((t) => t.name === 'flaky');
      const done = host.invokeTimer('flaky');
      await until(() => flaky().length === 1, 'first attempt');
      await until(() => clock.pending > 0 && flaky().length === 1, 'retry delay armed');
      clock.advance(5_000);
      await until(() => flaky().length === 2, 'second attempt');
      await until(() => clock.pending > 0 && flaky().length === 2, 'second retry delay armed');
      clock.advance(5_000);
      await done;
      assert.deepEqual(
        flaky().map((f) => f.retryCount),
        [0, 1, 2],
      );
    });
  });

  describe('several hosts over the same modules', () => {
    it('serves the same registrations under host.json routePrefix', async () => {
      const other = await startFunctionsHost({
        appRoot,
        settings: { TICK_SCHEDULE: '0 0 * * * *' },
        hostJson: { extensions: { http: { routePrefix: 'v1' } } },
        clock: createManualClock(T0),
        log: () => undefined,
      });
      try {
        assert.equal(other.registrations.length, host.registrations.length);
        assert.equal((await fetch(`${other.baseUrl}/v1/hello`)).status, 200);
        assert.equal((await fetch(`${other.baseUrl}/api/hello`)).status, 404);
        // No keys configured: like Core Tools locally, function-level routes are open.
        assert.equal((await fetch(`${other.baseUrl}/v1/items/3`)).status, 200);
      } finally {
        await other.stop();
      }
    });
  });

  describe('app settings', () => {
    it('are process.env while the host runs', () => {
      assert.equal(process.env.EGRET_FIXTURE_SETTING, 'from-settings');
    });
  });

  describe('stop', () => {
    it('drains in-flight invocations before resolving, then restores process.env', async () => {
      gate.close();
      const order: string[] = [];
      const response = fetch(`${host.baseUrl}/api/slow`).then(async (r) => {
        order.push(`response ${r.status} ${await r.text()}`);
      });
      await until(() => seen.hooks.includes('pre:slow'), 'slow invocation started');
      const stopped = host.stop().then(() => order.push('stopped'));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.deepEqual(order, [], 'stop waits for the invocation');
      gate.open();
      await Promise.all([response, stopped]);
      assert.deepEqual(order.sort(), ['response 200 finally', 'stopped']);
      assert.equal(process.env.EGRET_FIXTURE_SETTING, undefined);
    });

    it('refuses to start when a setting a schedule names is missing', async () => {
      await assert.rejects(
        startFunctionsHost({ appRoot, settings: {}, clock: createManualClock(T0), log: () => undefined }),
        /function 'startupTick' schedule: app setting 'TICK_SCHEDULE' is not set/,
      );
    });
  });
});

describe('local Functions host: routes the real host reserves', () => {
  const fixture = (name: string): string =>
    fileURLToPath(new URL(`./fixtures/reservedRoutes/${name}.ts`, import.meta.url));

  it("refuses to start with an HTTP route that starts with 'admin', naming the function", async () => {
    await assert.rejects(
      startFunctionsHost({ modules: [fixture('administrationRoute')], log: () => undefined }),
      (e: Error) =>
        e instanceof ConfigError &&
        /function 'operations': route '\/Administration\/status' conflicts with the host's built-in routes/.test(
          e.message,
        ),
    );
  });

  it("refuses a function without a route whose name starts with 'runtime'", async () => {
    await assert.rejects(
      startFunctionsHost({ modules: [fixture('runtimeByName')], log: () => undefined }),
      (e: Error) =>
        e instanceof ConfigError && /function 'runtimeInfo': route 'runtimeInfo' conflicts/.test(e.message),
    );
  });
});
