/**
 * The userspace WireGuard driver against the real wireguard-go and `ip` (root): a device created
 * and moved at once must survive the move. wireguard-go's background copy looks its TUN up by name
 * in the host namespace when it starts; a move that won that race left the copy dead ("Failed to
 * create TUN device: no such device") and the device gone, which is how a pod's ADD once failed
 * on CI with "Cannot find device". Here wireguard-go runs CPU-throttled in a cgroup, as on a
 * loaded machine, so a driver that moves the device too early loses it nearly every time.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type CommandRunner, createExecRunner } from '../../agents/common/commandRunner.js';
import { createWireGuardDriver } from '../../agents/common/wireguard.js';
import { cleanupRun, newRunPrefix, RUN_MARKER_ENV } from './support/cleanup.js';
import { dataPathPrerequisites } from './support/world.js';

const missing = dataPathPrerequisites();
// Outside CI a machine without root or the tools skips, saying why; under CI=true it must run.
const skip = missing !== undefined && process.env.CI !== 'true' ? `wireguard-go tests ${missing}` : false;

/** A cgroup (v1 cpu controller, or v2 with cpu enabled) whose members get `percent` of one CPU. */
function throttledCgroup(name: string, percent: number): string | undefined {
  const quota = String(percent * 1000);
  try {
    if (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) {
      const dir = `/sys/fs/cgroup/cpu/${name}`;
      mkdirSync(dir);
      writeFileSync(`${dir}/cpu.cfs_period_us`, '100000');
      writeFileSync(`${dir}/cpu.cfs_quota_us`, quota);
      return dir;
    }
    if (readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('cpu')) {
      writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+cpu');
      const dir = `/sys/fs/cgroup/${name}`;
      mkdirSync(dir);
      writeFileSync(`${dir}/cpu.max`, `${quota} 100000`);
      return dir;
    }
  } catch {
    // no writable cpu controller here: wireguard-go runs unthrottled
  }
  return undefined;
}

describe('userspace WireGuard driver with wireguard-go', { skip, timeout: 120_000 }, () => {
  const prefix = newRunPrefix();
  const netns = `${prefix}-wg`;
  const exec = createExecRunner({ env: { [RUN_MARKER_ENV]: prefix } });
  let cgroup: string | undefined;
  // wireguard-go (and the background copy it forks) joins the throttled cgroup before it starts.
  const throttled: CommandRunner = {
    run: (cmd, args, options) =>
      cmd === 'wireguard-go' && cgroup !== undefined
        ? exec.run('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, cmd, ...args], options)
        : exec.run(cmd, args, options),
  };
  const wg = createWireGuardDriver('userspace', throttled);

  before(() => {
    if (missing !== undefined) throw new Error(`wireguard-go tests ${missing} (CI=true: they must run)`);
    execFileSync('ip', ['netns', 'add', netns]);
    cgroup = throttledCgroup(`egret-${prefix}`, 5);
  });
  after(async () => {
    cleanupRun(prefix);
    if (cgroup === undefined) return;
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        rmdirSync(cgroup);
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  it('every device created and moved straight away is in its namespace, named, and answering', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `wg${i}`);
    for (const name of names) await wg.createLink({ netns, name });
    const links = JSON.parse(
      execFileSync('ip', ['-n', netns, '-json', 'link', 'show'], { encoding: 'utf8' }),
    ) as { ifname: string }[];
    assert.deepEqual(
      names.filter((n) => !links.some((l) => l.ifname === n)),
      [],
      'devices lost after the move',
    );
    for (const name of names) {
      await wg.configure({ netns, name }, { privateKey: 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=' });
      const state = await wg.show({ netns, name });
      assert.equal(state?.publicKey, 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=', name);
    }
  });

  it('a deleted device stops its wireguard-go and no longer answers', async () => {
    const ref = { netns, name: 'wg0' };
    await wg.deleteLink(ref);
    const deadline = Date.now() + 5000;
    while ((await wg.show(ref)) !== undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(await wg.show(ref), undefined);
  });
});
