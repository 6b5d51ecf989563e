/** The egret-cni executable itself, run as the runtime runs it (env + stdin), against a fake agent socket. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { convertResult } from '../../agents/node-agent/cni/cniProtocol.js';

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
});
