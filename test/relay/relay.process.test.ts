/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON bodies are untyped here on purpose */
/**
 * The relay as a process (agents/relay/main.ts, run through tsx) against the API stand-in and the
 * control-plane CONTRACT DOUBLE: settings from the environment, JSON log lines, /healthz, /readyz and
 * /metrics, leadership, and a graceful SIGTERM that releases the lease and exits 0. A bad setting
 * stops it at start with every problem listed. Real time here (a child process has no injectable
 * clock); nothing is asserted about durations.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../shared/adapters/system/systemClock.js';
import { EGRET_NAMESPACE, startEgretKube, type EgretKube } from '../k8s/support/egretKube.js';
import { ContractControlPlane } from './support/contractControlPlane.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'process-test-shared-secret-0123456789abcdef';

/** Polls (real time, up to 30 s: a child process starting under tsx on a busy machine) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(
  env: Record<string, string>,
  args: string[] = [],
): { child: ChildProcess; lines: Record<string, unknown>[]; raw: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'agents/relay/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let buffer = '';
  child.stderr.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      raw.push(line);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ unparsable: line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, raw, exited };
}

describe('the relay process', () => {
  let kube: EgretKube;
  let controlPlane: ContractControlPlane;
  before(async () => {
    kube = await startEgretKube();
    controlPlane = new ContractControlPlane({ secret: SECRET, clock: systemClock });
    await controlPlane.start();
  });
  after(async () => {
    await controlPlane.stop();
    await kube.stop();
  });

  it('refuses to start with bad settings, listing every problem, exit 1', async () => {
    const p = run({ EGRET_CONTROL_PLANE_URL: 'http://egret.example.net', EGRET_SHARED_SECRET: 'short' });
    assert.equal(await p.exited, 1);
    const message = String(p.lines.find((l) => l['level'] === 'error')?.['message']);
    for (const s of ['https', 'EGRET_CLUSTER_ID', 'at least 32', 'MY_POD_NAMESPACE', 'MY_POD_NAME'])
      assert.ok(message.includes(s), s);
  });

  it('serves health and metrics, leads, forwards, and on SIGTERM releases the lease and exits 0', async () => {
    const port = await freePort();
    const p = run(
      {
        EGRET_CONTROL_PLANE_URL: controlPlane.url,
        EGRET_CLUSTER_ID: 'process-cluster',
        EGRET_SHARED_SECRET: SECRET,
        MY_POD_NAMESPACE: EGRET_NAMESPACE,
        MY_POD_NAME: 'egret-relay-0',
        KUBECONFIG: kube.kube.kubeconfigPath,
        STATUS_POLL_INTERVAL_SECONDS: '1',
      },
      [
        `--metrics-port=${port}`,
        '--metrics-bind-address=127.0.0.1',
        '--lease-duration=4',
        '--lease-renew-deadline=3',
        '--lease-retry-period=1',
      ],
    );
    try {
      const get = (path: string) =>
        fetch(`http://127.0.0.1:${port}${path}`).then(async (r) => ({
          status: r.status,
          text: await r.text(),
        }));
      await until(
        async () => (await get('/healthz').catch(() => ({ status: 0 }))).status === 200,
        '/healthz',
      );
      await until(async () => (await get('/readyz')).status === 200, '/readyz');
      await until(() => p.lines.some((l) => l['message'] === 'became leader'), 'leadership');
      await until(
        () =>
          controlPlane
            .eventsRequests()
            .some((r) => r.body!.clusterId === 'process-cluster' && r.body!.fullSync === true),
        'the first SYNC',
      );
      const metrics = await get('/metrics');
      assert.match(metrics.text, /egret_relay_leader 1/);
      assert.match(metrics.text, /process_cpu_user_seconds_total/);

      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0);
      const lease: any = await kube.objects.read({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'egret-relay', namespace: EGRET_NAMESPACE },
      });
      assert.equal(lease.spec.holderIdentity, undefined, 'released on SIGTERM');
      const messages = p.lines.map((l) => l['message']);
      for (const m of ['starting', 'shutting down', 'released the lease', 'stopped'])
        assert.ok(messages.includes(m), m);
      assert.ok(
        p.lines.every((l) => l['unparsable'] === undefined),
        `every log line is JSON: ${p.raw.join('\n')}`,
      );
      assert.ok(p.lines.every((l) => typeof l['time'] === 'string' && typeof l['level'] === 'string'));
      assert.ok(!p.raw.join('\n').includes(SECRET), 'the shared secret is never logged');
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });
});
