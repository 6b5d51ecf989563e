/**
 * What `npm start` shows and does: the sample configuration is applied to the Kubernetes API
 * stand-in, the relay PROCESS forwards it to the control plane and writes the status back onto the
 * custom resource, and the walkthrough prints it as `kubectl get staticgatewayconfigurations -A`
 * prints it (checked against kubectl itself where it is installed; under CI it must be). `--json`
 * prints one line that adds the Kubernetes endpoint and kubeconfig; Ctrl-C stops everything and leaves
 * no process behind. The first case loads the Functions deployment package as `npm start` does (the
 * esbuild bundle of scripts/packageFunctions.ts, written to a temporary folder), so the bundle is what
 * converges the sample; the relay and the `--json` case run from source (`--source`).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { runSandbox, SAMPLE_MANIFEST } from '../../infra/local/sandbox/runSandbox.js';
import { REPO_ROOT } from '../../infra/local/sandbox/startSandbox.js';
import { EGRET_SYSTEM_NAMESPACE } from '../../infra/local/sandbox/startSandboxKube.js';
import { packageFunctions } from '../../scripts/packageFunctions.js';
import { STATIC_GATEWAY_CONFIGURATION_FINALIZER } from '../../shared/core/wellKnown.js';
import { FAST_HOST_JSON } from './support/world.js';

const run = promisify(execFile);
const SGC = {
  group: 'egressgateway.kubernetes.azure.com',
  version: 'v1alpha1',
  plural: 'staticgatewayconfigurations',
};

async function findKubectl(): Promise<string | undefined> {
  try {
    return (await run('sh', ['-c', 'command -v kubectl'])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
const kubectl = await findKubectl();
if (kubectl === undefined && process.env['CI'] === 'true')
  throw new Error('kubectl is required under CI (scripts/bootstrap.sh installs kubernetes-client)');

/** A process that has not exited (a zombie waiting to be reaped has). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (bounded) until none of `pids` runs; returns those still running at the deadline. */
async function stillRunning(pids: readonly number[]): Promise<number[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const running = pids.filter(isRunning);
    if (running.length === 0 || Date.now() > deadline) return running;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every process below `root` (Linux /proc). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** The table lines without the AGE column (its value depends on when it was printed). */
function withoutAge(table: string): string[] {
  return table
    .trim()
    .split('\n')
    .map((l) => l.replace(/\s+\S+$/, '').trimEnd());
}

describe('npm start', () => {
  const stateDirs: string[] = [];
  const stateDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'egret-sandbox-test-'));
    stateDirs.push(dir);
    return dir;
  };
  after(() => {
    for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
  });

  it('applies the sample to the cluster; the relay brings its status onto the custom resource, printed as kubectl prints it', async () => {
    const lines: string[] = [];
    const dir = stateDir();
    const app = await packageFunctions({ outDir: join(dir, 'functions-app'), zip: false });
    const sandbox = await runSandbox({
      json: false,
      write: (l) => lines.push(l),
      stateDir: dir,
      sandbox: {
        appRoot: app.outDir,
        hostJson: FAST_HOST_JSON,
        writeSettingsFile: false,
        cluster: { relayEntry: 'source' },
      },
    });
    const pids = [sandbox.azurite.pid, ...sandbox.relays.map((r) => r.pid)];
    try {
      const text = lines.join('\n');
      const kubeconfigPath = join(dir, 'kubeconfig');
      assert.equal(sandbox.describe().kubeconfigPath, kubeconfigPath);
      assert.match(text, /relay {13}egret-system\/egret-relay-0 \(pid \d+\) → http:\/\/127\.0\.0\.1:\d+/);
      assert.match(text, /the relay added its finalizer/);
      assert.match(text, /the relay created the WireGuard key Secret egret-system\/sgw-[0-9a-f-]{36}/);
      assert.match(text, /Ready=True Reconciled: provisioned with egress prefix \d+\.\d+\.\d+\.\d+\/31/);
      const command = `$ kubectl --kubeconfig ${kubeconfigPath} get staticgatewayconfigurations -A`;
      const at = lines.indexOf(command);
      assert.ok(at > 0, `prints ${command}`);
      const printed = lines.slice(at + 1, at + 3);
      assert.match(printed[0] ?? '', /^NAMESPACE +NAME +EGRESS PREFIX +GATEWAY IP +PORT +READY +AGE$/);
      assert.match(
        printed[1] ?? '',
        /^default +egret-sample +\d+\.\d+\.\d+\.\d+\/31 +10\.224\.\d+\.\d+ +6000 +True +\d+s$/,
      );
      assert.equal((text.match(/gateway node\s+aks-gw-vmss00000\d/g) ?? []).length, 2);
      assert.match(text, /ARM writes\s+5 /);
      assert.match(text, /Ready\. Press Ctrl-C to stop\./);

      // The custom resource itself, read through client-node with the printed kubeconfig.
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      const sgc = (await kc
        .makeApiClient(k8s.CustomObjectsApi)
        .getNamespacedCustomObject({ ...SGC, namespace: 'default', name: 'egret-sample' })) as {
        metadata: { uid: string; finalizers: string[] };
        status: { egressIpPrefix: string; conditions: { type: string; status: string }[] };
      };
      assert.deepEqual(sgc.metadata.finalizers, [STATIC_GATEWAY_CONFIGURATION_FINALIZER]);
      assert.ok(printed[1]?.includes(sgc.status.egressIpPrefix));
      assert.equal(sgc.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
      await kc
        .makeApiClient(k8s.CoreV1Api)
        .readNamespacedSecret({ namespace: EGRET_SYSTEM_NAMESPACE, name: `sgw-${sgc.metadata.uid}` });
      assert.ok(existsSync(join(dir, 'egret-relay-0.log')), 'the relay log');

      if (kubectl !== undefined) {
        const { stdout } = await run(
          kubectl,
          ['--kubeconfig', kubeconfigPath, 'get', 'staticgatewayconfigurations', '-A'],
          { env: { PATH: process.env['PATH'] ?? '', HOME: dir }, timeout: 30_000 },
        );
        assert.match(
          stdout,
          new RegExp(
            `\\ndefault +egret-sample +${sgc.status.egressIpPrefix.replace(/\./g, '\\.')} .* True +\\d+s\\n`,
          ),
        );
        assert.deepEqual(
          withoutAge(stdout),
          withoutAge(printed.join('\n')),
          'the sandbox prints what kubectl prints',
        );

        // The printed "Try" works: the edited sample applied with kubectl --server-side (same field
        // manager as the sandbox's apply: no conflict) moves to the VirtualMachines pool in private mode.
        const edited = join(dir, 'sample.yaml');
        writeFileSync(
          edited,
          readFileSync(SAMPLE_MANIFEST, 'utf8')
            .replace('gatewayNodepoolName: gw\n', 'gatewayNodepoolName: vmgw\n')
            .replace('provisionPublicIps: true', 'provisionPublicIps: false'),
        );
        const k = async (...args: string[]): Promise<string> =>
          (
            await run(kubectl, ['--kubeconfig', kubeconfigPath, ...args], {
              env: { PATH: process.env['PATH'] ?? '', HOME: dir },
              timeout: 30_000,
            })
          ).stdout;
        assert.match(await k('apply', '--server-side', '-f', edited), /egret-sample serverside-applied/);
        const columns =
          'custom-columns=EGRESS:.status.egressIpPrefix,GEN:.status.observedGeneration,READY:.status.conditions[0].status';
        const deadline = Date.now() + 60_000;
        let table = '';
        while (!/ 2 +True\n/.test(table) && Date.now() < deadline) {
          table = await k('get', 'sgc', '-A', '-o', columns);
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.match(
          table,
          /\n10\.224\.\d+\.\d+(,10\.224\.\d+\.\d+){3} +2 +True\n/,
          'four private egress IPs',
        );
      }
    } finally {
      await sandbox.stop();
    }
    assert.deepEqual(await stillRunning(pids), [], 'Azurite and the relay are gone');
    assert.ok(!existsSync(join(dir, 'kubeconfig')), 'the kubeconfig of a stopped sandbox is removed');
  });

  it('--json prints one line that adds kubernetesUrl and kubeconfigPath; Ctrl-C stops everything, no process left', async () => {
    const dir = stateDir();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'infra/local/sandbox/main.ts'),
        '--json',
        '--source',
        `--state-dir=${dir}`,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      const stdout: string[] = [];
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (l) => {
          stdout.push(l);
          if (stdout.length === 1) resolve(l);
        });
        void exited.then((code) => reject(new Error(`main exited ${String(code)}: ${stderr}`)));
      });
      const d = JSON.parse(first) as Record<string, unknown> & { pools: Record<string, string[]> };
      for (const key of [
        'functionsBaseUrl',
        'relayEventsUrl',
        'relayStatusUrl',
        'armEndpoint',
        'armCaPath',
        'armAdminEndpoint',
        'adminEndpoint',
        'subscriptionId',
        'resourceGroups',
        'storageConnectionString',
        'relaySharedSecret',
        'clusterId',
        'kubernetesUrl',
        'kubeconfigPath',
      ])
        assert.ok(d[key] !== undefined && d[key] !== '', `${key} is given`);
      assert.deepEqual(d.pools, {
        vmss: ['aks-gw-vmss'],
        vmPools: ['vmgw'],
        standaloneVms: ['standalone-1', 'standalone-2'],
      });
      assert.equal(d['kubeconfigPath'], join(dir, 'kubeconfig'));
      assert.match(String(d['kubernetesUrl']), /^https:\/\/127\.0\.0\.1:\d+$/);

      // The kubeconfig works, nothing is applied, and the relay runs: it holds the Lease.
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(String(d['kubeconfigPath']));
      const list = (await kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({ ...SGC })) as {
        items: unknown[];
      };
      assert.deepEqual(list.items, [], 'nothing applied in --json mode');
      const lease = await kc
        .makeApiClient(k8s.CoordinationV1Api)
        .readNamespacedLease({ namespace: EGRET_SYSTEM_NAMESPACE, name: 'egret-relay' });
      assert.equal(lease.spec?.holderIdentity, 'egret-relay-0');
      const health = await fetch(`${String(d['adminEndpoint'])}/health`);
      assert.equal(health.status, 200);

      const processes = descendants(child.pid!);
      assert.ok(processes.length >= 2, 'Azurite and the relay run as child processes');
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
      assert.equal(stdout.length, 1, `one line only: ${stdout.join('\n')}`);
      assert.deepEqual(await stillRunning(processes), [], 'no process left behind');
      assert.ok(!existsSync(String(d['kubeconfigPath'])), 'the kubeconfig is removed');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
