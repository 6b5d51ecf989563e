import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ProbeServer, startProbeServer } from '../../agents/gateway-daemon/probeServer.js';

describe('LB health probe server', () => {
  let probe: ProbeServer;
  const status = async (path: string): Promise<number> =>
    (await fetch(`http://127.0.0.1:${probe.port}${path}`)).status;
  before(async () => {
    probe = await startProbeServer({ host: '127.0.0.1', port: 0 });
  });
  after(() => probe.close());

  it('answers 200 for configured configurations, 503 for others, 400 for other paths', async () => {
    probe.setReady(['uid-a']);
    assert.equal(await status('/gw/uid-a'), 200);
    assert.equal(await status('/gw/uid-b'), 503);
    assert.equal(await status('/gw/'), 400);
    assert.equal(await status('/gw/uid-a/x'), 400);
    assert.equal(await status('/healthz'), 400);
  });

  it('answers 503 for everything once draining', async () => {
    probe.setReady(['uid-a']);
    probe.startDraining();
    assert.equal(await status('/gw/uid-a'), 503);
  });
});
