import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandRunner } from '../../agents/common/commandRunner.js';
import { createLogger } from '../../agents/common/logger.js';
import { MetricsRegistry } from '../../agents/common/metrics.js';
import { createWireGuardDriver, wireGuardControlName } from '../../agents/common/wireguard.js';
import { evaluateTunnel, TunnelWatchdog, type TunnelState } from '../../agents/node-agent/tunnelWatchdog.js';

const opts = { stallMs: 3000, minResetIntervalMs: 6000 };

/** Feeds samples `[t, rx, tx]` and returns the times a reset was asked for. */
function resets(samples: readonly (readonly [number, number, number])[]): number[] {
  let state: TunnelState | undefined;
  const out: number[] = [];
  for (const [t, rx, tx] of samples) {
    const r = evaluateTunnel(state, { rx, tx }, t, opts);
    state = r.state;
    if (r.reset) out.push(t);
  }
  return out;
}

describe('tunnel watchdog', () => {
  it('resets when the pod sent but heard nothing for the stall time', () => {
    assert.deepEqual(
      resets([
        [0, 100, 100],
        [1000, 100, 200],
        [2000, 100, 300],
        [3000, 100, 400],
      ]),
      [3000],
    );
  });

  it('leaves an idle tunnel alone, and one whose replies keep coming', () => {
    assert.deepEqual(
      resets([
        [0, 100, 100],
        [5000, 100, 100],
        [10000, 100, 100],
      ]),
      [],
    );
    assert.deepEqual(
      resets([
        [0, 100, 100],
        [2000, 150, 200],
        [4000, 200, 300],
        [6000, 250, 400],
      ]),
      [],
    );
  });

  it('rate-limits resets and starts again from the reset counters', () => {
    const samples = [
      [0, 100, 100],
      [3000, 100, 200],
      [4000, 0, 148],
      [6000, 0, 300],
      [9000, 0, 400],
      [10000, 0, 500],
    ] as const;
    assert.deepEqual(resets(samples), [3000, 9000]);
  });

  it('a sweep re-creates the stalled peer so the next packet handshakes', async () => {
    const calls: string[] = [];
    let tx = 100;
    const runner: CommandRunner = {
      run(cmd, args) {
        calls.push([cmd, ...args].join(' '));
        const dump = `priv\tpub\t40000\toff\nGW\t(none)\t10.0.1.100:6000\t0.0.0.0/0\t0\t50\t${tx}\toff\n`;
        return Promise.resolve({ code: 0, stdout: args.includes('dump') ? dump : '', stderr: '' });
      },
    };
    let now = 0;
    const wd = new TunnelWatchdog({
      wg: createWireGuardDriver('userspace', runner),
      intervalMs: 1000,
      stallMs: 3000,
      log: createLogger('t', { write: () => undefined }),
      metrics: new MetricsRegistry(),
      now: () => now,
    });
    const ref = { netns: 'pod1', name: 'wg0' };
    wd.track('c1', {
      ref,
      peer: { publicKey: 'GW', endpoint: '10.0.1.100:6000', allowedIps: ['0.0.0.0/0'] },
      pod: 'apps/web',
    });
    for (const t of [0, 1000, 2000, 3000]) {
      now = t;
      tx += 100;
      await wd.sweep();
    }
    const ctl = wireGuardControlName(ref);
    assert.deepEqual(
      calls.filter((c) => !c.includes('dump')),
      [
        `wg set ${ctl} peer GW remove`,
        `wg set ${ctl} peer GW endpoint 10.0.1.100:6000 allowed-ips 0.0.0.0/0`,
      ],
    );
    wd.untrack('c1');
    calls.length = 0;
    await wd.sweep();
    assert.deepEqual(calls, []);
  });
});
