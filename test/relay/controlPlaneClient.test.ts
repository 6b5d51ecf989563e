/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are untyped here on purpose */
/**
 * The relay's control-plane client over real HTTP. One contract suite runs against the control-plane
 * CONTRACT DOUBLE (test/relay/support/contractControlPlane.ts, which the relay's timing and wire tests
 * use) and against the REAL control plane (the functions in the local Functions host on Azurite and
 * the ARM stand-in): both must answer alike, which is what keeps the double honest. A scripted server
 * covers error answers neither produces on demand.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createControlPlaneClient } from '../../agents/relay/controlPlaneClient.js';
import { ConfigError, TransientError, ValidationError } from '../../shared/core/errors.js';
import { startSandbox } from '../../infra/local/sandbox/startSandbox.js';
import { FAST_HOST_JSON, functionModules, NEVER } from '../scenarios/support/world.js';
import { ContractControlPlane } from './support/contractControlPlane.js';
import { ManualClock } from './support/manualClock.js';

const SECRET = 'the-shared-secret-of-the-test-relay-0123';

function sgc(name: string): any {
  return {
    apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
    kind: 'StaticGatewayConfiguration',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '5', generation: 1 },
    spec: { gatewayNodepoolName: 'gwpool' },
  };
}

/** A control plane for the suite: its base URL, the clock its signatures are checked against, and stop. */
interface ControlPlaneUnderTest {
  readonly url: string;
  readonly clock: ManualClock;
  stop(): Promise<void>;
}

const controlPlanes: Record<string, () => Promise<ControlPlaneUnderTest>> = {
  'the contract double': async () => {
    const clock = new ManualClock();
    const cp = new ContractControlPlane({ secret: SECRET, clock });
    await cp.start();
    return { url: cp.url, clock, stop: () => cp.stop() };
  },
  'the real control plane': async () => {
    const sandbox = await startSandbox({
      modules: functionModules(),
      hostJson: FAST_HOST_JSON,
      settings: { RESYNC_SCHEDULE: NEVER, RELAY_SHARED_SECRET: SECRET },
    });
    // The Functions host checks signatures against real time.
    return { url: sandbox.host.baseUrl, clock: new ManualClock(Date.now()), stop: () => sandbox.stop() };
  },
};

for (const [name, start] of Object.entries(controlPlanes))
  describe(`control-plane client against ${name}`, () => {
    let cp: ControlPlaneUnderTest;
    before(async () => {
      cp = await start();
    });
    after(() => cp.stop());
    const client = (secret = SECRET, relayClock = cp.clock) =>
      createControlPlaneClient({
        baseUrl: cp.url,
        clusterId: 'c1',
        sharedSecret: secret,
        timeoutMs: 5000,
        clock: relayClock,
      });

    it('signed events are accepted and the status comes back parsed', async () => {
      await client().sendEvents(
        { clusterId: 'c1', events: [{ type: 'ADDED', object: sgc('a') }] },
        AbortSignal.timeout(5000),
      );
      const status = await client().fetchStatus(AbortSignal.timeout(5000));
      assert.equal(status.items.length, 1);
      assert.equal(status.items[0]!.uid, 'uid-a');
      assert.equal(status.items[0]!.finalized, false);
    });

    it('a wrong secret is refused: ConfigError naming the setting', async () => {
      await assert.rejects(
        client('a-different-secret-of-enough-length-000').fetchStatus(AbortSignal.timeout(5000)),
        (e) => e instanceof ConfigError && /EGRET_SHARED_SECRET/.test(e.message),
      );
    });

    it('a clock more than 5 minutes off is refused', async () => {
      const skewed = new ManualClock(cp.clock.nowMs() - 301_000);
      await assert.rejects(client(SECRET, skewed).fetchStatus(AbortSignal.timeout(5000)), ConfigError);
      const slightlySkewed = new ManualClock(cp.clock.nowMs() - 200_000);
      await client(SECRET, slightlySkewed).fetchStatus(AbortSignal.timeout(5000));
    });

    it('a body the control plane refuses is a ValidationError carrying its answer', async () => {
      const bad = { clusterId: 'c1', events: [{ type: 'RENAMED', object: sgc('a') }] } as any;
      await assert.rejects(
        client().sendEvents(bad, AbortSignal.timeout(5000)),
        (e) => e instanceof ValidationError && /events\[0\]\.type/.test(e.message),
      );
    });

    it('an unreachable control plane is a TransientError', async () => {
      const unreachable = createControlPlaneClient({
        baseUrl: 'http://127.0.0.1:9',
        clusterId: 'c1',
        sharedSecret: SECRET,
        timeoutMs: 5000,
        clock: cp.clock,
      });
      await assert.rejects(unreachable.fetchStatus(AbortSignal.timeout(5000)), TransientError);
    });
  });

describe('control-plane client error answers (scripted server)', () => {
  let server: Server;
  let url = '';
  let answer: { status: number; headers?: Record<string, string>; body: string } = {
    status: 200,
    body: '{}',
  };
  before(async () => {
    server = createServer((_req, res) => res.writeHead(answer.status, answer.headers ?? {}).end(answer.body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  const client = () =>
    createControlPlaneClient({
      baseUrl: url,
      clusterId: 'c1',
      sharedSecret: SECRET,
      timeoutMs: 5000,
      clock: new ManualClock(),
    });

  it('429/503 with Retry-After is a TransientError carrying the delay', async () => {
    answer = { status: 503, headers: { 'retry-after': '7' }, body: 'busy' };
    await assert.rejects(
      client().fetchStatus(AbortSignal.timeout(5000)),
      (e) => e instanceof TransientError && e.retryAfterMs === 7000,
    );
  });

  it('a status answer that breaks the contract is a ValidationError naming the field', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        items: [{ namespace: 'd', name: 'n', uid: 'u', status: {}, finalized: 'yes' }],
      }),
    };
    await assert.rejects(
      client().fetchStatus(AbortSignal.timeout(5000)),
      (e) => e instanceof ValidationError && /items\[0\]\.finalized/.test(e.message),
    );
    answer = { status: 200, body: 'not json' };
    await assert.rejects(client().fetchStatus(AbortSignal.timeout(5000)), ValidationError);
  });
});
