/**
 * Removing egret from a node leaves every pod able to start (upstream incident #759), in network
 * namespaces (root): a node namespace whose network is containernetworking-plugins' real bridge +
 * host-local + portmap, the real node agent chaining the real egret-cni into it, a libcni-like
 * runtime (support/cniRuntime.ts) creating pods, and the Kubernetes API stand-in.
 *
 * Unsafe removal (`kubectl delete -k` while the cni-uninstall switch says "false", or an agent
 * killed): the agent is gone, its conflist stays, the configuration is deleted. A new un-annotated
 * pod still starts and has a working network; an annotated pod fails closed with a message saying
 * why. Safe removal (the switch set first, as docs/install.md says): the running agent takes its
 * conflist out, turns not ready, and pods start on the main network alone.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeStandIn, type KubeStandIn } from '../../infra/local/kube/startKubeStandIn.js';
import { cleanupRun, cleanupStaleRuns, newRunPrefix, RUN_MARKER_ENV } from './support/cleanup.js';
import { type CniPod, CniRuntime } from './support/cniRuntime.js';
import { egretCrds } from './support/crds.js';
import { Proc } from './support/proc.js';

const REPO = resolve(import.meta.dirname, '../..');
const TSX = import.meta.resolve('tsx');
const CNI_PLUGINS_DIR = '/usr/lib/cni'; // Debian's containernetworking-plugins
const ANNOTATION = 'kubernetes.azure.com/static-gateway-configuration';
const METRICS_PORT = 18091;

function prerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const p of ['bridge', 'host-local', 'portmap'])
    if (!existsSync(join(CNI_PLUGINS_DIR, p)))
      return `needs ${CNI_PLUGINS_DIR}/${p} (containernetworking-plugins)`;
  for (const tool of ['ip', 'nsenter', 'iptables'])
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs ${tool}`;
    }
  return undefined;
}

const missing = prerequisites();
const skip = missing !== undefined && process.env.CI !== 'true' ? `uninstall tests ${missing}` : false;

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: not within ${ms} ms`);
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', () => done(0));
    req.end();
  });
}

describe('safe uninstall in network namespaces', { skip, timeout: 180_000 }, () => {
  const prefix = newRunPrefix();
  const dir = join(tmpdir(), `egret-${prefix}`);
  const confDir = join(dir, 'net.d');
  const binDir = join(dir, 'bin');
  const uninstallFile = join(dir, 'cni-uninstall', 'uninstall');
  const nodeNs = `${prefix}-node`;
  let kube: KubeStandIn;
  let agent: Proc | undefined;
  let echo: Proc | undefined;
  let podCount = 0;
  const runtime = new CniRuntime({
    confDir,
    cniPath: [binDir, CNI_PLUGINS_DIR],
    nodeNetns: nodeNs,
    passAnnotations: true,
    env: { [RUN_MARKER_ENV]: prefix },
  });

  const startAgent = async (): Promise<Proc> => {
    const p = new Proc(
      'node-agent',
      process.execPath,
      ['--import', TSX, join(REPO, 'agents/node-agent/main.ts')],
      {
        cwd: REPO,
        env: {
          [RUN_MARKER_ENV]: prefix,
          MY_NODE_NAME: 'node1',
          KUBECONFIG: kube.kubeconfigPath,
          WIREGUARD_MODE: 'userspace',
          CNI_SOCKET: join(dir, 'run', 'node-agent.sock'),
          CNI_HEARTBEAT_FILE: join(dir, 'run', 'node-agent.heartbeat'),
          CNI_CONF_DIR: confDir,
          CNI_BIN_DIR: binDir,
          CNI_CONF_RESYNC_SECONDS: '1',
          CNI_PLUGIN_COMMAND: JSON.stringify([
            process.execPath,
            '--import',
            TSX,
            join(REPO, 'agents/node-agent/cni/egretCni.ts'),
          ]),
          CLUSTER_CIDRS: '10.99.0.0/16',
          CNI_UNINSTALL_FILE: uninstallFile,
          METRICS_BIND_ADDRESS: '127.0.0.1',
          METRICS_PORT: String(METRICS_PORT),
          TUNNEL_STALL_SECONDS: '0',
        },
      },
    );
    agent = p;
    await eventually('agent ready', async () => (await httpStatus(METRICS_PORT, '/readyz')) === 200);
    return p;
  };

  const stopAgent = async (): Promise<void> => {
    const p = agent;
    if (p === undefined) return;
    p.child.kill('SIGTERM'); // what the kubelet sends when the DaemonSet's pod is deleted
    assert.equal(await p.exited, 0, p.output());
    agent = undefined;
  };

  const newPod = (name: string, annotations: Record<string, string> = {}): CniPod => {
    podCount += 1;
    const netns = `${prefix}-p${podCount}`;
    execFileSync('ip', ['netns', 'add', netns]);
    const pod: CniPod = {
      namespace: 'default',
      name,
      containerId: `${prefix}c${podCount}`.padEnd(64, '0'),
      netnsPath: `/var/run/netns/${netns}`,
      annotations,
    };
    kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'default', name, annotations },
      spec: { nodeName: 'node1', containers: [{ name: 'app', image: 'app' }] },
    });
    return pod;
  };

  /** One TCP exchange from the pod to the echo server on the node's bridge address. */
  const podReachesNode = (pod: CniPod): Promise<string> => {
    const script =
      "const s=require('net').connect(7777,'10.99.0.1');let d='';s.setEncoding('utf8');" +
      "s.on('data',x=>d+=x);s.on('end',()=>{process.stdout.write(d);process.exit(0)});" +
      "s.on('error',e=>{process.stderr.write(e.message);process.exit(1)});setTimeout(()=>process.exit(2),3000);";
    return new Promise((done, fail) => {
      const c = spawn('nsenter', [`--net=${pod.netnsPath}`, '--', process.execPath, '-e', script], {
        env: { ...process.env, [RUN_MARKER_ENV]: prefix },
      });
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      c.on('exit', (code) => (code === 0 ? done(out) : fail(new Error(`pod ${pod.name}: exit ${code}`))));
    });
  };

  before(async () => {
    if (missing !== undefined) throw new Error(`uninstall tests ${missing} (CI=true: they must run)`);
    cleanupStaleRuns();
    mkdirSync(confDir, { recursive: true });
    mkdirSync(binDir, { recursive: true });
    mkdirSync(join(dir, 'cni-uninstall'), { recursive: true });
    writeFileSync(uninstallFile, 'false'); // the ConfigMap as installed
    execFileSync('ip', ['netns', 'add', nodeNs]);
    execFileSync('ip', ['-n', nodeNs, 'link', 'set', 'lo', 'up']);
    // The node's main network: the real bridge plugin with host-local IPAM, then portmap.
    writeFileSync(
      join(confDir, '10-bridge.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'podnet',
        plugins: [
          {
            type: 'bridge',
            bridge: 'cbr0',
            isGateway: true,
            ipMasq: false,
            ipam: {
              type: 'host-local',
              dataDir: join(dir, 'ipam'),
              ranges: [[{ subnet: '10.99.0.0/24', gateway: '10.99.0.1' }]],
              routes: [{ dst: '0.0.0.0/0' }],
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      }),
    );
    kube = await startKubeStandIn({ namespaces: ['default', 'egret-system'], bookmarkIntervalMs: 0 });
    for (const crd of egretCrds()) kube.create(crd);
    kube.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } });
    kube.create({
      apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
      kind: 'StaticGatewayConfiguration',
      metadata: { namespace: 'default', name: 'sgc-a' },
      spec: { gatewayNodepoolName: 'gwpool', provisionPublicIps: true },
    });
    await startAgent();
  });

  after(async () => {
    agent?.child.kill('SIGKILL');
    echo?.child.kill('SIGKILL');
    await kube?.stop();
    cleanupRun(prefix);
  });

  it("the agent chains egret-cni into the node's real bridge network; pods start through it", async () => {
    const { file, list } = runtime.activeConflist();
    assert.equal(file, '01-egret.conflist');
    assert.deepEqual(
      list.plugins.map((p) => p.type),
      ['bridge', 'egret-cni', 'portmap'],
    );
    const pod = newPod('before');
    const add = await runtime.add(pod);
    assert.ok(add.ok, JSON.stringify(add));
    assert.deepEqual(add.ran, ['bridge', 'egret-cni', 'portmap']);
    // The bridge gateway exists now: an echo server on it answers the pods.
    echo = new Proc(
      'echo',
      'nsenter',
      [
        `--net=/var/run/netns/${nodeNs}`,
        '--',
        process.execPath,
        '-e',
        "require('net').createServer(s=>s.end('hello')).listen(7777,'10.99.0.1',()=>console.log('READY'))",
      ],
      { env: { [RUN_MARKER_ENV]: prefix } },
    );
    await echo.waitForLine((l) => l === 'READY', 10_000);
    assert.equal(await podReachesNode(pod), 'hello');
  });

  it('with the agent up, an annotated pod whose configuration is not ready fails closed, saying so', async () => {
    const add = await runtime.add(newPod('tunnelled-early', { [ANNOTATION]: 'sgc-a' }));
    assert.equal(add.ok, false);
    assert.equal(add.output.code, 11);
    assert.match(String(add.output.msg), /StaticGatewayConfiguration default\/sgc-a is not ready/);
  });

  it('removed the unsafe way (switch still "false"): the agent is gone and the configuration deleted, its conflist stays', async () => {
    await stopAgent();
    kube.remove({
      apiVersion: 'egressgateway.kubernetes.azure.com/v1alpha1',
      kind: 'StaticGatewayConfiguration',
      namespace: 'default',
      name: 'sgc-a',
    });
    // This is the state upstream's #759 left behind: the runtime still runs egret-cni.
    assert.equal(runtime.activeConflist().file, '01-egret.conflist');
    assert.equal(existsSync(join(dir, 'run', 'node-agent.sock')), false);
  });

  it('then a new un-annotated pod starts, with a working network', async () => {
    const pod = newPod('after-removal');
    const add = await runtime.add(pod);
    assert.ok(add.ok, JSON.stringify(add));
    assert.deepEqual(add.ran, ['bridge', 'egret-cni', 'portmap']);
    const ips = add.output.ips as { address: string }[];
    assert.match(ips[0]?.address ?? '', /^10\.99\.0\.\d+\/24$/);
    assert.equal(await podReachesNode(pod), 'hello');
    // And it is deleted cleanly, egret-cni included.
    const del = await runtime.del(pod);
    assert.ok(del.ok, JSON.stringify(del));
  });

  it('an annotated pod fails closed with a message that names its configuration and the missing agent', async () => {
    const add = await runtime.add(newPod('tunnelled-late', { [ANNOTATION]: 'sgc-a' }));
    assert.equal(add.ok, false);
    assert.deepEqual(add.ran, ['bridge', 'egret-cni']);
    assert.equal(add.output.code, 11);
    assert.match(
      String(add.output.msg),
      /default\/tunnelled-late has kubernetes\.azure\.com\/static-gateway-configuration=sgc-a, but the egret node agent is not running on this node/,
    );
  });

  it('removed the safe way (switch "true" first): the running agent takes its conflist out and turns not ready', async () => {
    await startAgent();
    assert.equal(runtime.activeConflist().file, '01-egret.conflist');
    writeFileSync(uninstallFile, 'true'); // kubectl patch configmap egret-cni-uninstall …
    await eventually('conflist removed', () => !existsSync(join(confDir, '01-egret.conflist')));
    await eventually('agent not ready', async () => (await httpStatus(METRICS_PORT, '/readyz')) === 503);
    const pod = newPod('after-safe-removal');
    const add = await runtime.add(pod);
    assert.ok(add.ok, JSON.stringify(add));
    assert.deepEqual(add.ran, ['bridge', 'portmap']);
    assert.equal(await podReachesNode(pod), 'hello');
    await stopAgent(); // kubectl delete -k: the conflist stays out
    assert.equal(runtime.activeConflist().file, '10-bridge.conflist');
  });
});
