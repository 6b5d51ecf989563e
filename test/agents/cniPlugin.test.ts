/** The egret-cni executable itself, run as the runtime runs it (env + stdin), against a fake agent socket. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  convertResult,
  POD_ANNOTATIONS_CAPABILITY,
  POD_GATEWAY_ANNOTATION,
} from '../../agents/node-agent/cni/cniProtocol.js';
import { POD_GATEWAY_ANNOTATION as CORE_POD_GATEWAY_ANNOTATION } from '../../shared/core/wellKnown.js';

const REPO = resolve(import.meta.dirname, '../..');
const PLUGIN = join(REPO, 'agents/node-agent/cni/egretCni.ts');
const prevResult = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'veth1' }, { name: 'eth0', sandbox: '/var/run/netns/p' }],
  ips: [{ address: '10.244.1.2/24', gateway: '10.244.1.1', interface: 1 }],
};

function runPlugin(
  command: string,
  conf: unknown,
  args = 'K8S_POD_NAMESPACE=default;K8S_POD_NAME=web',
): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', PLUGIN], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '',
        CNI_COMMAND: command,
        CNI_CONTAINERID: 'c1',
        CNI_NETNS: '/var/run/netns/p',
        CNI_IFNAME: 'eth0',
        CNI_ARGS: args,
      },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('exit', (code) => done({ code: code ?? -1, out }));
    child.stdin.end(JSON.stringify(conf));
  });
}

describe('egret-cni executable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'egret-cni-'));
  const socketPath = join(dir, 'agent.sock');
  const calls: { path: string; body: Record<string, unknown> }[] = [];
  let server: Server;
  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        calls.push({ path: req.url ?? '', body });
        if (body.podName === 'pending')
          res.writeHead(500).end(
            JSON.stringify({
              cniVersion: '1.0.0',
              code: 11,
              msg: 'StaticGatewayConfiguration default/x is not ready',
            }),
          );
        else if (req.url === '/v1/cni/add')
          res.writeHead(200).end(
            JSON.stringify({
              result: { ...prevResult, interfaces: [...prevResult.interfaces, { name: 'wg0' }] },
            }),
          );
        else res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });
  const conf = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.0.0',
    name: 'net',
    type: 'egret-cni',
    socketPath,
    ...extra,
  });

  it('VERSION lists the supported spec versions', async () => {
    const r = await runPlugin('VERSION', {});
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), {
      cniVersion: '1.0.0',
      supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0'],
    });
  });

  it('ADD forwards the call with prevResult and prints the agent result', async () => {
    const r = await runPlugin('ADD', conf({ prevResult }));
    assert.equal(r.code, 0);
    assert.deepEqual((JSON.parse(r.out) as { interfaces: { name: string }[] }).interfaces.at(-1), {
      name: 'wg0',
    });
    const call = calls.at(-1)!;
    assert.equal(call.path, '/v1/cni/add');
    assert.equal(call.body.podName, 'web');
    assert.equal(call.body.netns, '/var/run/netns/p');
    assert.deepEqual(call.body.prevResult, prevResult);
  });

  it("ADD prints the agent's CNI error and exits non-zero", async () => {
    const r = await runPlugin('ADD', conf({ prevResult }), 'K8S_POD_NAMESPACE=default;K8S_POD_NAME=pending');
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.out), {
      cniVersion: '1.0.0',
      code: 11,
      msg: 'StaticGatewayConfiguration default/x is not ready',
    });
  });

  it('without an agent: ADD fails with "try again later", DEL still succeeds', async () => {
    const gone = conf({ socketPath: join(dir, 'nobody.sock'), prevResult });
    const add = await runPlugin('ADD', gone);
    assert.equal(add.code, 1);
    const err = JSON.parse(add.out) as { code: number; msg: string };
    assert.equal(err.code, 11);
    assert.match(err.msg, /node agent unreachable/);
    const del = await runPlugin('DEL', gone);
    assert.equal(del.code, 0);
    assert.equal(del.out, '');
  });

  it('passes a non-Kubernetes sandbox through, converted to the conflist version', async () => {
    const r = await runPlugin('ADD', conf({ cniVersion: '0.4.0', prevResult }), '');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), convertResult(prevResult, '0.4.0'));
    assert.equal((JSON.parse(r.out) as { ips: { version: string }[] }).ips[0]?.version, '4');
  });

  it('refuses ADD without prevResult: it is a chained plugin', async () => {
    const r = await runPlugin('ADD', conf());
    assert.equal(r.code, 1);
    assert.match((JSON.parse(r.out) as { msg: string }).msg, /chained plugin/);
  });

  describe('deciding without the agent (upstream incident #759)', () => {
    const gone = (extra: Record<string, unknown> = {}) =>
      conf({ socketPath: join(dir, 'nobody.sock'), prevResult, ...extra });
    const withAnnotations = (annotations: Record<string, string>) => ({
      runtimeConfig: { [POD_ANNOTATIONS_CAPABILITY]: annotations },
    });

    it('the plugin and the core name the same pod annotation', () => {
      assert.equal(POD_GATEWAY_ANNOTATION, CORE_POD_GATEWAY_ANNOTATION);
    });

    it('a pod the runtime says is not annotated passes through with no agent at all, for ADD, CHECK and DEL', async () => {
      const before = calls.length;
      const c = gone(withAnnotations({ 'kubernetes.io/config.source': 'api' }));
      const add = await runPlugin('ADD', c);
      assert.equal(add.code, 0, add.out);
      assert.deepEqual(JSON.parse(add.out), convertResult(prevResult, '1.0.0'));
      assert.equal((await runPlugin('CHECK', c)).code, 0);
      assert.equal((await runPlugin('DEL', c)).code, 0);
      // With a live agent too: it is never asked about such a pod.
      const live = await runPlugin('ADD', conf({ prevResult, ...withAnnotations({}) }));
      assert.equal(live.code, 0);
      assert.equal(calls.length, before);
    });

    it('an annotated pod fails closed while the agent is gone, naming the annotation and its configuration', async () => {
      const add = await runPlugin('ADD', gone(withAnnotations({ [POD_GATEWAY_ANNOTATION]: 'sgc-a' })));
      assert.equal(add.code, 1);
      const err = JSON.parse(add.out) as { code: number; msg: string };
      assert.equal(err.code, 11);
      assert.match(err.msg, /default\/web has kubernetes\.azure\.com\/static-gateway-configuration=sgc-a/);
      assert.match(err.msg, /egret node agent is not running on this node/);
      assert.match(err.msg, /StaticGatewayConfiguration default\/sgc-a/);
    });

    it('an annotated pod is still served by a live agent', async () => {
      const r = await runPlugin(
        'ADD',
        conf({ prevResult, ...withAnnotations({ [POD_GATEWAY_ANNOTATION]: 'sgc-a' }) }),
      );
      assert.equal(r.code, 0);
      assert.equal(calls.at(-1)?.path, '/v1/cni/add');
    });

    it('without annotations from the runtime: a stale or missing heartbeat means egret was removed, a fresh one means try again', async () => {
      const heartbeatFile = join(dir, 'agent.heartbeat');
      writeFileSync(heartbeatFile, '1\n');
      const fresh = await runPlugin('ADD', gone({ heartbeatFile, agentGoneAfterSeconds: 300 }));
      assert.equal(fresh.code, 1);
      assert.match((JSON.parse(fresh.out) as { msg: string }).msg, /unreachable.*passed no pod annotations/);
      const old = (Date.now() - 301_000) / 1000;
      utimesSync(heartbeatFile, old, old);
      const stale = await runPlugin('ADD', gone({ heartbeatFile, agentGoneAfterSeconds: 300 }));
      assert.equal(stale.code, 0, stale.out);
      assert.deepEqual(JSON.parse(stale.out), convertResult(prevResult, '1.0.0'));
      const missing = await runPlugin(
        'ADD',
        gone({ heartbeatFile: join(dir, 'never-written'), agentGoneAfterSeconds: 300 }),
      );
      assert.equal(missing.code, 0, missing.out);
    });
  });
});
