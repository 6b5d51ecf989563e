import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { CommandRunner, RunOptions } from '../../agents/common/commandRunner.js';
import {
  createWireGuardDriver,
  generateWireGuardKeyPair,
  parseWireGuardDump,
  wireGuardControlName,
  wireGuardPublicKey,
} from '../../agents/common/wireguard.js';

function hasWg(): boolean {
  try {
    execFileSync('wg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Records every command; fails the ones `fail` matches. */
function recordingRunner(
  fail: (cmd: string, args: readonly string[]) => boolean,
): CommandRunner & { calls: string[]; stdin: (string | undefined)[] } {
  const calls: string[] = [];
  const stdin: (string | undefined)[] = [];
  return {
    calls,
    stdin,
    run(cmd: string, args: readonly string[], options?: RunOptions) {
      calls.push([cmd, ...args].join(' '));
      stdin.push(options?.stdin);
      const bad = fail(cmd, args);
      return Promise.resolve({ code: bad ? 1 : 0, stdout: '', stderr: bad ? 'nope' : '' });
    },
  };
}

describe('WireGuard driver', () => {
  it('parses `wg show dump`', () => {
    const dump =
      'cHJpdg==\tcHVi\t6000\toff\n' +
      'cGVlcjE=\t(none)\t10.0.0.21:40000\t10.244.1.2/32\t1700000000\t100\t200\toff\n' +
      'cGVlcjI=\t(none)\t(none)\t(none)\t0\t0\t0\toff\n';
    assert.deepEqual(parseWireGuardDump(dump), {
      privateKey: 'cHJpdg==',
      publicKey: 'cHVi',
      listenPort: 6000,
      peers: [
        {
          publicKey: 'cGVlcjE=',
          endpoint: '10.0.0.21:40000',
          allowedIps: ['10.244.1.2/32'],
          latestHandshake: 1700000000,
          rxBytes: 100,
          txBytes: 200,
        },
        { publicKey: 'cGVlcjI=', allowedIps: [], latestHandshake: 0, rxBytes: 0, txBytes: 0 },
      ],
    });
    assert.equal(parseWireGuardDump(''), undefined);
  });

  it(
    'makes key pairs in memory that match `wg pubkey`',
    { skip: !hasWg() && process.env.CI !== 'true' ? 'needs wg' : false },
    () => {
      const { privateKey, publicKey } = generateWireGuardKeyPair();
      assert.match(privateKey, /^[A-Za-z0-9+/]{43}=$/);
      assert.equal(wireGuardPublicKey(privateKey), publicKey);
      assert.equal(
        execFileSync('wg', ['pubkey'], { input: `${privateKey}\n`, encoding: 'utf8' }).trim(),
        publicKey,
      );
    },
  );

  it('derives a stable control name that fits an interface name', () => {
    const a = wireGuardControlName({ netns: 'ns-static-egress-gateway', name: 'wg-6000' });
    assert.equal(a, wireGuardControlName({ netns: 'ns-static-egress-gateway', name: 'wg-6000' }));
    assert.notEqual(a, wireGuardControlName({ netns: 'ns-static-egress-gateway', name: 'wg-6001' }));
    assert.ok(a.length <= 15);
  });

  it('userspace: creates under the control name in the host namespace, moves, renames; key via stdin', async () => {
    const runner = recordingRunner(() => false);
    const wg = createWireGuardDriver('userspace', runner);
    const ref = { netns: 'pod1', name: 'wg0' };
    const ctl = wireGuardControlName(ref);
    await wg.createLink(ref);
    await wg.configure(ref, { privateKey: 'KEY' });
    assert.deepEqual(runner.calls.slice(2), [
      `wireguard-go ${ctl}`,
      `wg show ${ctl} listen-port`,
      `ip link set ${ctl} netns pod1`,
      `ip -n pod1 link set ${ctl} name wg0`,
      `sh -c cat | "$@" sh wg set ${ctl} private-key /dev/stdin`,
    ]);
    assert.equal(runner.stdin.at(-1), 'KEY\n');
    assert.ok(runner.calls.every((c) => !c.includes('KEY')));
  });

  it('userspace: moves nothing until wireguard-go answers; one that never does fails the create', async () => {
    const runner = recordingRunner((cmd, args) => cmd === 'wg' && args[0] === 'show');
    const wg = createWireGuardDriver('userspace', runner);
    const ref = { netns: 'pod1', name: 'wg0' };
    const ctl = wireGuardControlName(ref);
    await assert.rejects(wg.createLink(ref), /wg show .* failed \(exit 1\)/);
    assert.ok(!runner.calls.includes(`ip link set ${ctl} netns pod1`));
    assert.deepEqual(runner.calls.slice(-2), [`ip link del ${ctl}`, `ip -n pod1 link del ${ctl}`]);
  });

  it('removes a half-built device when the move into the namespace fails', async () => {
    const runner = recordingRunner(
      (cmd, args) => cmd === 'ip' && args.includes('netns') && args[0] === 'link' && args[1] === 'set',
    );
    const wg = createWireGuardDriver('kernel', runner);
    const ref = { netns: 'gw', name: 'wg-6000' };
    const ctl = wireGuardControlName(ref);
    await assert.rejects(wg.createLink(ref), /failed \(exit 1\)/);
    assert.deepEqual(runner.calls.slice(-3), [
      `ip link set ${ctl} netns gw`,
      `ip link del ${ctl}`,
      `ip -n gw link del ${ctl}`,
    ]);
    assert.ok(runner.calls.includes(`ip link add ${ctl} type wireguard`));
  });
});
