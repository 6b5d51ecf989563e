import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../agents/common/logger.js';
import {
  buildChainedConflist,
  CniConfInstaller,
  egretPluginEntry,
  pickSourceConf,
  renderPluginWrapper,
} from '../../agents/node-agent/cniConf.js';

const entry = egretPluginEntry({
  socketPath: '/run/egret.sock',
  heartbeatFile: '/run/egret.heartbeat',
  agentGoneAfterSeconds: 300,
});
const silent = createLogger('test', { write: () => undefined });

describe('CNI configuration', () => {
  it("picks the first configuration file by name, never egret's own", () => {
    assert.equal(
      pickSourceConf(
        ['10-azure.conflist', '01-egret.conflist', '05-cilium.conf', 'README'],
        '01-egret.conflist',
      ),
      '05-cilium.conf',
    );
    assert.equal(pickSourceConf(['01-egret.conflist'], '01-egret.conflist'), undefined);
  });

  it('inserts egret right after the main plugin, once', () => {
    const src = JSON.stringify({
      cniVersion: '0.3.0',
      name: 'azure',
      plugins: [{ type: 'azure-vnet' }, { type: 'egret-cni', socketPath: 'old' }, { type: 'portmap' }],
    });
    const out = JSON.parse(buildChainedConflist({ fileName: '10-azure.conflist', content: src }, entry)) as {
      plugins: { type: string; socketPath?: string }[];
      cniVersion: string;
    };
    assert.equal(out.cniVersion, '0.3.0');
    assert.deepEqual(
      out.plugins.map((p) => p.type),
      ['azure-vnet', 'egret-cni', 'portmap'],
    );
    assert.equal(out.plugins[1]?.socketPath, '/run/egret.sock');
  });

  it('wraps a single-plugin .conf into a list', () => {
    const out = JSON.parse(
      buildChainedConflist(
        {
          fileName: '10-bridge.conf',
          content: '{"cniVersion":"1.0.0","name":"k","type":"bridge","bridge":"cbr0"}',
        },
        entry,
      ),
    ) as { name: string; plugins: Record<string, unknown>[] };
    assert.equal(out.name, 'k');
    assert.deepEqual(out.plugins, [{ type: 'bridge', bridge: 'cbr0' }, { ...entry }]);
  });

  it('rejects a main file that is not a CNI configuration, naming it', () => {
    assert.throws(
      () => buildChainedConflist({ fileName: 'x.conf', content: '{' }, entry),
      /x\.conf: not JSON/,
    );
    assert.throws(
      () => buildChainedConflist({ fileName: 'y.json', content: '{"name":"n"}' }, entry),
      /y\.json: neither a conflist/,
    );
  });

  it('quotes the plugin command safely in the shell wrapper', () => {
    assert.equal(
      renderPluginWrapper(['/opt/x y/node', "it's.js"]).split('\n')[2],
      `exec '/opt/x y/node' 'it'\\''s.js' "$@"`,
    );
  });

  describe('installer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'egret-cniconf-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const confDir = join(dir, 'net.d');
    const binDir = join(dir, 'bin');
    const heartbeatFile = join(dir, 'run', 'agent.heartbeat');
    let uninstallSwitch = false;
    const make = () =>
      new CniConfInstaller({
        confDir,
        confFile: '01-egret.conflist',
        binDir,
        pluginCommand: ['/n', '/p.js'],
        entry: { ...entry, heartbeatFile },
        resyncMs: 1000,
        log: silent,
        uninstallRequested: () => uninstallSwitch,
      });

    it('writes the chained conflist and the executable, follows a rewrite of the main file, and uninstalls', async () => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(confDir, { recursive: true });
      mkdirSync(binDir, { recursive: true });
      const inst = make();
      assert.equal(inst.sync(), 'no-source');
      writeFileSync(
        join(confDir, '10-net.conflist'),
        JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'bridge' }] }),
      );
      assert.equal(inst.sync(), 'written');
      assert.equal(inst.sync(), 'unchanged');
      assert.equal(statSync(join(binDir, 'egret-cni')).mode & 0o777, 0o755);
      writeFileSync(
        join(confDir, '10-net.conflist'),
        JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'bridge' }, { type: 'tuning' }] }),
      );
      assert.equal(inst.sync(), 'written');
      const types = (
        JSON.parse(readFileSync(inst.confPath, 'utf8')) as { plugins: { type: string }[] }
      ).plugins.map((p) => p.type);
      assert.deepEqual(types, ['bridge', 'egret-cni', 'tuning']);
      inst.uninstall();
      assert.ok(!existsSync(inst.confPath));
      // The executable stays: sandboxes created with egret in the chain still get their DEL.
      assert.ok(existsSync(join(binDir, 'egret-cni')));
    });

    it('asks the runtime for pod annotations and names its heartbeat in the chain entry', () => {
      const inst = make();
      inst.sync();
      const egret = (
        JSON.parse(readFileSync(inst.confPath, 'utf8')) as { plugins: Record<string, unknown>[] }
      ).plugins[1];
      assert.deepEqual(egret?.capabilities, { 'io.kubernetes.cri.pod-annotations': true });
      assert.equal(egret?.heartbeatFile, heartbeatFile);
      assert.equal(egret?.agentGoneAfterSeconds, 300);
      assert.ok(existsSync(heartbeatFile), 'every sync refreshes the heartbeat');
    });

    it('the uninstall switch removes the conflist while the agent runs and keeps it out; turning it back reinstalls', () => {
      const inst = make();
      assert.notEqual(inst.sync(), 'uninstalled');
      assert.ok(existsSync(inst.confPath));
      uninstallSwitch = true;
      assert.equal(inst.sync(), 'uninstalled');
      assert.ok(!existsSync(inst.confPath));
      assert.ok(inst.isUninstalled);
      // The main plugin rewriting its file does not bring egret back while the switch is on.
      writeFileSync(
        join(confDir, '10-net.conflist'),
        JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'bridge' }] }),
      );
      assert.equal(inst.sync(), 'uninstalled');
      assert.ok(!existsSync(inst.confPath));
      uninstallSwitch = false;
      assert.equal(inst.sync(), 'written');
      assert.ok(!inst.isUninstalled);
    });
  });
});
